//! A deserializer that reads a struct from a JSON object only.
//!
//! serde's derived structs also accept a sequence of their fields in
//! order (`["pen", 3]` for `{"name": "pen", "count": 3}`), which
//! serde_json passes on; pydantic refuses it (`model_attributes_type`),
//! and so does atode. [`Objects`] wraps a deserializer, and every one it
//! hands to a nested value, so that `deserialize_struct`, wherever it is
//! called, refuses a sequence. It holds nothing but the wrapped value: a
//! body that fits costs no allocation more.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};

/// `D`, reading structs from objects only.
pub(crate) struct Objects<D>(pub(crate) D);

/// `V`, refusing a sequence when `struct_like`.
struct Visit<V> {
    inner: V,
    struct_like: bool,
}

impl<V> Visit<V> {
    fn any(inner: V) -> Self {
        Visit {
            inner,
            struct_like: false,
        }
    }

    fn struct_like(inner: V) -> Self {
        Visit {
            inner,
            struct_like: true,
        }
    }
}

/// Each method passes its visitor on, wrapped; `$kind` says how.
macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*) $kind:ident;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method($($arg,)* Visit::$kind(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Objects<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any() any;
        deserialize_bool() any;
        deserialize_i8() any;
        deserialize_i16() any;
        deserialize_i32() any;
        deserialize_i64() any;
        deserialize_i128() any;
        deserialize_u8() any;
        deserialize_u16() any;
        deserialize_u32() any;
        deserialize_u64() any;
        deserialize_u128() any;
        deserialize_f32() any;
        deserialize_f64() any;
        deserialize_char() any;
        deserialize_str() any;
        deserialize_string() any;
        deserialize_bytes() any;
        deserialize_byte_buf() any;
        deserialize_option() any;
        deserialize_unit() any;
        deserialize_unit_struct(name: &'static str) any;
        deserialize_newtype_struct(name: &'static str) any;
        deserialize_seq() any;
        deserialize_tuple(len: usize) any;
        deserialize_tuple_struct(name: &'static str, len: usize) any;
        deserialize_map() any;
        deserialize_struct(name: &'static str, fields: &'static [&'static str]) struct_like;
        deserialize_enum(name: &'static str, variants: &'static [&'static str]) any;
        deserialize_identifier() any;
        deserialize_ignored_any() any;
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Each method passes its value on unchanged.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
                self.inner.$method(value)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(formatter)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Objects(deserializer))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Objects(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.struct_like {
            // The same words serde uses for a struct given a string or a
            // number, so the 422 names all of them alike.
            return Err(de::Error::invalid_type(Unexpected::Seq, &self));
        }
        self.inner.visit_seq(Objects(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Objects(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Objects(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Objects<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Objects(deserializer))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Objects<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Objects(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Objects<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        // A key is a string in JSON: no struct to read there.
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Objects(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Objects<A> {
    type Error = A::Error;
    type Variant = Objects<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Objects<A::Variant>), A::Error> {
        let (value, variant) = self.0.variant_seed(seed)?;
        Ok((value, Objects(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Objects<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Objects(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Visit::any(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Visit::struct_like(visitor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        name: String,
        count: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Order {
        item: Option<Item>,
        items: Vec<Item>,
        pair: (u8, u8),
        tagged: Shape,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Shape {
        Point(u8, u8),
        Square { side: u8 },
    }

    fn read<T: de::DeserializeOwned>(json: &str) -> Result<T, String> {
        let mut json = serde_json::Deserializer::from_str(json);
        T::deserialize(Objects(&mut json)).map_err(|error| error.to_string())
    }

    #[test]
    fn a_struct_is_read_from_an_object_and_sequences_stay_sequences() {
        let order: Order = read(
            r#"{"item": {"name": "pen", "count": 1}, "items": [{"name": "ink", "count": 2}],
                "pair": [1, 2], "tagged": {"Point": [3, 4]}}"#,
        )
        .unwrap();
        assert_eq!(order.items[0].name, "ink");
        assert_eq!((order.pair, order.tagged), ((1, 2), Shape::Point(3, 4)));
        let square: Shape = read(r#"{"Square": {"side": 5}}"#).unwrap();
        assert_eq!(square, Shape::Square { side: 5 });
        // serde_json alone takes the sequence: the wrapper is what refuses it.
        assert!(serde_json::from_str::<Item>(r#"["pen", 1]"#).is_ok());
    }

    #[test]
    fn a_sequence_given_for_a_struct_is_refused_at_any_depth() {
        let refused = "invalid type: sequence, expected struct Item";
        assert!(
            read::<Item>(r#"["pen", 1]"#)
                .unwrap_err()
                .starts_with(refused)
        );
        let nested = [
            r#"{"item": ["pen", 1], "items": [], "pair": [1, 2], "tagged": {"Point": [3, 4]}}"#,
            r#"{"item": null, "items": [["pen", 1]], "pair": [1, 2], "tagged": {"Point": [3, 4]}}"#,
        ];
        for json in nested {
            assert!(
                read::<Order>(json).unwrap_err().starts_with(refused),
                "{json}"
            );
        }
        let variant = read::<Shape>(r#"{"Square": [5]}"#).unwrap_err();
        assert!(
            variant.starts_with("invalid type: sequence, expected struct variant Shape::Square"),
            "{variant}"
        );
        // Through serde_json's own `Value` too, which the 422 reads again.
        let value = serde_json::json!({ "item": ["pen", 1] });
        let error = Option::<Item>::deserialize(Objects(&value["item"])).unwrap_err();
        assert!(error.to_string().starts_with(refused), "{error}");
    }
}
