//! The values of the keys that describe the route in the OpenAPI document
//! (`tags`, `deprecated`, `include_in_schema`, `status`,
//! `response_description`, `errors`), each read from the expression after `key =`
//! and checked, each mistake reported at the value. Only literals are
//! taken: the attribute is read as it expands, before any constant has a
//! value.

use std::ops::RangeInclusive;

use quote::ToTokens;
use syn::{Expr, Lit, LitStr};

use super::key::Key;
use super::status_code;
use crate::ctxt::Ctxt;
use crate::value::{describe, literal, negative_integer};

/// The statuses `status = ...` may name.
const STATUS_RANGE: RangeInclusive<u64> = 100..=599;

/// The statuses `errors = [...]` may name: client and server errors.
const ERROR_RANGE: RangeInclusive<u64> = 400..=599;

/// `tags = ["items", "admin"]`: the tags, each checked; a mistaken one is
/// reported and left out.
pub(super) fn tags(cx: &Ctxt, value: &Expr) -> Vec<LitStr> {
    let Some(elems) = array(value) else {
        cx.error_spanned_by(
            value,
            format!(
                "`tags` takes an array of strings, not {}\nhelp: write `tags = [{}]`",
                describe(value),
                as_tags(value)
            ),
        );
        return Vec::new();
    };
    let mut tags: Vec<LitStr> = Vec::new();
    for elem in elems {
        let Some(Lit::Str(tag)) = literal(elem) else {
            cx.error_spanned_by(
                elem,
                format!(
                    "a tag is a string literal, not {}\nhelp: write `{}`",
                    describe(elem),
                    quoted(elem).unwrap_or_else(|| "\"items\"".to_owned())
                ),
            );
            continue;
        };
        let name = tag.value();
        if name.trim().is_empty() {
            cx.error(
                tag.span(),
                "a tag cannot be blank\nhelp: name it, as in `\"items\"`, or remove it",
            );
        } else if tags.iter().any(|listed| listed.value() == name) {
            cx.error(
                tag.span(),
                format!("the tag {name:?} is listed twice\nhelp: list each tag once"),
            );
        } else {
            tags.push(tag.clone());
        }
    }
    tags
}

/// `deprecated = true`, `include_in_schema = false`: the boolean, or `None`
/// after reporting what was written instead.
pub(super) fn flag(cx: &Ctxt, key: Key, value: &Expr) -> Option<bool> {
    if let Some(Lit::Bool(flag)) = literal(value) {
        return Some(flag.value);
    }
    // `"false"`, `False`: the boolean, spelled otherwise.
    let spelled = quoted(value).and_then(|text| {
        let text = text.trim_matches('"').to_lowercase();
        ["true", "false"].contains(&text.as_str()).then_some(text)
    });
    let help = match (spelled, key) {
        (Some(flag), _) => format!("write `{key} = {flag}`"),
        // `deprecated = "use /new"`: a reason, which has no place here.
        (None, Key::Deprecated) if matches!(literal(value), Some(Lit::Str(_))) => {
            "write `deprecated` alone to mark the route deprecated, and say why in the handler's doc comment".to_owned()
        }
        (None, Key::Deprecated) => {
            "write `deprecated` alone to mark the route deprecated".to_owned()
        }
        (None, _) => format!("write `{}`", key.example()),
    };
    cx.error_spanned_by(
        value,
        format!(
            "`{key}` takes `true` or `false`, not {}\nhelp: {help}",
            describe(value)
        ),
    );
    None
}

