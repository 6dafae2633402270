//! What each of `validator`'s failures is called in FastAPI's `422`:
//! `range` becomes `greater_than_equal` or `less_than_equal` with the bound
//! in `ctx`, `length` becomes `string_too_short` or `too_short`, `email`
//! becomes a `value_error`, and so on. A failure with a code of the user's
//! own is a `value_error` carrying its message.

use serde_json::{Value, json};
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::extract::ErrorDetail;

/// Every failure in `errors`, each located under `loc` (the source, then the
/// path of fields and list indexes). Fields come in name order: `validator`
/// keeps them in a hash map, and a stable order keeps responses comparable.
pub(super) fn details(errors: &ValidationErrors, loc: &mut Vec<Value>, out: &mut Vec<ErrorDetail>) {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        // `__all__` is where struct-level (`#[validate(schema(..))]`) checks
        // put their failures: they belong to the object itself.
        let named = field != "__all__";
        if named {
            loc.push(Value::from(field.as_ref()));
        }
        match kind {
            ValidationErrorsKind::Field(failures) => {
                out.extend(failures.iter().map(|failure| detail(failure, loc.clone())));
            }
            ValidationErrorsKind::Struct(inner) => details(inner, loc, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    loc.push(Value::from(*index));
                    details(inner, loc, out);
                    loc.pop();
                }
            }
        }
        if named {
            loc.pop();
        }
    }
}

fn detail(failure: &validator::ValidationError, loc: Vec<Value>) -> ErrorDetail {
    let param = |name: &str| failure.params.get(name);
    let input = param("value").cloned();
    let (kind, msg, ctx) = match failure.code.as_ref() {
        "range" => range(input.as_ref(), &param),
        "length" => length(input.as_ref(), &param),
        "email" => {
            let reason = email_reason(input.as_ref());
            let msg = format!("value is not a valid email address: {reason}");
            ("value_error", msg, Some(json!({ "reason": reason })))
        }
        "url" => (
            "url_parsing",
            "Input should be a valid URL".to_owned(),
            None,
        ),
        "regex" => (
            "string_pattern_mismatch",
            "String should match the field's pattern".to_owned(),
            None,
        ),
        "required" => ("missing", "Field required".to_owned(), None),
        "must_match" => {
            let other = param("other")
                .and_then(Value::as_str)
                .unwrap_or("the other field");
            let msg = format!("Value error, must match {other}");
            (
                "value_error",
                msg,
                Some(json!({ "error": format!("must match {other}") })),
            )
        }
        code => {
            let error = failure.message.as_deref().unwrap_or(code).to_owned();
            (
                "value_error",
                format!("Value error, {error}"),
                Some(json!({ "error": error })),
            )
        }
    };
    // A message the rule was given (`message = ".."`) is what the app's
    // author wants a client to read; the kind still says which rule failed.
    let msg = failure.message.as_deref().map_or(msg, str::to_owned);
    ErrorDetail {
        kind,
        loc,
        msg,
        input,
        ctx,
    }
}

type Param<'a> = dyn Fn(&str) -> Option<&'a Value> + 'a;

