//! A serde deserializer for `application/x-www-form-urlencoded` data (query
//! strings and form bodies) whose errors say which field failed, in
//! FastAPI's shape. A value that does not parse is recorded and replaced by
//! a placeholder so the rest still gets checked: the `422` lists every bad
//! value at once (and the first missing field, where serde stops).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{self, Display};

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::decode::form_decode;
use super::{ErrorDetail, ValidationError};

/// The most `name=value` pairs a query string or form is read with unless
/// the app says otherwise ([`App::max_fields`](crate::App::max_fields)):
/// Starlette's default for forms.
pub const DEFAULT_MAX_FIELDS: usize = 1_000;

/// Up to this many distinct keys are grouped by a scan of those seen so far
/// (no allocation for an index); past it, by a hash map, so that grouping
/// stays linear in the number of pairs.
const SCANNED_KEYS: usize = 16;

/// Deserializes `raw` (`a=1&b=x`) into `T`; `source` (`"query"`, `"body"`)
/// starts each error's `loc`. More than `max_fields` pairs is a `422` read
/// no further, so the largest input allowed costs linear work in its length.
pub(crate) fn from_urlencoded<T: DeserializeOwned>(
    raw: &str,
    source: &'static str,
    max_fields: usize,
) -> Result<T, ValidationError> {
    let errors = RefCell::new(Vec::new());
    let mut groups = Groups::default();
    for (count, pair) in raw.split('&').filter(|pair| !pair.is_empty()).enumerate() {
        if count == max_fields {
            return Err(ValidationError::new(vec![too_many_fields(
                source, max_fields,
            )]));
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(key), Some(value)) = (form_decode(key), form_decode(value)) else {
            errors.borrow_mut().push(detail(
                "string_unicode",
                vec![source.into()],
                "Input should be a valid string, unable to parse raw data as a unicode string",
                Some(pair),
            ));
            continue;
        };
        groups.push(key.into_owned(), value.into_owned());
    }
    let result = T::deserialize(Document {
        groups: groups.groups,
        source,
        errors: &errors,
    });
    let mut details = errors.into_inner();
    match result {
        Ok(value) if details.is_empty() => Ok(value),
        Ok(_) => Err(ValidationError::new(details)),
        Err(error) => {
            details.push(error.into_detail(source));
            Err(ValidationError::new(details))
        }
    }
}

/// The `422` for a query string or form of more than `max` pairs.
fn too_many_fields(source: &'static str, max: usize) -> ErrorDetail {
    ErrorDetail {
        kind: "too_many_fields",
        loc: vec![source.into()],
        msg: format!("Too many fields: at most {max} name=value pairs are accepted"),
        input: None,
        ctx: Some(serde_json::json!({ "max_fields": max })),
    }
}

/// Each key with its values, in the order the keys first appear.
#[derive(Default)]
struct Groups {
    groups: Vec<(String, Vec<String>)>,
    /// Each key's place in `groups`, once there are more than
    /// `SCANNED_KEYS` of them.
    index: HashMap<String, usize>,
}

impl Groups {
    fn push(&mut self, key: String, value: String) {
        let known = if self.groups.len() <= SCANNED_KEYS {
            self.groups.iter().position(|(known, _)| *known == key)
        } else {
            self.index.get(&key).copied()
        };
        match known {
            Some(at) => self.groups[at].1.push(value),
            None => {
                if self.groups.len() == SCANNED_KEYS {
                    // The scan's last turn: from here on, keys are found by hash.
                    self.index = (self.groups.iter().enumerate())
                        .map(|(at, (known, _))| (known.clone(), at))
                        .collect();
                }
                if self.groups.len() >= SCANNED_KEYS {
                    self.index.insert(key.clone(), self.groups.len());
                }
                self.groups.push((key, vec![value]));
            }
        }
    }
}

fn detail(
    kind: &'static str,
    loc: Vec<serde_json::Value>,
    msg: &str,
    input: Option<&str>,
) -> ErrorDetail {
    ErrorDetail {
        kind,
        loc,
        msg: msg.to_owned(),
        input: input.map(Into::into),
        ctx: None,
    }
}

/// A deserialization failure, located once its field is known.
#[derive(Debug)]
pub(crate) struct Error {
    kind: &'static str,
    field: Option<String>,
    msg: String,
    input: Option<String>,
}