/// `status = 201`: the status the route answers with on success.
pub(super) fn status(cx: &Ctxt, value: &Expr) -> Option<u16> {
    let (lo, hi) = (STATUS_RANGE.start(), STATUS_RANGE.end());
    let out_of_range = |written: &dyn std::fmt::Display| {
        format!(
            "`status` must be an HTTP status code, from {lo} to {hi}, not {written}\nhelp: give the status the route answers with on success, as in `status = 201`"
        )
    };
    let int = match literal(value) {
        Some(Lit::Int(int)) if int.suffix().is_empty() || is_integer_type(int.suffix()) => int,
        // `201ms`: a suffix no integer type has.
        Some(Lit::Int(int)) => {
            cx.error(
                int.span(),
                format!(
                    "`status` takes a plain integer, not `{}`\nhelp: write `status = {}`",
                    int.to_token_stream(),
                    int.base10_digits()
                ),
            );
            return None;
        }
        // `-1`: an integer, out of range.
        None if negative_integer(value) => {
            let written = value.to_token_stream().to_string().replace(' ', "");
            cx.error_spanned_by(value, out_of_range(&written));
            return None;
        }
        // `"201"`: the number, quoted.
        Some(Lit::Str(lit)) if lit.value().trim().parse::<u16>().is_ok() => {
            cx.error(
                lit.span(),
                format!(
                    "`status` takes an integer, not a string\nhelp: write `status = {}`",
                    lit.value().trim()
                ),
            );
            return None;
        }
        _ => {
            cx.error_spanned_by(value, status_not_an_integer(value));
            return None;
        }
    };
    match int.base10_parse::<u64>() {
        Ok(number) if STATUS_RANGE.contains(&number) => u16::try_from(number).ok(),
        _ => {
            cx.error(int.span(), out_of_range(&int.base10_digits()));
            None
        }
    }
}

/// `errors = [404, 409]`: the statuses the route's `HttpError`s answer
/// with, each checked; a mistaken or repeated one is reported and left out.
pub(super) fn errors(cx: &Ctxt, value: &Expr) -> Vec<u16> {
    let Some(elems) = array(value) else {
        let help = match (literal(value), constant(value)) {
            (Some(Lit::Int(int)), _) => format!("errors = [{}]", int.base10_digits()),
            (_, Some(number)) => format!("errors = [{number}]"),
            _ => Key::Errors.example().to_owned(),
        };
        cx.error_spanned_by(
            value,
            format!(
                "`errors` takes an array of status codes, not {}
help: write `{help}`",
                describe(value)
            ),
        );
        return Vec::new();
    };
    let mut errors: Vec<u16> = Vec::new();
    for elem in elems {
        let Some(number) = error_status(cx, elem) else {
            continue;
        };
        if errors.contains(&number) {
            cx.error_spanned_by(
                elem,
                format!(
                    "the status {number} is listed twice
help: list each status once"
                ),
            );
        } else {
            errors.push(number);
        }
    }
    errors
}

/// One status of `errors = [...]`: an integer literal from 400 to 599.
fn error_status(cx: &Ctxt, elem: &Expr) -> Option<u16> {
    let (lo, hi) = (ERROR_RANGE.start(), ERROR_RANGE.end());
    let int = match literal(elem) {
        Some(Lit::Int(int)) if int.suffix().is_empty() || is_integer_type(int.suffix()) => int,
        // `"409"`: the number, quoted.
        Some(Lit::Str(lit)) if lit.value().trim().parse::<u16>().is_ok() => {
            cx.error(
                lit.span(),
                format!(
                    "a status in `errors` is an integer, not a string\nhelp: write `{}`",
                    lit.value().trim()
                ),
            );
            return None;
        }
        _ => {
            let (help, note) = match constant(elem) {
                Some(number) => (format!("write `{number}`"), String::new()),
                None => (
                    "write the status as a number, as in `404`".to_owned(),
                    constant_note(elem, "the status is written as a number"),
                ),
            };
            cx.error_spanned_by(
                elem,
                format!(
                    "a status in `errors` is an integer literal from {lo} to {hi}, not {}
help: {help}{note}",
                    describe(elem)
                ),
            );
            return None;
        }
    };
    match int.base10_parse::<u64>() {
        Ok(number) if ERROR_RANGE.contains(&number) => u16::try_from(number).ok(),
        _ => {
            let success = int
                .base10_parse::<u64>()
                .is_ok_and(|number| STATUS_RANGE.contains(&number));
            let help = if success {
                "`errors` lists the error statuses the handler answers with; its success status is `status = ...`"
            } else {
                "give a client or server error status, as in `404`"
            };
            cx.error(
                int.span(),
                format!(
                    "a status in `errors` is from {lo} to {hi}, not {}
help: {help}",
                    int.base10_digits()
                ),
            );
            None
        }
    }
}