/// `range(min, max, exclusive_min, exclusive_max)`: the bound the input
/// broke, as pydantic's `ge`/`le`/`gt`/`lt`.
fn range(input: Option<&Value>, param: &Param<'_>) -> (&'static str, String, Option<Value>) {
    let value = input.and_then(Value::as_f64);
    let broke = |name: &str, below: bool| {
        let bound = param(name)?;
        let limit = bound.as_f64()?;
        let broken = match (value, below, name.starts_with("exclusive")) {
            (Some(value), true, false) => value < limit,
            (Some(value), true, true) => value <= limit,
            (Some(value), false, false) => value > limit,
            (Some(value), false, true) => value >= limit,
            (None, ..) => true,
        };
        broken.then_some(bound)
    };
    let bounds: [(&str, bool, &'static str, &str, &str); 4] = [
        (
            "min",
            true,
            "greater_than_equal",
            "ge",
            "greater than or equal to",
        ),
        ("exclusive_min", true, "greater_than", "gt", "greater than"),
        (
            "max",
            false,
            "less_than_equal",
            "le",
            "less than or equal to",
        ),
        ("exclusive_max", false, "less_than", "lt", "less than"),
    ];
    for (name, below, kind, key, words) in bounds {
        if let Some(bound) = broke(name, below) {
            let msg = format!("Input should be {words} {bound}");
            return (kind, msg, Some(json!({ key: bound })));
        }
    }
    ("value_error", "Value error, out of range".to_owned(), None)
}

/// `length(min, max, equal)`: pydantic's kinds for a string, or for a list
/// (`too_short`/`too_long`, with the actual length).
fn length(input: Option<&Value>, param: &Param<'_>) -> (&'static str, String, Option<Value>) {
    let actual = match input {
        Some(Value::String(text)) => Some(text.chars().count()),
        Some(Value::Array(items)) => Some(items.len()),
        Some(Value::Object(entries)) => Some(entries.len()),
        _ => None,
    };
    let bound = |name: &str| param(name).and_then(Value::as_u64);
    let (min, max) = match bound("equal") {
        Some(equal) => (Some(equal), Some(equal)),
        None => (bound("min"), bound("max")),
    };
    let too_short = match (actual, min) {
        (Some(actual), Some(min)) => (actual as u64) < min,
        _ => max.is_none(),
    };
    let text = matches!(input, Some(Value::String(_)));
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    match (text, too_short) {
        (true, true) => {
            let min = min.unwrap_or_default();
            let msg = format!("String should have at least {min} character{}", plural(min));
            ("string_too_short", msg, Some(json!({ "min_length": min })))
        }
        (true, false) => {
            let max = max.unwrap_or_default();
            let msg = format!("String should have at most {max} character{}", plural(max));
            ("string_too_long", msg, Some(json!({ "max_length": max })))
        }
        (false, short) => {
            let field_type = if matches!(input, Some(Value::Object(_))) {
                "Dictionary"
            } else {
                "List"
            };
            let actual = actual.unwrap_or_default();
            let (kind, words, key, limit) = if short {
                (
                    "too_short",
                    "at least",
                    "min_length",
                    min.unwrap_or_default(),
                )
            } else {
                ("too_long", "at most", "max_length", max.unwrap_or_default())
            };
            let msg = format!(
                "{field_type} should have {words} {limit} item{} after validation, not {actual}",
                plural(limit)
            );
            (
                kind,
                msg,
                Some(json!({ "field_type": field_type, key: limit, "actual_length": actual })),
            )
        }
    }
}

/// Why an address is not one, in the words of Python's `email-validator`,
/// which FastAPI's `EmailStr` reports.
fn email_reason(input: Option<&Value>) -> &'static str {
    let Some(address) = input.and_then(Value::as_str) else {
        return "The email address is not valid.";
    };
    match address.rsplit_once('@') {
        None => "An email address must have an @-sign.",
        Some(("", _)) => "There must be something before the @-sign.",
        Some((_, "")) => "There must be something after the @-sign.",
        Some(_) => "The email address is not valid.",
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::json;
    use validator::{ValidationError, ValidationErrors};

    use super::details;

    fn failure(
        code: &'static str,
        params: &[(&'static str, serde_json::Value)],
    ) -> ValidationError {
        let mut failure = ValidationError::new(code);
        for (name, value) in params {
            failure.add_param(Cow::Borrowed(*name), value);
        }
        failure
    }

    fn report(errors: &ValidationErrors) -> serde_json::Value {
        let mut out = Vec::new();
        details(errors, &mut vec![json!("body")], &mut out);
        serde_json::to_value(out).unwrap()
    }

    #[test]
    fn range_names_the_bound_that_was_broken() {
        let mut errors = ValidationErrors::new();
        let params = [("min", json!(1)), ("max", json!(100)), ("value", json!(0))];
        errors.add("limit", failure("range", &params));
        let params = [
            ("min", json!(1)),
            ("max", json!(100)),
            ("value", json!(101)),
        ];
        errors.add("page", failure("range", &params));
        let params = [("exclusive_min", json!(0.0)), ("value", json!(0.0))];
        errors.add("price", failure("range", &params));
        assert_eq!(
            report(&errors),
            json!([
                {"type": "greater_than_equal", "loc": ["body", "limit"], "msg": "Input should be greater than or equal to 1", "input": 0, "ctx": {"ge": 1}},
                {"type": "less_than_equal", "loc": ["body", "page"], "msg": "Input should be less than or equal to 100", "input": 101, "ctx": {"le": 100}},
                {"type": "greater_than", "loc": ["body", "price"], "msg": "Input should be greater than 0.0", "input": 0.0, "ctx": {"gt": 0.0}},
            ])
        );
    }

    #[test]
    fn length_tells_strings_from_lists() {
        let mut errors = ValidationErrors::new();
        let params = [("min", json!(3)), ("value", json!("ab"))];
        errors.add("name", failure("length", &params));
        let params = [("max", json!(1)), ("value", json!("abc"))];
        errors.add("initial", failure("length", &params));
        let params = [("min", json!(1)), ("value", json!([]))];
        errors.add("tags", failure("length", &params));
        assert_eq!(
            report(&errors),
            json!([
                {"type": "string_too_long", "loc": ["body", "initial"], "msg": "String should have at most 1 character", "input": "abc", "ctx": {"max_length": 1}},
                {"type": "string_too_short", "loc": ["body", "name"], "msg": "String should have at least 3 characters", "input": "ab", "ctx": {"min_length": 3}},
                {"type": "too_short", "loc": ["body", "tags"], "msg": "List should have at least 1 item after validation, not 0", "input": [], "ctx": {"field_type": "List", "min_length": 1, "actual_length": 0}},
            ])
        );
    }

    #[test]
    fn email_and_custom_codes_are_value_errors() {
        let mut errors = ValidationErrors::new();
        errors.add("email", failure("email", &[("value", json!("nobody"))]));
        let custom =
            ValidationError::new("reserved").with_message(Cow::Borrowed("this name is taken"));
        errors.add("name", custom);
        assert_eq!(
            report(&errors),
            json!([
                {"type": "value_error", "loc": ["body", "email"], "msg": "value is not a valid email address: An email address must have an @-sign.", "input": "nobody", "ctx": {"reason": "An email address must have an @-sign."}},
                {"type": "value_error", "loc": ["body", "name"], "msg": "this name is taken", "input": null, "ctx": {"error": "this name is taken"}},
            ])
        );
    }

    #[test]
    fn nested_and_listed_failures_carry_their_whole_path() {
        let mut address = ValidationErrors::new();
        address.add(
            "zip",
            failure("length", &[("equal", json!(5)), ("value", json!("123"))]),
        );
        let mut item = ValidationErrors::new();
        item.add(
            "qty",
            failure("range", &[("min", json!(1)), ("value", json!(0))]),
        );
        let mut errors = ValidationErrors::new();
        errors.merge_self("address", Err(address));
        errors.errors_mut().insert(
            Cow::Borrowed("items"),
            validator::ValidationErrorsKind::List([(2, Box::new(item))].into_iter().collect()),
        );
        let report = report(&errors);
        let locs: Vec<_> = report
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["loc"].clone())
            .collect();
        assert_eq!(
            locs,
            [
                json!(["body", "address", "zip"]),
                json!(["body", "items", 2, "qty"])
            ]
        );
    }
}
