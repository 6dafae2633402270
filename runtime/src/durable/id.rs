//! `TaskId`: the name a durable task's call gets when it is queued.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of one queued call of a durable task: what
/// [`add_task`](crate::BackgroundTasks::add_task) returns for a
/// [`#[task]`](crate::durable::task), known before the call is written to
/// the queue, so a handler can put it in its response.
///
/// It reads and parses as a UUID, so it can be a path parameter. Made by
/// [`random`](Self::random), it is a version 7 UUID (RFC 9562): the time
/// it was made, to the millisecond, then 74 random bits. The random part
/// keeps it unguessable (a client cannot reach another's calls by trying
/// ids); the time in front keeps the ids of calls made together close in
/// the queue's index on them, where random ids would each land on a page
/// of their own, so a commit of many calls rewrites a few pages of that
/// index instead of one per call (on SQLite, this halved a group commit's
/// time: `bench/durable.sh`).
///
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
    /// A new id: the time now, then random bits (a version 7 UUID).
    pub fn random() -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        TaskId::at(millis, rand::random())
    }

    /// The version 7 UUID of `millis` (its low 48 bits) and `bits` (74 of
    /// them): the time, the version (7), 12 bits, the variant (RFC 9562),
    /// 62 bits.
    fn at(millis: u128, bits: u128) -> Self {
        const TIME: u128 = 0xFFFF_FFFF_FFFF << 80;
        const VERSION: u128 = 0xF << 76;
        const VARIANT: u128 = 0b11 << 62;
        let time = (millis << 80) & TIME;
        let random = bits & !TIME & !VERSION & !VARIANT;
        TaskId(time | random | (0x7 << 76) | (0b10 << 62))
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

/// The atode id of the call River's `row` holds: its first tag, where
/// atode writes it, or the `task_id` of its arguments, where calls written
/// before it moved kept it. `None` for a job another River client wrote.
pub(crate) fn of_row(row: &riverqueue::JobRow) -> Option<TaskId> {
    of_parts(&row.tags, row.encoded_args.get())
}

fn of_parts(tags: &[String], args: &str) -> Option<TaskId> {
    of_tags(tags).or_else(|| legacy(args))
}

/// The id atode writes as a call's first tag.
pub(crate) fn of_tags(tags: &[String]) -> Option<TaskId> {
    tags.first()?.parse().ok()
}

/// The `task_id` of a call's arguments as calls written before the id
/// moved to the tags keep it.
fn legacy(args: &str) -> Option<TaskId> {
    #[derive(Deserialize)]
    struct Legacy {
        task_id: TaskId,
    }
    serde_json::from_str::<Legacy>(args)
        .ok()
        .map(|legacy| legacy.task_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rows_id_is_its_first_tag_or_else_its_arguments_task_id() {
        let id = TaskId::random();
        let other = TaskId::random();
        let tagged = [id.to_string()];
        let legacy = format!(r#"{{"task_id":"{other}","args":[1]}}"#);
        assert_eq!(of_parts(&tagged, &legacy), Some(id));
        assert_eq!(of_parts(&[], &legacy), Some(other));
        let plain = r#"{"to":"a@b"}"#;
        assert_eq!(of_parts(&["mail".to_owned()], plain), None);
        assert_eq!(of_parts(&[], plain), None);
    }

    #[test]
    fn random_ids_differ_and_carry_the_version_bits() {
        let (a, b) = (TaskId::random(), TaskId::random());
        assert_ne!(a, b);
        let text = a.to_string();
        assert_eq!(&text[14..15], "7");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn an_id_starts_with_its_time_and_sorts_by_it() {
        // 2026-12-06T12:00:00.123Z, in milliseconds since 1970.
        let millis = 0x01a2_4b39_aa7b;
        let id = TaskId::at(millis, u128::MAX);
        assert!(id.to_string().starts_with("01a24b39-aa7b-7"), "{id}");
        // Made a millisecond later, whatever the random bits.
        assert!(TaskId::at(millis, u128::MAX) < TaskId::at(millis + 1, 0));
        // The random bits are all kept but the version's and variant's.
        let ones = TaskId::at(0, u128::MAX).0;
        assert_eq!(
            ones.count_ones(),
            74 + 3 /* version 0b0111 */ + 1 /* variant 0b10 */
        );
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