/// What is wrong with a `status` that is no integer: for a `StatusCode`
/// constant, the number it stands for.
fn status_not_an_integer(value: &Expr) -> String {
    let (lo, hi) = (STATUS_RANGE.start(), STATUS_RANGE.end());
    let (number, note) = match constant(value) {
        Some(number) => (number, String::new()),
        None => (
            201,
            constant_note(value, "the status is written as a number"),
        ),
    };
    format!(
        "`status` takes an integer literal from {lo} to {hi}, not {}\nhelp: write `status = {number}`{note}",
        describe(value),
    )
}

/// `response_description = "Item created"`.
pub(super) fn response_description(cx: &Ctxt, value: &Expr) -> Option<LitStr> {
    let Some(Lit::Str(lit)) = literal(value) else {
        cx.error_spanned_by(
            value,
            format!(
                "`response_description` takes a string literal, not {}\nhelp: write `{}`{}",
                describe(value),
                Key::ResponseDescription.example(),
                constant_note(value, "the description is written as a string literal")
            ),
        );
        return None;
    };
    if lit.value().trim().is_empty() {
        cx.error(
            lit.span(),
            format!(
                "`response_description` cannot be blank\nhelp: describe the response, as in `{}`, or remove it",
                Key::ResponseDescription.example()
            ),
        );
        return None;
    }
    Some(lit.clone())
}

/// Why a constant (or any expression) cannot stand for the value, ending
/// with how it is written instead.
fn constant_note(value: &Expr, instead: &str) -> String {
    if literal(value).is_some() {
        return String::new();
    }
    format!(
        "\nnote: the attribute is read as the macro expands, before any constant has a value, so {instead}"
    )
}

/// The elements of the array `value` is.
fn array(value: &Expr) -> Option<impl Iterator<Item = &Expr>> {
    match value {
        Expr::Array(array) => Some(array.elems.iter()),
        Expr::Group(group) => array(&group.expr),
        _ => None,
    }
}

fn is_integer_type(suffix: &str) -> bool {
    [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ]
    .contains(&suffix)
}

/// The status the `StatusCode` constant in `value` stands for:
/// `StatusCode::CREATED`, `http::StatusCode::CREATED.as_u16()`, `CREATED`.
fn constant(value: &Expr) -> Option<u16> {
    match value {
        Expr::Path(path) => status_code::number(&path.path.segments.last()?.ident.to_string()),
        Expr::MethodCall(call) => constant(&call.receiver),
        Expr::Group(group) => constant(&group.expr),
        _ => None,
    }
}

/// `value` as a string literal, if it is one word or literal written
/// without quotes: `items` and `5` are `"items"` and `"5"`.
fn quoted(value: &Expr) -> Option<String> {
    match literal(value) {
        Some(Lit::Str(lit)) => Some(format!("{:?}", lit.value())),
        Some(Lit::Int(_) | Lit::Float(_) | Lit::Bool(_)) => {
            Some(format!("{:?}", value.to_token_stream().to_string()))
        }
        Some(_) => None,
        None => match value {
            Expr::Path(path) => path
                .path
                .get_ident()
                .map(|ident| format!("{:?}", ident.to_string())),
            _ => None,
        },
    }
}