impl Error {
    fn into_detail(self, source: &'static str) -> ErrorDetail {
        let mut loc = vec![serde_json::Value::from(source)];
        loc.extend(self.field.map(serde_json::Value::from));
        ErrorDetail {
            kind: self.kind,
            loc,
            msg: self.msg,
            input: self.input.map(Into::into),
            ctx: None,
        }
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error {
            kind: "value_error",
            field: None,
            msg: msg.to_string(),
            input: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Error {
            kind: "missing",
            field: Some(field.to_owned()),
            msg: "Field required".to_owned(),
            input: None,
        }
    }
}

/// The whole query or form: a map from each key to its values.
struct Document<'e> {
    groups: Vec<(String, Vec<String>)>,
    source: &'static str,
    errors: &'e RefCell<Vec<ErrorDetail>>,
}

impl<'de> de::Deserializer<'de> for Document<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Fields {
            groups: self.groups.into_iter(),
            pending: None,
            source: self.source,
            errors: self.errors,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct Fields<'e> {
    groups: std::vec::IntoIter<(String, Vec<String>)>,
    pending: Option<(String, Vec<String>)>,
    source: &'static str,
    errors: &'e RefCell<Vec<ErrorDetail>>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, values)) = self.groups.next() else {
            return Ok(None);
        };
        let parsed = seed.deserialize(key.clone().into_deserializer())?;
        self.pending = Some((key, values));
        Ok(Some(parsed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, values) = self
            .pending
            .take()
            .ok_or_else(|| de::Error::custom("a value asked for before its key"))?;
        seed.deserialize(Value {
            key: &key,
            values,
            source: self.source,
            errors: self.errors,
        })
    }
}

/// One key's values. A scalar field takes the last, as FastAPI does; a
/// sequence field takes them all.
struct Value<'k, 'e> {
    key: &'k str,
    values: Vec<String>,
    source: &'static str,
    errors: &'e RefCell<Vec<ErrorDetail>>,
}

impl Value<'_, '_> {
    fn last(&self) -> &str {
        self.values.last().map_or("", String::as_str)
    }

    /// Parses the value, or records why not and hands back `placeholder`,
    /// so the other fields are still checked.
    fn parse<T: std::str::FromStr>(&self, kind: &'static str, msg: &str, placeholder: T) -> T {
        match self.last().parse() {
            Ok(value) => value,
            Err(_) => {
                let loc = vec![self.source.into(), self.key.into()];
                self.errors
                    .borrow_mut()
                    .push(detail(kind, loc, msg, Some(self.last())));
                placeholder
            }
        }
    }

    fn locate(&self, mut error: Error) -> Error {
        error.field.get_or_insert_with(|| self.key.to_owned());
        error.input.get_or_insert_with(|| self.last().to_owned());
        error
    }
}

const INT: &str = "Input should be a valid integer, unable to parse string as an integer";
const FLOAT: &str = "Input should be a valid number, unable to parse string as a number";

