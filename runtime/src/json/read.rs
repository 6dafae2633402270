//! Reading a JSON body into `T`, and the `422` in pydantic's words when it
//! does not fit.
//!
//! The body is first read in one pass with no path tracked, so a body
//! that fits pays for nothing more. One that does not is read again as a
//! `serde_json::Value`, as FastAPI reads a body before pydantic validates
//! it: that reading finds a syntax error further on (`json_invalid`), and
//! gives what pydantic echoes as `input` (the offending value, or the
//! object a field is missing from). Reading `T` from that value once more,
//! with its path tracked, gives `loc`. Each is one pass over a body the
//! body limit bounds.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::objects::Objects;
use crate::extract::{ErrorDetail, ValidationError};

const INTEGER: &str = "Input should be a valid integer";
const NUMBER: &str = "Input should be a valid number";

/// `T` from `body`, read to its end, structs from objects only.
pub(super) fn read<T: DeserializeOwned>(body: &[u8]) -> Result<T, ValidationError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let fits = T::deserialize(Objects(&mut json)).and_then(|value| json.end().map(|()| value));
    fits.or_else(|error| recover(&error, body))
}

/// `T` from `body`, which did not fit `T` at the first reading (`error`),
/// or the `422` that says why.
///
/// A float without a fraction where `T` takes an integer (`36.0`) is
/// taken as that integer: JSON Schema (and so the OpenAPI document) counts
/// it as one, and so does FastAPI; serde does not.
fn recover<T: DeserializeOwned>(
    error: &serde_json::Error,
    body: &[u8],
) -> Result<T, ValidationError> {
    if is_syntax(error) {
        return Err(syntax(error, body));
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| syntax(&error, body))?;
    let error = match serde_path_to_error::deserialize(Objects(&value)) {
        Ok(fits) => return Ok(fits),
        Err(error) => error,
    };
    let error = if is_float_for_integer(error.inner()) {
        let mut integral = value.clone();
        integers(&mut integral);
        match serde_path_to_error::deserialize(Objects(&integral)) {
            Ok(fits) => return Ok(fits),
            Err(error) => error,
        }
    } else {
        error
    };
    Err(ValidationError::new(vec![detail(&error, &value)]))
}

fn is_syntax(error: &serde_json::Error) -> bool {
    use serde_json::error::Category;
    matches!(
        error.classify(),
        Category::Syntax | Category::Eof | Category::Io
    )
}

/// The `422` for a body that is not JSON: where the syntax broke, as a
/// character offset (serde_json gives a line and a column), in FastAPI's
/// words; an empty body is a missing one, as FastAPI counts it.
fn syntax(error: &serde_json::Error, body: &[u8]) -> ValidationError {
    if body.is_empty() {
        return ValidationError::new(vec![ErrorDetail {
            kind: "missing",
            loc: vec!["body".into()],
            msg: "Field required".to_owned(),
            input: None,
            ctx: None,
        }]);
    }
    // serde_json gives a line and a byte column; FastAPI a character
    // offset, and for a body that ends too soon, its end.
    let bytes = if error.is_eof() {
        body.len()
    } else {
        let lines: usize = body
            .split_inclusive(|&byte| byte == b'\n')
            .take(error.line().saturating_sub(1))
            .map(<[u8]>::len)
            .sum();
        (lines + error.column().saturating_sub(1)).min(body.len())
    };
    let offset = String::from_utf8_lossy(&body[..bytes]).chars().count();
    ValidationError::new(vec![ErrorDetail {
        kind: "json_invalid",
        loc: vec!["body".into(), offset.into()],
        msg: "JSON decode error".to_owned(),
        // FastAPI's, for a body it could not decode.
        input: Some(json!({})),
        ctx: Some(json!({ "error": without_position(error) })),
    }])
}

/// serde's message without the position it ends with, which `loc` carries.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(end) => message[..end].to_owned(),
        None => message,
    }
}

fn is_float_for_integer(error: &serde_json::Error) -> bool {
    let message = error.to_string();
    message.starts_with("invalid type: floating point")
        && matches!(
            expected(&message).map(Expected::of),
            Some(Expected::Integer)
        )
}