/// What to put in `tags = [...]` for a `value` that is not an array: the
/// tag it names (`"items"`, `items`), the tags of a tuple, or an example.
fn as_tags(value: &Expr) -> String {
    let elems: Vec<Option<String>> = match (value, literal(value)) {
        // `"items, admin"`: the tags, in one string.
        (_, Some(Lit::Str(lit))) => lit
            .value()
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(|tag| Some(format!("{tag:?}")))
            .collect(),
        (Expr::Tuple(tuple), _) => tuple.elems.iter().map(quoted).collect(),
        (value, _) => vec![quoted(value)],
    };
    match elems.into_iter().collect::<Option<Vec<String>>>() {
        Some(tags) if !tags.is_empty() => tags.join(", "),
        _ => "\"items\"".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    /// What `read` makes of `value`, and the errors it reports.
    fn read<T>(read: impl FnOnce(&Ctxt, &Expr) -> T, value: TokenStream) -> (T, Vec<String>) {
        let value: Expr = syn::parse2(value).expect("an expression");
        let cx = Ctxt::new();
        let read = read(&cx, &value);
        let errors = cx
            .check()
            .err()
            .into_iter()
            .flat_map(|errors| errors.into_iter().map(|error| error.to_string()))
            .collect();
        (read, errors)
    }

    fn tag_names(value: TokenStream) -> (Vec<String>, Vec<String>) {
        let (tags, errors) = read(tags, value);
        (tags.iter().map(LitStr::value).collect(), errors)
    }

    #[test]
    fn reads_tags() {
        let (tags, errors) = tag_names(quote!(["items", "admin"]));
        assert_eq!(
            (tags, errors.len()),
            (vec!["items".into(), "admin".into()], 0)
        );
        let (tags, errors) = tag_names(quote!([]));
        assert!(tags.is_empty() && errors.is_empty());
    }

    #[test]
    fn tags_are_an_array_of_strings() {
        let (_, errors) = tag_names(quote!("items"));
        assert!(
            errors[0].starts_with("`tags` takes an array of strings, not a string"),
            "{errors:?}"
        );
        assert!(
            errors[0].contains(r#"write `tags = ["items"]`"#),
            "{errors:?}"
        );
        let (_, errors) = tag_names(quote!("items, admin"));
        assert!(
            errors[0].contains(r#"write `tags = ["items", "admin"]`"#),
            "{errors:?}"
        );
        let (_, errors) = tag_names(quote!(("items", admin)));
        assert!(
            errors[0].contains(r#"write `tags = ["items", "admin"]`"#),
            "{errors:?}"
        );
        let (_, errors) = tag_names(quote!(TAGS));
        assert!(errors[0].contains("not `TAGS`"), "{errors:?}");
        let (tags, errors) = tag_names(quote!(["items", admin, 5]));
        assert_eq!(tags, ["items"]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("not `admin`"), "{errors:?}");
        assert!(errors[0].contains(r#"write `"admin"`"#), "{errors:?}");
        assert!(errors[1].contains("not an integer"), "{errors:?}");
    }

    #[test]
    fn tags_are_named_once_each() {
        let (tags, errors) = tag_names(quote!(["items", "", " ", "items"]));
        assert_eq!(tags, ["items"]);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("a tag cannot be blank"), "{errors:?}");
        assert!(errors[1].starts_with("a tag cannot be blank"), "{errors:?}");
        assert!(
            errors[2].starts_with(r#"the tag "items" is listed twice"#),
            "{errors:?}"
        );
    }

    #[test]
    fn reads_flags() {
        let deprecated = |cx: &Ctxt, v: &Expr| flag(cx, Key::Deprecated, v);
        let include = |cx: &Ctxt, v: &Expr| flag(cx, Key::IncludeInSchema, v);
        assert_eq!(read(deprecated, quote!(true)), (Some(true), vec![]));
        assert_eq!(read(include, quote!(false)), (Some(false), vec![]));
        let (flag, errors) = read(include, quote!("false"));
        assert_eq!(flag, None);
        assert!(
            errors[0].starts_with("`include_in_schema` takes `true` or `false`, not a string"),
            "{errors:?}"
        );
        assert!(
            errors[0].contains("write `include_in_schema = false`"),
            "{errors:?}"
        );
        let (_, errors) = read(include, quote!(0));
        assert!(
            errors[0].contains("not an integer\nhelp: write `include_in_schema = false`"),
            "{errors:?}"
        );
        let (_, errors) = read(deprecated, quote!("since 1.2"));
        assert!(errors[0].contains("write `deprecated` alone"), "{errors:?}");
    }

    #[test]
    fn reads_a_status() {
        assert_eq!(read(status, quote!(201)), (Some(201), vec![]));
        assert_eq!(read(status, quote!(100)), (Some(100), vec![]));
        assert_eq!(read(status, quote!(599)), (Some(599), vec![]));
        assert_eq!(read(status, quote!(204u16)), (Some(204), vec![]));
    }

    #[test]
    fn a_status_is_a_number_in_range() {
        for value in [
            quote!(99),
            quote!(600),
            quote!(2010),
            quote!(-1),
            quote!(99999999999999999999999),
        ] {
            let (status, errors) = read(status, value);
            assert_eq!(status, None);
            assert!(
                errors[0].starts_with("`status` must be an HTTP status code, from 100 to 599"),
                "{errors:?}"
            );
        }
        let (_, errors) = read(status, quote!(-1));
        assert!(errors[0].contains("not -1"), "{errors:?}");
    }

    #[test]
    fn a_status_is_written_as_its_number() {
        let (_, errors) = read(status, quote!("201"));
        assert!(
            errors[0]
                .starts_with("`status` takes an integer, not a string\nhelp: write `status = 201`"),
            "{errors:?}"
        );
        for constant in [
            quote!(StatusCode::ACCEPTED),
            quote!(http::StatusCode::ACCEPTED),
            quote!(StatusCode::ACCEPTED.as_u16()),
        ] {
            let (_, errors) = read(status, constant);
            assert!(
                errors[0].contains("help: write `status = 202`"),
                "{errors:?}"
            );
            assert!(!errors[0].contains("note:"), "{errors:?}");
        }
        let (_, errors) = read(status, quote!(MY_STATUS));
        assert!(errors[0].contains("not `MY_STATUS`"), "{errors:?}");
        assert!(
            errors[0].contains("help: write `status = 201`"),
            "{errors:?}"
        );
        assert!(
            errors[0].contains("note: the attribute is read"),
            "{errors:?}"
        );
        let (_, errors) = read(status, quote!(201.0));
        assert!(errors[0].contains("not a float"), "{errors:?}");
        let (_, errors) = read(status, quote!(201ms));
        assert!(
            errors[0].starts_with(
                "`status` takes a plain integer, not `201ms`\nhelp: write `status = 201`"
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn reads_errors() {
        assert_eq!(read(errors, quote!([404, 409])), (vec![404, 409], vec![]));
        assert_eq!(read(errors, quote!([])), (vec![], vec![]));
        assert_eq!(read(errors, quote!([599u16])), (vec![599], vec![]));
    }

    #[test]
    fn errors_are_error_statuses_listed_once() {
        let (listed, messages) = read(
            errors,
            quote!([404, 200, 600, 404, "409", StatusCode::GONE]),
        );
        assert_eq!(listed, [404]);
        assert_eq!(messages.len(), 5, "{messages:?}");
        assert!(
            messages[0].starts_with("a status in `errors` is from 400 to 599, not 200\nhelp: `errors` lists the error statuses"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("a status in `errors` is from 400 to 599, not 600\nhelp: give a client or server error status"),
            "{messages:?}"
        );
        assert!(
            messages[2].starts_with("the status 404 is listed twice"),
            "{messages:?}"
        );
        assert!(
            messages[3]
                .starts_with("a status in `errors` is an integer, not a string\nhelp: write `409`"),
            "{messages:?}"
        );
        assert!(messages[4].contains("help: write `410`"), "{messages:?}");
        let (_, messages) = read(errors, quote!(404));
        assert!(
            messages[0].starts_with(
                "`errors` takes an array of status codes, not an integer\nhelp: write `errors = [404]`"
            ),
            "{messages:?}"
        );
    }

    #[test]
    fn reads_a_response_description() {
        let (description, errors) = read(response_description, quote!("Item created"));
        assert_eq!(
            description.map(|lit| lit.value()).as_deref(),
            Some("Item created")
        );
        assert!(errors.is_empty(), "{errors:?}");
        let (_, errors) = read(response_description, quote!(""));
        assert!(
            errors[0].starts_with("`response_description` cannot be blank"),
            "{errors:?}"
        );
        let (_, errors) = read(response_description, quote!(CREATED));
        assert!(
            errors[0].starts_with("`response_description` takes a string literal, not `CREATED`"),
            "{errors:?}"
        );
        assert!(
            errors[0].contains("note: the attribute is read"),
            "{errors:?}"
        );
        let (_, errors) = read(response_description, quote!(201));
        assert!(!errors[0].contains("note:"), "{errors:?}");
    }
}
