//! One option's value, read from the expression after `key =` and checked,
//! each mistake reported at the value: a string, an integer in a range, or
//! a duration. Only literals are taken: the values are checked here, at
//! compile time, and a `const` could not be.

use std::ops::RangeInclusive;

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Expr, Lit, LitInt, LitStr};

use super::key::Key;
use super::{duration, queue_name};
use crate::ctxt::Ctxt;
use crate::value::{describe, literal, negative_integer};

/// A checked value and where it was written, so the generated code that
/// uses it points there.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// The longest task name, in bytes.
const MAX_NAME_LEN: usize = 127;

/// `queue = "mail"`.
pub(crate) fn queue(cx: &Ctxt, value: &Expr) -> Option<LitStr> {
    let lit = string(cx, Key::Queue, value)?;
    if let Err(problem) = queue_name::check(&lit.value()) {
        cx.error(lit.span(), format!("{problem}\nhelp: {}", queue_name::RULE));
        return None;
    }
    Some(lit)
}

/// `name = "send_welcome_v1"`.
pub(crate) fn name(cx: &Ctxt, value: &Expr) -> Option<LitStr> {
    let lit = string(cx, Key::Name, value)?;
    let len = lit.value().len();
    if len == 0 || len > MAX_NAME_LEN {
        cx.error(
            lit.span(),
            format!(
                "a task's name must be 1 to {MAX_NAME_LEN} bytes long, and this one is {len}\nhelp: the name is stored with each queued call, and a worker finds the task by it; leave `name` out to use the function's name"
            ),
        );
        return None;
    }
    Some(lit)
}

/// `max_attempts = 5`.
pub(crate) fn max_attempts(cx: &Ctxt, value: &Expr) -> Option<Spanned<u64>> {
    integer(cx, Key::MaxAttempts, value, 1..=1000, |number| {
        (number == 0).then_some("note: the first attempt counts: `max_attempts = 1` never retries")
    })
}

/// `priority = 2`.
pub(crate) fn priority(cx: &Ctxt, value: &Expr) -> Option<Spanned<u64>> {
    integer(cx, Key::Priority, value, 1..=4, |_| {
        Some("note: among calls ready to run, priority 1 runs first and 4 last")
    })
}

/// `timeout = "30s"`, `unique_for = "1h"`: the duration in milliseconds.
pub(crate) fn duration(cx: &Ctxt, key: Key, value: &Expr) -> Option<Spanned<u64>> {
    let lit = match literal(value) {
        // `timeout = 30`: the unit is missing, and seconds are the likely one.
        Some(Lit::Int(int)) => {
            let digits = int.base10_digits();
            cx.error(
                int.span(),
                format!(
                    "`{key}` takes a duration in a string, with its unit\nhelp: write `{key} = \"{digits}s\"` for {digits} seconds\nhelp: {}",
                    duration::FORMAT
                ),
            );
            return None;
        }
        _ => string(cx, key, value)?,
    };
    match duration::parse(&lit.value()) {
        Ok(millis) => Some(Spanned {
            value: millis,
            span: lit.span(),
        }),
        Err(problem) => {
            cx.error(
                lit.span(),
                format!(
                    "invalid `{key}` duration: {problem}\nhelp: {}",
                    duration::FORMAT
                ),
            );
            None
        }
    }
}

/// The string literal `value` is, or `None` after reporting what it is
/// instead.
fn string(cx: &Ctxt, key: Key, value: &Expr) -> Option<LitStr> {
    if let Some(Lit::Str(lit)) = literal(value) {
        return Some(lit.clone());
    }
    // `queue = mail`: the string, unquoted.
    let (note, help) = match value {
        Expr::Path(path) if path.path.get_ident().is_some() => (
            String::new(),
            format!("write `{key} = \"{}\"`", value.to_token_stream()),
        ),
        _ => (constant_note(value), format!("write `{}`", key.example())),
    };
    cx.error_spanned_by(
        value,
        format!(
            "`{key}` takes a string literal, not {}{note}\nhelp: {help}",
            describe(value)
        ),
    );
    None
}

