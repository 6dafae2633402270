//! The document's schemas: one generator for what clients send (serde's
//! `Deserialize` side) and one for what the app answers (`Serialize`), so a
//! type whose two sides differ gets `Name-Input` and `Name-Output`, as
//! FastAPI names them, and every other type gets one `Name`.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use schemars::generate::{Contract, SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};

/// Where the generators put their definitions while the document is being
/// built: placeholders that [`Schemas::finish`] rewrites to the final
/// `#/components/schemas/...` names once both sides are known.
const INPUT_PATH: &str = "/x-atode-input";
const OUTPUT_PATH: &str = "/x-atode-output";
const COMPONENTS: &str = "#/components/schemas/";

/// Which side of serde a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Input,
    Output,
}

impl Side {
    fn prefix(self) -> String {
        match self {
            Side::Input => format!("#{INPUT_PATH}/"),
            Side::Output => format!("#{OUTPUT_PATH}/"),
        }
    }
}

pub(crate) struct Schemas {
    input: SchemaGenerator,
    output: SchemaGenerator,
    /// Schemas atode itself names (`HTTPValidationError`, ...), kept as given.
    fixed: Map<String, Value>,
}

impl Schemas {
    pub(crate) fn new() -> Self {
        let settings = |path: &str, contract: Contract| {
            SchemaSettings::draft2020_12().with(|s| {
                s.definitions_path = path.to_owned().into();
                s.meta_schema = None;
                s.contract = contract;
            })
        };
        Schemas {
            input: settings(INPUT_PATH, Contract::Deserialize).into_generator(),
            output: settings(OUTPUT_PATH, Contract::Serialize).into_generator(),
            fixed: Map::new(),
        }
    }

    /// `T`'s schema as a request reads it: a `$ref` for a named type.
    pub(crate) fn input<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.input.subschema_for::<T>().to_value()
    }

    /// `T`'s schema as a response writes it.
    pub(crate) fn output<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.output.subschema_for::<T>().to_value()
    }

    /// `T`'s own schema as a request reads it, never a `$ref`: for a query
    /// string, whose fields become parameters of their own.
    pub(crate) fn input_inline<T: JsonSchema + ?Sized>(&mut self) -> Value {
        T::json_schema(&mut self.input).to_value()
    }

    /// The input-side definition a `$ref` of [`Schemas::input`] points at.
    pub(crate) fn input_definition(&self, reference: &str) -> Option<&Value> {
        let name = reference.strip_prefix(&Side::Input.prefix())?;
        self.input.definitions().get(name)
    }

    /// A schema of atode's own, under a name it chose; its `$ref`.
    pub(crate) fn fixed(&mut self, name: &str, schema: impl FnOnce() -> Value) -> Value {
        if !self.fixed.contains_key(name) {
            let schema = schema();
            self.fixed.insert(name.to_owned(), schema);
        }
        serde_json::json!({ "$ref": format!("{COMPONENTS}{name}") })
    }

    /// The `components/schemas` object, and `document` (the rest of the
    /// document) with every placeholder reference rewritten to it.
    ///
    /// Also what is ambiguous: schemars numbers a second type of one name
    /// (`Page2` beside `Page`: a generic type's instances, or two types of
    /// one name in different modules), a name that depends on the order
    /// the routes were described in.
    pub(crate) fn finish(mut self, document: &mut Value) -> (Map<String, Value>, Vec<String>) {
        let input = self.input.take_definitions(true);
        let output = self.output.take_definitions(true);
        let ambiguous = numbered(&input)
            .chain(numbered(&output))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|(name, base)| {
                format!(
                    "two types have the schema name `{base}` (`{name}` is the second): \
                     a generic type, or types of one name in different modules; name each with \
                     `#[schemars(rename = \"{base}_for_{{T}}\")]` or another `rename`"
                )
            })
            .collect();
        let split = split_names(&input, &output);
        let rename = |side: Side, name: &str| -> String {
            if split.contains(name) {
                match side {
                    Side::Input => format!("{name}-Input"),
                    Side::Output => format!("{name}-Output"),
                }
            } else {
                name.to_owned()
            }
        };

        let mut components = Map::new();
        for (side, definitions) in [(Side::Input, input), (Side::Output, output)] {
            for (name, mut schema) in definitions {
                let final_name = rename(side, &name);
                if components.contains_key(&final_name) {
                    continue;
                }
                rewrite_refs(&mut schema, &rename);
                components.insert(final_name, schema);
            }
        }
        components.append(&mut self.fixed);
        for schema in components.values_mut() {
            bound_integers(schema);
        }
        rewrite_refs(document, &rename);
        bound_integers(document);
        (components, ambiguous)
    }
}

/// The names schemars numbered to tell two types of one name apart, each
/// with the name they share.
fn numbered(definitions: &Map<String, Value>) -> impl Iterator<Item = (String, String)> + '_ {
    definitions.keys().filter_map(|name| {
        let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let number = &name[base.len()..];
        let numbered = !number.is_empty() && number != "1" && !number.starts_with('0');
        (numbered && definitions.contains_key(base)).then(|| (name.clone(), base.to_owned()))
    })
}