/// Every float in `value` that has no fraction, made an integer.
fn integers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number
                .as_f64()
                .filter(|f| number.is_f64() && f.fract() == 0.0)
            {
                // `as` saturates; a float beyond 2^64 stays a float.
                if (0.0..18_446_744_073_709_551_616.0).contains(&float) {
                    *number = (float as u64).into();
                } else if (-9_223_372_036_854_775_808.0..0.0).contains(&float) {
                    *number = (float as i64).into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers),
        Value::Object(fields) => fields.values_mut().for_each(integers),
        _ => {}
    }
}

/// What `value` (the body) does wrong at `error`'s path, as pydantic
/// reports it: its kind, `loc` from `"body"` on, and the input there.
fn detail(error: &serde_path_to_error::Error<serde_json::Error>, value: &Value) -> ErrorDetail {
    let mut loc: Vec<Value> = vec!["body".into()];
    let mut input = Some(value);
    for segment in error.path() {
        use serde_path_to_error::Segment;
        match segment {
            Segment::Seq { index } => {
                loc.push((*index).into());
                input = input.and_then(|value| value.get(index));
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                loc.push(key.as_str().into());
                input = input.and_then(|value| value.get(key));
            }
            Segment::Unknown => {
                loc.push("?".into());
                input = None;
            }
        }
    }
    let message = error.inner().to_string();
    let message = message
        .rfind(" at line ")
        .map_or(message.as_str(), |end| &message[..end]);
    let (kind, msg, ctx) = if let Some(field) = quoted(message, "missing field `") {
        // `input` stays the object the field is missing from.
        loc.push(field.into());
        ("missing", "Field required".to_owned(), None)
    } else if message.starts_with("unknown field `") {
        // The path already ends at the unknown key.
        (
            "extra_forbidden",
            "Extra inputs are not permitted".to_owned(),
            None,
        )
    } else if message.starts_with("unknown variant `") {
        let expected = expected(message).map(one_of).unwrap_or_default();
        let msg = format!("Input should be {expected}");
        ("enum", msg, Some(json!({ "expected": expected })))
    } else if message.starts_with("invalid type: ") {
        let expected = expected(message).map_or(Expected::Other, Expected::of);
        match expected.mismatch(input) {
            Some((kind, msg)) => (kind, msg.to_owned(), None),
            None => ("value_error", message.to_owned(), None),
        }
    } else {
        // A value of the right type that `T` refuses (`300` for a `u8`),
        // or a message of the type's own: serde's words.
        let kind = match expected(message).map(Expected::of) {
            Some(Expected::Integer) => "int_type",
            Some(Expected::Float) => "float_type",
            _ => "value_error",
        };
        (kind, message.to_owned(), None)
    };
    ErrorDetail {
        kind,
        loc,
        msg,
        input: input.cloned(),
        ctx,
    }
}

/// The text between `prefix` and the next backquote.
fn quoted<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// What serde's message says was expected: the text after `expected `.
fn expected(message: &str) -> Option<&str> {
    message
        .split_once("expected ")
        .map(|(_, expected)| expected)
}

/// serde's list of variants (`one of `a`, `b`, `c``, `` `a` or `b` ``)
/// as pydantic words it: `'a', 'b' or 'c'`.
fn one_of(expected: &str) -> String {
    let names: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|name| format!("'{name}'"))
        .collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The kind of value a type expected, from serde's words for it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expected {
    Integer,
    Float,
    String,
    Bool,
    /// A struct, read from an object's fields.
    Model,
    Map,
    List,
    Tuple,
    Other,
}

