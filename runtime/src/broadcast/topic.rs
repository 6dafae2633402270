//! Topics: which strings may name one, and the channel each backend
//! carries a topic's messages on.

use super::BroadcastError;

/// The longest topic, in bytes: room for a user id or a room name, short
/// enough that a topic never dominates a message.
pub const MAX_TOPIC_LEN: usize = 256;

/// Checks `topic` before it reaches a backend, so every backend accepts
/// the same topics.
pub(crate) fn check(topic: &str) -> Result<(), BroadcastError> {
    let reason = if topic.is_empty() {
        "a topic cannot be empty"
    } else if topic.len() > MAX_TOPIC_LEN {
        "a topic is at most 256 bytes"
    } else if topic.contains('\0') {
        // PostgreSQL's text cannot hold a NUL.
        "a topic cannot contain a NUL character"
    } else {
        return Ok(());
    };
    Err(BroadcastError::Topic {
        topic: topic.to_owned(),
        reason,
    })
}

/// The channel a topic travels on. A backend may carry several topics on
/// one channel (a hashed PostgreSQL channel name): every message names its
/// topic, and the receiving process delivers it by that name alone.
#[cfg_attr(
    not(any(feature = "broadcast-postgres", feature = "broadcast-redis")),
    allow(dead_code)
)]
pub(crate) fn channel(topic: &str, max_len: usize) -> String {
    const PREFIX: &str = "atode:";
    if PREFIX.len() + topic.len() <= max_len {
        return format!("{PREFIX}{topic}");
    }
    // PostgreSQL channel names are identifiers of at most 63 bytes: a long
    // topic gets a stable hash of itself instead.
    format!("atode#{:016x}", fnv1a(topic.as_bytes()))
}

/// FNV-1a, 64 bits: stable across processes and versions, unlike std's
/// `DefaultHasher`, so every process names a topic's channel alike.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_checked_alike_for_every_backend() {
        assert!(check("room:lobby").is_ok());
        assert!(check("").is_err());
        assert!(check("a\0b").is_err());
        assert!(check(&"x".repeat(MAX_TOPIC_LEN)).is_ok());
        let long = check(&"x".repeat(MAX_TOPIC_LEN + 1)).unwrap_err();
        assert!(long.to_string().contains("at most 256 bytes"), "{long}");
    }

    #[test]
    fn short_topics_keep_their_name_and_long_ones_hash_stably() {
        assert_eq!(channel("room:lobby", 63), "atode:room:lobby");
        let long = "user:".repeat(20);
        let hashed = channel(&long, 63);
        assert!(
            hashed.starts_with("atode#") && hashed.len() <= 63,
            "{hashed}"
        );
        assert_eq!(hashed, channel(&long, 63));
        assert_ne!(hashed, channel(&"user:".repeat(21), 63));
    }
}