/// The names whose input and output schemas differ, directly or through a
/// type they refer to.
fn split_names(input: &Map<String, Value>, output: &Map<String, Value>) -> BTreeSet<String> {
    let both: Vec<&String> = input.keys().filter(|k| output.contains_key(*k)).collect();
    // Each side's schema with its references made side-neutral.
    let neutral = |schema: &Value| {
        let mut schema = schema.clone();
        rewrite_refs(&mut schema, &|_, name| name.to_owned());
        schema
    };
    let mut split: BTreeSet<String> = both
        .iter()
        .filter(|name| neutral(&input[**name]) != neutral(&output[**name]))
        .map(|name| (*name).clone())
        .collect();
    // A type that refers to a split one splits too: its two schemas then
    // point at different names.
    let refers: BTreeMap<&String, BTreeSet<String>> = both
        .iter()
        .map(|name| {
            let mut names = BTreeSet::new();
            references(&input[*name], &mut names);
            references(&output[*name], &mut names);
            (*name, names)
        })
        .collect();
    loop {
        let before = split.len();
        for (name, names) in &refers {
            if names.iter().any(|n| split.contains(n)) {
                split.insert((*name).clone());
            }
        }
        if split.len() == before {
            return split;
        }
    }
}

/// The definition names `schema` refers to, on either side.
fn references(schema: &Value, names: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                if let Some((_, name)) = parse_ref(reference) {
                    names.insert(name);
                }
            }
            map.values().for_each(|v| references(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, names)),
        _ => {}
    }
}

fn parse_ref(reference: &str) -> Option<(Side, String)> {
    for side in [Side::Input, Side::Output] {
        if let Some(name) = reference.strip_prefix(&side.prefix()) {
            return Some((side, decode_ref_name(name)));
        }
    }
    None
}

/// A JSON pointer token back to the name it encodes (`~1` is `/`, `~0` is `~`).
fn decode_ref_name(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn encode_ref_name(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Rewrites each placeholder `$ref` to `#/components/schemas/<rename(side, name)>`.
fn rewrite_refs(schema: &mut Value, rename: &dyn Fn(Side, &str) -> String) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                if let Some((side, name)) = parse_ref(reference) {
                    *reference = format!("{COMPONENTS}{}", encode_ref_name(&rename(side, &name)));
                }
            }
            map.values_mut().for_each(|v| rewrite_refs(v, rename));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, rename)),
        _ => {}
    }
}

/// Gives each integer schema with a Rust width (`"format": "uint8"`, ...)
/// the bounds of that width: what the server accepts, said in JSON Schema
/// terms a client (or a test generator) understands, where `format` alone
/// is only a hint.
fn bound_integers(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let bounds: Option<(i128, i128)> = match map.get("format").and_then(Value::as_str) {
                Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
                Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                // `isize` and `usize`, as wide as on the 64-bit targets atode serves from.
                Some("int64" | "int") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("uint8") => Some((0, u8::MAX.into())),
                Some("uint16") => Some((0, u16::MAX.into())),
                Some("uint32") => Some((0, u32::MAX.into())),
                Some("uint64" | "uint") => Some((0, u64::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                let number = |n: i128| {
                    i64::try_from(n)
                        .map(Value::from)
                        .or_else(|_| u64::try_from(n).map(Value::from))
                        .unwrap_or(Value::Null)
                };
                map.entry("minimum").or_insert_with(|| number(min));
                map.entry("maximum").or_insert_with(|| number(max));
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Same {
        name: String,
    }

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Differs {
        #[serde(default)]
        note: String,
    }

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Outer {
        inner: Differs,
    }

    fn finish(schemas: Schemas, mut document: Value) -> (Map<String, Value>, Value) {
        let (components, ambiguous) = schemas.finish(&mut document);
        assert!(ambiguous.is_empty(), "{ambiguous:?}");
        (components, document)
    }

    #[test]
    fn a_type_alike_on_both_sides_has_one_name() {
        let mut schemas = Schemas::new();
        let document = json!([schemas.input::<Same>(), schemas.output::<Same>()]);
        let (components, document) = finish(schemas, document);
        assert_eq!(components.keys().collect::<Vec<_>>(), ["Same"]);
        assert_eq!(document[0]["$ref"], "#/components/schemas/Same");
        assert_eq!(document[1]["$ref"], "#/components/schemas/Same");
    }

    #[test]
    fn a_type_whose_sides_differ_is_split_and_so_is_what_contains_it() {
        // `#[serde(default)]`: optional to send, always answered.
        let mut schemas = Schemas::new();
        let document = json!([schemas.input::<Outer>(), schemas.output::<Outer>()]);
        let (components, document) = finish(schemas, document);
        assert_eq!(
            components.keys().collect::<Vec<_>>(),
            [
                "Differs-Input",
                "Differs-Output",
                "Outer-Input",
                "Outer-Output"
            ]
        );
        assert_eq!(document[0]["$ref"], "#/components/schemas/Outer-Input");
        assert_eq!(document[1]["$ref"], "#/components/schemas/Outer-Output");
        assert_eq!(
            components["Outer-Output"]["properties"]["inner"]["$ref"],
            "#/components/schemas/Differs-Output"
        );
        assert_eq!(components["Differs-Output"]["required"], json!(["note"]));
        assert!(components["Differs-Input"].get("required").is_none());
    }

    #[test]
    fn integers_get_the_bounds_of_their_width() {
        let mut schemas = Schemas::new();
        let document = json!([schemas.input::<u8>(), schemas.input::<i64>()]);
        let (_, document) = finish(schemas, document);
        assert_eq!(
            (&document[0]["minimum"], &document[0]["maximum"]),
            (&json!(0), &json!(255))
        );
        assert_eq!(document[1]["minimum"], json!(i64::MIN));
    }
}
