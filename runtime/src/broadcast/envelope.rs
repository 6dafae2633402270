//! What travels between processes: a message's topic, its id and its JSON,
//! as one JSON object, so that every backend carries the same bytes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::BroadcastError;

/// A message as every subscriber of its topic in this process shares it:
/// decoded once, its JSON kept as published.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) id: String,
    pub(crate) message: Box<RawValue>,
}

#[derive(Serialize)]
struct Outgoing<'a, T: ?Sized> {
    t: &'a str,
    i: &'a str,
    m: &'a T,
}

#[derive(Deserialize)]
struct Incoming {
    t: String,
    i: String,
    m: Box<RawValue>,
}

/// The ids a process gives the messages it publishes: unique across
/// processes (a random prefix per handle) and increasing within one.
#[derive(Debug)]
pub(crate) struct MessageIds {
    prefix: u64,
    next: AtomicU64,
}

impl MessageIds {
    pub(crate) fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        // std's per-process random keys: no dependency for a unique prefix.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos()),
        );
        hasher.write_u32(std::process::id());
        MessageIds {
            prefix: hasher.finish(),
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> String {
        format!(
            "{:016x}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// `message` on `topic` as the wire's JSON, with a fresh id; refused if
/// longer than `limit` bytes.
pub(crate) fn encode<T: Serialize + ?Sized>(
    ids: &MessageIds,
    topic: &str,
    message: &T,
    limit: usize,
) -> Result<String, BroadcastError> {
    let id = ids.next();
    let wire = serde_json::to_string(&Outgoing {
        t: topic,
        i: &id,
        m: message,
    })
    .map_err(BroadcastError::Serialize)?;
    if wire.len() > limit {
        return Err(BroadcastError::TooLarge {
            topic: topic.to_owned(),
            len: wire.len(),
            limit,
        });
    }
    Ok(wire)
}

/// The topic and the shared delivery of a payload a backend carried;
/// `None` for one that is not atode's (someone else's NOTIFY on the same
/// channel), which the caller logs and drops.
pub(crate) fn decode(wire: &str) -> Option<(String, Arc<Delivery>)> {
    let Incoming { t, i, m } = serde_json::from_str(wire).ok()?;
    Some((t, Arc::new(Delivery { id: i, message: m })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_with_its_topic_and_a_fresh_id() {
        let ids = MessageIds::new();
        let wire = encode(&ids, "room", &serde_json::json!({"text": "hi"}), 1000).unwrap();
        let (topic, delivery) = decode(&wire).unwrap();
        assert_eq!(topic, "room");
        assert_eq!(delivery.message.get(), r#"{"text":"hi"}"#);
        let again = encode(&ids, "room", &1, 1000).unwrap();
        assert_ne!(decode(&again).unwrap().1.id, delivery.id);
    }

    #[test]
    fn a_message_over_the_limit_is_refused_saying_its_size() {
        let ids = MessageIds::new();
        let error = encode(&ids, "room", &"x".repeat(100), 64).unwrap_err();
        let BroadcastError::TooLarge { len, limit, .. } = &error else {
            panic!("{error}");
        };
        assert!(*len > 100 && *limit == 64, "{error}");
    }

    #[test]
    fn a_payload_that_is_not_an_envelope_is_ignored() {
        assert!(decode("hello").is_none());
        assert!(decode(r#"{"t":"room"}"#).is_none());
    }
}
