//! `TaskId`: the name a durable task's call gets when it is queued.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of one queued call of a durable task: what
/// [`add_task`](crate::BackgroundTasks::add_task) returns for a
/// [`#[task]`](crate::durable::task), known before the call is written to
/// the queue, so a handler can put it in its response.
///
/// It reads and parses as a UUID (version 4), so it can be a path
/// parameter:
///
/// ```
/// use atode::durable::TaskId;
///
/// let id = TaskId::random();
/// let text = id.to_string();
/// assert_eq!(text.len(), 36);
/// assert_eq!(text.parse::<TaskId>().unwrap(), id);
/// assert!("not-an-id".parse::<TaskId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u128);

impl TaskId {
    /// A new random id.
    pub fn random() -> Self {
        let bits: u128 = rand::random();
        // The version (4) and variant (RFC 9562) bits of a random UUID.
        TaskId((bits & !(0xF << 76) & !(0b11 << 62)) | (0x4 << 76) | (0b10 << 62))
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = format!("{:032x}", self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({self})")
    }
}

/// Why a string is not a [`TaskId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseTaskIdError;

impl fmt::Display for ParseTaskIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a task id is a UUID: 32 hexadecimal digits in groups of 8-4-4-4-12")
    }
}

impl std::error::Error for ParseTaskIdError {}

impl FromStr for TaskId {
    type Err = ParseTaskIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
        if lengths != [8, 4, 4, 4, 12] {
            return Err(ParseTaskIdError);
        }
        let hex: String = groups.concat();
        if !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(ParseTaskIdError);
        }
        u128::from_str_radix(&hex, 16)
            .map(TaskId)
            .map_err(|_| ParseTaskIdError)
    }
}

/// A UUID, as text.
#[cfg(feature = "openapi")]
impl schemars::JsonSchema for TaskId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TaskId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "uuid" })
    }

    fn inline_schema() -> bool {
        true
    }
}

impl Serialize for TaskId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TaskId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_differ_and_carry_the_version_bits() {
        let (a, b) = (TaskId::random(), TaskId::random());
        assert_ne!(a, b);
        let text = a.to_string();
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn an_id_round_trips_through_json() {
        let id = TaskId::random();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<TaskId>(&json).unwrap(), id);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "0123456789abcdef0123456789abcdef",
            "0123456-89ab-cdef-0123-456789abcdef0",
            "g1234567-89ab-cdef-0123-456789abcdef",
            "+1234567-89ab-cdef-0123-456789abcdef",
        ] {
            assert!(bad.parse::<TaskId>().is_err(), "{bad:?}");
        }
    }
}
