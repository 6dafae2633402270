//! `BroadcastError`: why a connect, a publish or a subscribe failed.

use std::fmt;

use crate::BoxError;

/// Why [`Broadcast`](super::Broadcast) could not connect, publish or
/// subscribe. Each says what to change, and converts into an
/// [`std::io::Error`] for a `main` that returns one.
#[derive(Debug)]
#[non_exhaustive]
pub enum BroadcastError {
    /// The URL names no backend atode knows, or one whose cargo feature is
    /// off.
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The topic cannot be used: empty, too long, or holding a NUL.
    Topic {
        /// The topic as given.
        topic: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The message, as the backend would carry it, is over the backend's
    /// limit ([`Broadcast::max_message_len`](super::Broadcast::max_message_len)):
    /// nothing was sent.
    TooLarge {
        /// The topic it was for.
        topic: String,
        /// Its size in bytes, topic and id included.
        len: usize,
        /// The backend's limit in bytes.
        limit: usize,
    },
    /// The message could not be serialized to JSON.
    Serialize(serde_json::Error),
    /// The backend failed: the connection is down, or refused the command.
    Backend(BoxError),
}

impl fmt::Display for BroadcastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BroadcastError::Url { url, reason } => {
                write!(f, "broadcast URL {url:?}: {reason}")
            }
            BroadcastError::Topic { topic, reason } => {
                write!(f, "broadcast topic {topic:?}: {reason}")
            }
            BroadcastError::TooLarge { topic, len, limit } => write!(
                f,
                "a message of {len} bytes on topic {topic:?} is over the backend's limit of \
                 {limit} bytes: publish an id and let subscribers fetch the rest"
            ),
            BroadcastError::Serialize(error) => {
                write!(f, "the message cannot be serialized to JSON: {error}")
            }
            BroadcastError::Backend(error) => write!(f, "the broadcast backend failed: {error}"),
        }
    }
}

impl std::error::Error for BroadcastError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BroadcastError::Serialize(error) => Some(error),
            BroadcastError::Backend(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}

impl From<BroadcastError> for std::io::Error {
    fn from(error: BroadcastError) -> Self {
        let kind = match &error {
            BroadcastError::Backend(_) => std::io::ErrorKind::ConnectionRefused,
            _ => std::io::ErrorKind::InvalidInput,
        };
        std::io::Error::new(kind, error)
    }
}
