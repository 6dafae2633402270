//! The backends behind the one API, chosen by the URL's scheme: what
//! publishes, and (for a server-backed one) what connects the listener.

use std::sync::Arc;

use super::fanout::Fanout;
use super::{BroadcastError, envelope};

#[cfg(feature = "broadcast-postgres")]
use super::postgres;
#[cfg(feature = "broadcast-redis")]
use super::redis;

/// The largest in-process message, in bytes, the same as Redis's: a
/// message that fits in development fits on Redis in production.
pub(crate) const MEMORY_MAX_LEN: usize = 1 << 20;

/// The backend a URL names.
pub(crate) enum Scheme {
    Memory,
    #[cfg(feature = "broadcast-postgres")]
    Postgres,
    #[cfg(feature = "broadcast-redis")]
    Redis,
}

impl Scheme {
    pub(crate) fn of(url: &str) -> Result<Scheme, BroadcastError> {
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        match scheme {
            "memory" => Ok(Scheme::Memory),
            #[cfg(feature = "broadcast-postgres")]
            "postgres" | "postgresql" => Ok(Scheme::Postgres),
            #[cfg(not(feature = "broadcast-postgres"))]
            "postgres" | "postgresql" => Err(needs(url, "broadcast-postgres")),
            #[cfg(feature = "broadcast-redis")]
            "redis" => Ok(Scheme::Redis),
            #[cfg(not(feature = "broadcast-redis"))]
            "redis" => Err(needs(url, "broadcast-redis")),
            _ => Err(BroadcastError::Url {
                url: url.to_owned(),
                reason: "the scheme must be memory://, postgres:// or redis://".to_owned(),
            }),
        }
    }
}

/// The error for a URL whose backend's feature is off.
#[cfg_attr(
    all(feature = "broadcast-postgres", feature = "broadcast-redis"),
    allow(dead_code)
)]
fn needs(url: &str, feature: &str) -> BroadcastError {
    BroadcastError::Url {
        url: url.to_owned(),
        reason: format!("this backend needs atode's `{feature}` feature"),
    }
}

/// Where a published message goes.
pub(crate) enum Publisher {
    /// Straight to this process's subscribers.
    Memory(Arc<Fanout>),
    #[cfg(feature = "broadcast-postgres")]
    Postgres(postgres::Publisher),
    /// Boxed: its client is large, and there is one per handle anyway.
    #[cfg(feature = "broadcast-redis")]
    Redis(Box<redis::Publisher>),
}

impl Publisher {
    /// The longest message the backend carries, envelope included.
    pub(crate) fn max_len(&self) -> usize {
        match self {
            Publisher::Memory(_) => MEMORY_MAX_LEN,
            #[cfg(feature = "broadcast-postgres")]
            Publisher::Postgres(_) => postgres::MAX_PAYLOAD,
            #[cfg(feature = "broadcast-redis")]
            Publisher::Redis(_) => redis::MAX_PAYLOAD,
        }
    }

    pub(crate) async fn publish(&self, topic: &str, wire: String) -> Result<(), BroadcastError> {
        match self {
            Publisher::Memory(fanout) => {
                if let Some((_, delivery)) = envelope::decode(&wire) {
                    fanout.deliver(topic, delivery);
                }
                Ok(())
            }
            #[cfg(feature = "broadcast-postgres")]
            Publisher::Postgres(publisher) => publisher.publish(topic, wire).await,
            #[cfg(feature = "broadcast-redis")]
            Publisher::Redis(publisher) => publisher.publish(topic, wire).await,
        }
    }
}

/// Makes the listener's connections to a server-backed backend.
#[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
pub(crate) enum Connector {
    #[cfg(feature = "broadcast-postgres")]
    Postgres(postgres::Connector),
    #[cfg(feature = "broadcast-redis")]
    Redis(redis::Connector),
}

#[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
impl Connector {
    pub(crate) async fn connect(&self) -> Result<Connection, crate::BoxError> {
        Ok(match self {
            #[cfg(feature = "broadcast-postgres")]
            Connector::Postgres(connector) => Connection::Postgres(connector.connect().await?),
            #[cfg(feature = "broadcast-redis")]
            Connector::Redis(connector) => Connection::Redis(connector.connect().await?),
        })
    }
}

/// The listener's live connection.
#[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
pub(crate) enum Connection {
    #[cfg(feature = "broadcast-postgres")]
    Postgres(postgres::Connection),
    #[cfg(feature = "broadcast-redis")]
    Redis(redis::Connection),
}

#[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
impl Connection {
    /// Listens to each of `topics`.
    pub(crate) async fn listen(&mut self, topics: &[String]) -> Result<(), crate::BoxError> {
        if topics.is_empty() {
            return Ok(());
        }
        match self {
            #[cfg(feature = "broadcast-postgres")]
            Connection::Postgres(connection) => connection.listen(topics).await,
            #[cfg(feature = "broadcast-redis")]
            Connection::Redis(connection) => connection.listen(topics).await,
        }
    }

    /// Stops listening to `topic`.
    pub(crate) async fn unlisten(&mut self, topic: &str) -> Result<(), crate::BoxError> {
        match self {
            #[cfg(feature = "broadcast-postgres")]
            Connection::Postgres(connection) => connection.unlisten(topic).await,
            #[cfg(feature = "broadcast-redis")]
            Connection::Redis(connection) => connection.unlisten(topic).await,
        }
    }

    /// The next payload on a topic listened to; `None` once the connection
    /// is lost.
    pub(crate) async fn next(&mut self) -> Option<String> {
        match self {
            #[cfg(feature = "broadcast-postgres")]
            Connection::Postgres(connection) => connection.next().await,
            #[cfg(feature = "broadcast-redis")]
            Connection::Redis(connection) => connection.next().await,
        }
    }
}
