//! What an attribute's `key = value` holds, as written: shared by the route
//! attributes' keys and `#[task]`'s options, which read their values alike
//! and describe a wrong one in the same words.

use quote::ToTokens;
use syn::{Expr, Lit, UnOp};

/// The literal `value` is, through the invisible groups a `macro_rules!`
/// wraps around what it passes on.
pub(crate) fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(lit) => Some(&lit.lit),
        Expr::Group(group) => literal(&group.expr),
        Expr::Paren(paren) => literal(&paren.expr),
        _ => None,
    }
}

/// Whether `value` is `-<integer>`.
pub(crate) fn negative_integer(value: &Expr) -> bool {
    match value {
        Expr::Unary(unary) => {
            matches!(unary.op, UnOp::Neg(_)) && matches!(literal(&unary.expr), Some(Lit::Int(_)))
        }
        Expr::Group(group) => negative_integer(&group.expr),
        _ => false,
    }
}

/// What `value` is, for "takes a string literal, not ...".
pub(crate) fn describe(value: &Expr) -> String {
    let what = match literal(value) {
        Some(Lit::Str(_)) => "a string",
        Some(Lit::Int(_)) => "an integer",
        Some(Lit::Float(_)) => "a float",
        Some(Lit::Bool(_)) => "a boolean",
        Some(Lit::Char(_)) => "a character",
        Some(_) => "this literal",
        None => match value {
            Expr::Path(_) => {
                return format!("`{}`", value.to_token_stream().to_string().replace(' ', ""));
            }
            Expr::Array(_) => "an array",
            Expr::Tuple(_) => "a tuple",
            _ => "an expression",
        },
    };
    what.to_owned()
}