impl Expected {
    fn of(expected: &str) -> Self {
        const INTEGERS: [&str; 12] = [
            "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        ];
        let words = || expected.split(|c: char| !c.is_ascii_alphanumeric());
        if expected.starts_with("struct ") {
            Expected::Model
        } else if expected == "a map" {
            Expected::Map
        } else if expected == "a sequence" {
            Expected::List
        } else if expected.starts_with("a tuple") {
            Expected::Tuple
        } else if expected == "a boolean" {
            Expected::Bool
        } else if matches!(expected, "a string" | "a borrowed string" | "a character") {
            Expected::String
        } else if words().any(|word| INTEGERS.contains(&word) || word == "integer") {
            Expected::Integer
        } else if words().any(|word| matches!(word, "f32" | "f64")) {
            Expected::Float
        } else {
            Expected::Other
        }
    }

    /// pydantic's kind and message for `input` where this was expected: a
    /// string that does not parse is `*_parsing`, any other value
    /// `*_type`.
    fn mismatch(self, input: Option<&Value>) -> Option<(&'static str, &'static str)> {
        let text = matches!(input, Some(Value::String(_)));
        let number = matches!(input, Some(Value::Number(_)));
        let fraction = input
            .and_then(Value::as_f64)
            .is_some_and(|float| float.fract() != 0.0);
        Some(match self {
            Expected::Integer if text => (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            Expected::Integer if fraction => (
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            ),
            Expected::Integer => ("int_type", INTEGER),
            Expected::Float if text => (
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            ),
            Expected::Float => ("float_type", NUMBER),
            Expected::String => ("string_type", "Input should be a valid string"),
            Expected::Bool if text || number => (
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            ),
            Expected::Bool => ("bool_type", "Input should be a valid boolean"),
            Expected::Model => (
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            ),
            Expected::Map => ("dict_type", "Input should be a valid dictionary"),
            Expected::List => ("list_type", "Input should be a valid list"),
            Expected::Tuple => ("tuple_type", "Input should be a valid tuple"),
            Expected::Other => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        price: f64,
        qty: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        Red,
        Green,
        Blue,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        count: u32,
        #[serde(default)]
        flag: bool,
        inner: Option<Inner>,
        #[serde(default)]
        items: Vec<Inner>,
        #[serde(default)]
        tags: HashMap<String, u32>,
        #[serde(default)]
        pair: (u8, u8),
        color: Option<Color>,
    }

    /// The body's one 422 detail as JSON; panics if the body fits.
    fn rejected(body: &str) -> Value {
        let refused = read::<Item>(body.as_bytes()).expect_err("the body does not fit");
        let details = serde_json::to_value(refused.details()).unwrap();
        assert_eq!(details.as_array().map(Vec::len), Some(1), "{details}");
        details[0].clone()
    }

    /// Each case as FastAPI 0.115 with pydantic 2 answers it.
    #[test]
    fn every_kind_of_mismatch_is_worded_as_pydantic_words_it() {
        let cases = [
            (
                r#"["pen", 1]"#,
                json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": ["pen", 1]}),
            ),
            (
                r#"{"name": "a", "count": 1, "inner": [1, 2]}"#,
                json!({"type": "model_attributes_type", "loc": ["body", "inner"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1, 2]}),
            ),
            (
                r#"{"name": "a", "count": 1, "items": [{"price": 1, "qty": 1}, [1]]}"#,
                json!({"type": "model_attributes_type", "loc": ["body", "items", 1], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1]}),
            ),
            (
                r#"3"#,
                json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": 3}),
            ),
            (
                r#"{"name": 3, "count": 1}"#,
                json!({"type": "string_type", "loc": ["body", "name"], "msg": "Input should be a valid string", "input": 3}),
            ),
            (
                r#"{"name": "a", "count": "x"}"#,
                json!({"type": "int_parsing", "loc": ["body", "count"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}),
            ),
            (
                r#"{"name": "a", "count": 1.5}"#,
                json!({"type": "int_from_float", "loc": ["body", "count"], "msg": "Input should be a valid integer, got a number with a fractional part", "input": 1.5}),
            ),
            (
                r#"{"name": "a", "count": [1]}"#,
                json!({"type": "int_type", "loc": ["body", "count"], "msg": "Input should be a valid integer", "input": [1]}),
            ),
            (
                r#"{"name": "a", "count": null}"#,
                json!({"type": "int_type", "loc": ["body", "count"], "msg": "Input should be a valid integer", "input": null}),
            ),
            (
                r#"{"name": "a"}"#,
                json!({"type": "missing", "loc": ["body", "count"], "msg": "Field required", "input": {"name": "a"}}),
            ),
            (
                r#"{"name": "a", "count": 1, "items": [{"price": 1}]}"#,
                json!({"type": "missing", "loc": ["body", "items", 0, "qty"], "msg": "Field required", "input": {"price": 1}}),
            ),
            (
                r#"{"name": "a", "count": 1, "items": [{"price": "cheap", "qty": 1}]}"#,
                json!({"type": "float_parsing", "loc": ["body", "items", 0, "price"], "msg": "Input should be a valid number, unable to parse string as a number", "input": "cheap"}),
            ),
            (
                r#"{"name": "a", "count": 1, "items": [{"price": [1], "qty": 1}]}"#,
                json!({"type": "float_type", "loc": ["body", "items", 0, "price"], "msg": "Input should be a valid number", "input": [1]}),
            ),
            (
                r#"{"name": "a", "count": 1, "flag": "maybe"}"#,
                json!({"type": "bool_parsing", "loc": ["body", "flag"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}),
            ),
            (
                r#"{"name": "a", "count": 1, "flag": 2}"#,
                json!({"type": "bool_parsing", "loc": ["body", "flag"], "msg": "Input should be a valid boolean, unable to interpret input", "input": 2}),
            ),
            (
                r#"{"name": "a", "count": 1, "flag": [1]}"#,
                json!({"type": "bool_type", "loc": ["body", "flag"], "msg": "Input should be a valid boolean", "input": [1]}),
            ),
            (
                r#"{"name": "a", "count": 1, "tags": [1]}"#,
                json!({"type": "dict_type", "loc": ["body", "tags"], "msg": "Input should be a valid dictionary", "input": [1]}),
            ),
            (
                r#"{"name": "a", "count": 1, "tags": {"a": "x"}}"#,
                json!({"type": "int_parsing", "loc": ["body", "tags", "a"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}),
            ),
            (
                r#"{"name": "a", "count": 1, "items": {"a": 1}}"#,
                json!({"type": "list_type", "loc": ["body", "items"], "msg": "Input should be a valid list", "input": {"a": 1}}),
            ),
            (
                r#"{"name": "a", "count": 1, "pair": 5}"#,
                json!({"type": "tuple_type", "loc": ["body", "pair"], "msg": "Input should be a valid tuple", "input": 5}),
            ),
            (
                r#"{"name": "a", "count": 1, "x": 1}"#,
                json!({"type": "extra_forbidden", "loc": ["body", "x"], "msg": "Extra inputs are not permitted", "input": 1}),
            ),
            (
                r#"{"name": "a", "count": 1, "color": "pink"}"#,
                json!({"type": "enum", "loc": ["body", "color"], "msg": "Input should be 'red', 'green' or 'blue'", "input": "pink", "ctx": {"expected": "'red', 'green' or 'blue'"}}),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(rejected(body), expected, "{body}");
        }
    }

    #[test]
    fn broken_json_anywhere_is_json_invalid_even_after_a_mismatch() {
        // serde stops at `"name": 3`; FastAPI decodes the whole body first.
        let detail = rejected(r#"{"name": 3, "count": "#);
        assert_eq!(detail["type"], "json_invalid");
        assert_eq!(detail["loc"], json!(["body", 21]));
        assert_eq!(detail["msg"], "JSON decode error");
        assert_eq!(detail["input"], json!({}));
        assert_eq!(detail["ctx"]["error"], "EOF while parsing a value");
        // Offsets in characters, as FastAPI gives them.
        for (body, offset) in [
            (r#"{"name": "Foo",}"#, 15),
            (r#"{"name": "a""#, 12),
            (r#"{"name": "a", "count": 1} x"#, 26),
            ("{\"name\": \"a\", \"count\": 1}\n\n x", 28),
            ("{\n\"name\": 3, \"x\": ]", 18),
            (r#"{"name": "café", "x": }"#, 22),
        ] {
            assert_eq!(rejected(body)["loc"], json!(["body", offset]), "{body}");
        }
        let detail = rejected("");
        assert_eq!(
            detail,
            json!({"type": "missing", "loc": ["body"], "msg": "Field required", "input": null})
        );
    }

    #[test]
    fn integral_floats_are_integers_and_the_next_problem_is_the_one_reported() {
        let item: Item = read(br#"{"name": "a", "count": 2.0}"#).unwrap();
        assert_eq!(item.count, 2);
        let body = r#"{"name": "a", "count": 2.0, "flag": "maybe"}"#;
        assert_eq!(rejected(body)["loc"], json!(["body", "flag"]));
    }

    #[test]
    fn variants_are_listed_as_pydantic_lists_them() {
        assert_eq!(one_of("`a`"), "'a'");
        assert_eq!(one_of("`a` or `b`"), "'a' or 'b'");
        assert_eq!(one_of("one of `a`, `b`, `c`"), "'a', 'b' or 'c'");
        assert_eq!(one_of("there are no variants"), "");
    }
}
