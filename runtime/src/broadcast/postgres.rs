//! PostgreSQL's LISTEN/NOTIFY: `pg_notify` from a small pool to publish,
//! and one `PgListener` connection per process to listen.
//!
//! NOTIFY keeps nothing: a message reaches the sessions listening when it
//! is committed, and no one else, ever. So there is no replay here.

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::BroadcastError;
use super::topic::channel;
use crate::BoxError;

/// NOTIFY's payload must be shorter than 8000 bytes (PostgreSQL's default
/// build). A larger message is refused before it is sent, rather than
/// stored in a side table: a broadcast is for small, frequent news (a
/// line, a progress tick); a large document belongs in the database, its
/// id in the message.
pub(crate) const MAX_PAYLOAD: usize = 7999;

/// PostgreSQL's longest identifier, which a channel name is.
const MAX_CHANNEL: usize = 63;

/// Publishes with `pg_notify`, which takes the channel as a value (no
/// quoting to get wrong), on a pool of its own.
pub(crate) struct Publisher {
    pool: PgPool,
}

impl Publisher {
    pub(crate) async fn connect(url: &str) -> Result<Self, BoxError> {
        // Two connections: a publish waits for its commit, and a second
        // lets another go while one waits.
        let pool = PgPoolOptions::new().max_connections(2).connect(url).await?;
        Ok(Publisher { pool })
    }

    pub(crate) async fn publish(&self, topic: &str, wire: String) -> Result<(), BroadcastError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel(topic, MAX_CHANNEL))
            .bind(wire)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|error| BroadcastError::Backend(error.into()))
    }
}

/// Opens the listener's connections.
pub(crate) struct Connector {
    pub(crate) url: String,
}

impl Connector {
    pub(crate) async fn connect(&self) -> Result<Connection, BoxError> {
        let mut listener = PgListener::connect(&self.url).await?;
        // The listener task reconnects, and listens again, itself: a lost
        // connection must surface as `None` rather than be mended silently.
        listener.eager_reconnect(false);
        Ok(Connection(listener))
    }
}

/// The listening connection.
pub(crate) struct Connection(PgListener);

impl Connection {
    pub(crate) async fn listen(&mut self, topics: &[String]) -> Result<(), BoxError> {
        let channels: Vec<String> = topics
            .iter()
            .map(|topic| channel(topic, MAX_CHANNEL))
            .collect();
        Ok(self
            .0
            .listen_all(channels.iter().map(String::as_str))
            .await?)
    }

    pub(crate) async fn unlisten(&mut self, topic: &str) -> Result<(), BoxError> {
        // A hashed channel is shared only by topics whose 64-bit hashes
        // collide, which this accepts.
        Ok(self.0.unlisten(&channel(topic, MAX_CHANNEL)).await?)
    }

    pub(crate) async fn next(&mut self) -> Option<String> {
        match self.0.try_recv().await {
            Ok(Some(notification)) => Some(notification.payload().to_owned()),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(target: "atode::broadcast", %error, "the PostgreSQL listener failed");
                None
            }
        }
    }
}