macro_rules! parse_numbers {
    ($($method:ident => $visit:ident: $ty:ty, $kind:literal, $msg:expr;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                let value: $ty = self.parse($kind, $msg, <$ty>::default());
                visitor.$visit(value).map_err(|error| self.locate(error))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Value<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = self.last().to_owned();
        visitor
            .visit_string(value)
            .map_err(|error| self.locate(error))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // The spellings pydantic accepts.
        let value = match self.last().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => true,
            "false" | "0" | "no" | "off" | "f" | "n" => false,
            _ => self.parse(
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
                false,
            ),
        };
        visitor
            .visit_bool(value)
            .map_err(|error| self.locate(error))
    }

    parse_numbers! {
        deserialize_i8 => visit_i8: i8, "int_parsing", INT;
        deserialize_i16 => visit_i16: i16, "int_parsing", INT;
        deserialize_i32 => visit_i32: i32, "int_parsing", INT;
        deserialize_i64 => visit_i64: i64, "int_parsing", INT;
        deserialize_i128 => visit_i128: i128, "int_parsing", INT;
        deserialize_u8 => visit_u8: u8, "int_parsing", INT;
        deserialize_u16 => visit_u16: u16, "int_parsing", INT;
        deserialize_u32 => visit_u32: u32, "int_parsing", INT;
        deserialize_u64 => visit_u64: u64, "int_parsing", INT;
        deserialize_u128 => visit_u128: u128, "int_parsing", INT;
        deserialize_f32 => visit_f32: f32, "float_parsing", FLOAT;
        deserialize_f64 => visit_f64: f64, "float_parsing", FLOAT;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let Value {
            key,
            values,
            source,
            errors,
        } = self;
        let items = values.into_iter().map(|value| Value {
            key,
            values: vec![value],
            source,
            errors,
        });
        visitor.visit_seq(Items { items })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let value: de::value::StringDeserializer<Error> =
            self.last().to_owned().into_deserializer();
        de::Deserializer::deserialize_enum(value, name, variants, visitor)
            .map_err(|error| self.locate(error))
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

struct Items<I> {
    items: I,
}

impl<'de, 'k, 'e, I: Iterator<Item = Value<'k, 'e>>> SeqAccess<'de> for Items<I> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items
            .next()
            .map(|value| seed.deserialize(value))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Search {
        q: String,
        limit: Option<u32>,
        #[serde(default)]
        tags: Vec<String>,
        exact: Option<bool>,
    }

    fn parse<T: DeserializeOwned>(raw: &str) -> Result<T, ValidationError> {
        from_urlencoded(raw, "query", DEFAULT_MAX_FIELDS)
    }

    fn json(error: ValidationError) -> String {
        serde_json::to_string(&error).expect("json")
    }

    #[test]
    fn reads_scalars_options_and_repeated_keys() {
        let search: Search = parse("q=rust+web&limit=10&tags=a&tags=b%20c&exact=yes").unwrap();
        assert_eq!(
            search,
            Search {
                q: "rust web".into(),
                limit: Some(10),
                tags: vec!["a".into(), "b c".into()],
                exact: Some(true)
            }
        );
        let search: Search = parse("q=x").unwrap();
        assert_eq!(search.limit, None);
    }

    #[test]
    fn a_missing_field_is_reported_fastapis_way() {
        let error = parse::<Search>("limit=3").unwrap_err();
        assert_eq!(
            json(error),
            r#"{"detail":[{"type":"missing","loc":["query","q"],"msg":"Field required","input":null}]}"#
        );
    }

    #[test]
    fn every_bad_value_is_listed_with_the_missing_field() {
        let error = parse::<Search>("limit=many&exact=perhaps").unwrap_err();
        let kinds: Vec<_> = error
            .details()
            .iter()
            .map(|d| (d.kind, d.loc[1].clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("int_parsing", "limit".into()),
                ("bool_parsing", "exact".into()),
                ("missing", "q".into())
            ]
        );
    }

    /// `n` distinct keys, each with a value, and each once more later.
    fn distinct_keys(n: usize) -> String {
        let pairs = (0..n).map(|i| format!("k{i}={i}"));
        pairs.clone().chain(pairs).collect::<Vec<_>>().join("&")
    }

    /// The fastest of three parses of `raw`, in seconds.
    fn fastest_parse(raw: &str) -> f64 {
        (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                let map: std::collections::HashMap<String, Vec<String>> =
                    from_urlencoded(raw, "body", usize::MAX).expect("parses");
                assert_eq!(map.len() * 2, raw.split('&').count());
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn grouping_grows_linearly_with_the_number_of_keys() {
        // Four times the keys must cost about four times the work: a scan
        // of the keys seen so far made it sixteen (40,000 keys took 4.8 s).
        let small = fastest_parse(&distinct_keys(10_000));
        let large = fastest_parse(&distinct_keys(40_000));
        let ratio = large / small;
        let figures =
            format!("10k keys {small:.4} s, 40k keys {large:.4} s: {ratio:.1}x for 4x the keys");
        // The figures, for the note a change to this parser leaves.
        eprintln!("{figures}");
        assert!(ratio < 8.0, "{figures}");
    }

    #[test]
    fn a_key_seen_again_past_the_scanned_few_joins_its_values() {
        // 40 keys: the first 16 grouped by scan, the rest through the index.
        let grouped: std::collections::BTreeMap<String, Vec<u32>> =
            from_urlencoded(&distinct_keys(40), "query", usize::MAX).expect("parses");
        assert_eq!(grouped.len(), 40);
        for (key, values) in grouped {
            let i: u32 = key[1..].parse().expect("k<i>");
            assert_eq!(values, [i, i], "both values of {key}");
        }
    }

    #[test]
    fn more_pairs_than_the_limit_are_refused_in_fastapis_shape() {
        let raw = distinct_keys(3); // six pairs
        assert!(from_urlencoded::<serde_json::Value>(&raw, "body", 6).is_ok());
        let error = from_urlencoded::<serde_json::Value>(&raw, "body", 5).unwrap_err();
        assert_eq!(
            json(error),
            r#"{"detail":[{"type":"too_many_fields","loc":["body"],"msg":"Too many fields: at most 5 name=value pairs are accepted","input":null,"ctx":{"max_fields":5}}]}"#
        );
    }
}