/// The integer literal `value` is, if it is in `range`; `None` after
/// reporting what it is instead, or the range (with the `note` about the
/// number written, if any; a negative number is 0 here).
fn integer(
    cx: &Ctxt,
    key: Key,
    value: &Expr,
    range: RangeInclusive<u64>,
    note: fn(u64) -> Option<&'static str>,
) -> Option<Spanned<u64>> {
    let (lo, hi) = (range.start(), range.end());
    let out_of_range = |shown: &dyn std::fmt::Display, number: u64| {
        let note = note(number)
            .map(|note| format!("\n{note}"))
            .unwrap_or_default();
        format!("`{key}` must be from {lo} to {hi}, not {shown}{note}")
    };
    let int: &LitInt = match literal(value) {
        Some(Lit::Int(int)) => int,
        // `-1`: an integer, out of range.
        None if negative_integer(value) => {
            let written = value.to_token_stream().to_string().replace(' ', "");
            cx.error_spanned_by(value, out_of_range(&written, 0));
            return None;
        }
        // `"5"`: the number, quoted.
        Some(Lit::Str(lit)) if lit.value().parse::<u64>().is_ok() => {
            cx.error(
                lit.span(),
                format!(
                    "`{key}` takes an integer, not a string\nhelp: write `{key} = {}`",
                    lit.value()
                ),
            );
            return None;
        }
        _ => {
            cx.error_spanned_by(
                value,
                format!(
                    "`{key}` takes an integer literal from {lo} to {hi}, not {}{}\nhelp: write `{}`",
                    describe(value),
                    constant_note(value),
                    key.example()
                ),
            );
            return None;
        }
    };
    match int.base10_parse::<u64>() {
        Ok(number) if range.contains(&number) => Some(Spanned {
            value: number,
            span: int.span(),
        }),
        parsed => {
            let number = parsed.unwrap_or(u64::MAX);
            cx.error(int.span(), out_of_range(&int.base10_digits(), number));
            None
        }
    }
}

/// Why a constant (or any expression) cannot stand for the value.
fn constant_note(value: &Expr) -> String {
    if literal(value).is_some() {
        return String::new();
    }
    "\nnote: `#[task]` checks its options as it expands, before any constant has a value, so they are written as literals".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// The errors reading `value` for `read` reports.
    fn errors<T>(
        read: impl FnOnce(&Ctxt, &Expr) -> Option<T>,
        value: proc_macro2::TokenStream,
    ) -> Vec<String> {
        let value: Expr = syn::parse2(value).expect("an expression");
        crate::ctxt::run(|cx| {
            read(cx, &value);
        })
        .err()
        .into_iter()
        .flat_map(|errors| errors.into_iter().map(|error| error.to_string()))
        .collect()
    }

    #[test]
    fn reads_each_kind() {
        let seconds = errors(|cx, v| duration(cx, Key::Timeout, v), quote!(5));
        assert_eq!(seconds.len(), 1, "5 is no duration");
        assert_eq!(errors(max_attempts, quote!(5)), Vec::<String>::new());
        assert_eq!(errors(max_attempts, quote!(1000)), Vec::<String>::new());
        assert_eq!(errors(priority, quote!(4)), Vec::<String>::new());
        assert_eq!(errors(queue, quote!("mail")), Vec::<String>::new());
        assert_eq!(
            errors(name, quote!("send_welcome_v1")),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(|cx, v| duration(cx, Key::Timeout, v), quote!("1h30m")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn names_the_range() {
        let zero = errors(max_attempts, quote!(0));
        assert!(
            zero[0].starts_with("`max_attempts` must be from 1 to 1000, not 0"),
            "{zero:?}"
        );
        let nine = errors(priority, quote!(9));
        assert!(
            nine[0].starts_with("`priority` must be from 1 to 4, not 9"),
            "{nine:?}"
        );
        let negative = errors(priority, quote!(-1));
        assert!(negative[0].contains("not -1"), "{negative:?}");
        let huge = errors(max_attempts, quote!(99999999999999999999999));
        assert!(huge[0].contains("from 1 to 1000"), "{huge:?}");
    }

    #[test]
    fn names_the_kind_expected() {
        let quoted = errors(max_attempts, quote!("5"));
        assert!(quoted[0].contains("write `max_attempts = 5`"), "{quoted:?}");
        let float = errors(priority, quote!(2.5));
        assert!(float[0].contains("not a float"), "{float:?}");
        let constant = errors(max_attempts, quote!(MAX));
        assert!(constant[0].contains("not `MAX`"), "{constant:?}");
        let unquoted = errors(queue, quote!(mail));
        assert!(
            unquoted[0].contains(r#"write `queue = "mail"`"#),
            "{unquoted:?}"
        );
        let seconds = errors(|cx, v| duration(cx, Key::Timeout, v), quote!(30));
        assert!(
            seconds[0].contains(r#"write `timeout = "30s"`"#),
            "{seconds:?}"
        );
    }

    #[test]
    fn checks_strings_by_what_they_hold() {
        let queue = errors(queue, quote!("my queue"));
        assert!(
            queue[0].contains(r#"did you mean "my_queue"?"#),
            "{queue:?}"
        );
        let duration = errors(|cx, v| duration(cx, Key::UniqueFor, v), quote!("30x"));
        assert!(
            duration[0].starts_with("invalid `unique_for` duration: unknown unit `x`"),
            "{duration:?}"
        );
        let long = errors(
            name,
            quote!(
                "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
            ),
        );
        assert!(long[0].contains("1 to 127 bytes"), "{long:?}");
        assert!(errors(name, quote!(""))[0].contains("this one is 0"));
    }
}
