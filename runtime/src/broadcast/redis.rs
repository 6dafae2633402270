//! Redis pub/sub: `PUBLISH` on a multiplexed connection, and one
//! subscriber connection per process to listen.
//!
//! Pub/sub keeps nothing, as NOTIFY does: no replay here. (Redis Streams
//! would allow a bounded one; see the README.)

use std::pin::Pin;

use futures_core::Stream;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};

use super::BroadcastError;
use super::topic::channel;
use crate::BoxError;

/// Redis takes values up to 512 MB; atode refuses messages over 1 MiB, the
/// same bound as in-process, so that a broadcast stays small news.
pub(crate) const MAX_PAYLOAD: usize = 1 << 20;

/// Publishes on one multiplexed connection, made again after it fails.
pub(crate) struct Publisher {
    client: redis::Client,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
}

impl Publisher {
    pub(crate) async fn connect(url: &str) -> Result<Self, BoxError> {
        let client = redis::Client::open(url)?;
        let connection = client.get_multiplexed_async_connection().await?;
        Ok(Publisher {
            client,
            connection: tokio::sync::Mutex::new(Some(connection)),
        })
    }

    pub(crate) async fn publish(&self, topic: &str, wire: String) -> Result<(), BroadcastError> {
        let backend = |error: redis::RedisError| BroadcastError::Backend(error.into());
        let mut connection = {
            let mut slot = self.connection.lock().await;
            match &*slot {
                Some(connection) => connection.clone(),
                None => {
                    let connection = self
                        .client
                        .get_multiplexed_async_connection()
                        .await
                        .map_err(backend)?;
                    *slot = Some(connection.clone());
                    connection
                }
            }
        };
        let published = redis::cmd("PUBLISH")
            .arg(channel(topic, usize::MAX))
            .arg(wire)
            .query_async::<i64>(&mut connection)
            .await;
        if let Err(error) = published {
            // A multiplexed connection stays broken once broken: the next
            // publish makes a new one.
            if error.is_unrecoverable_error() || error.is_io_error() {
                self.connection.lock().await.take();
            }
            return Err(backend(error));
        }
        Ok(())
    }
}

/// Opens the listener's connections.
pub(crate) struct Connector {
    pub(crate) client: redis::Client,
}

impl Connector {
    pub(crate) async fn connect(&self) -> Result<Connection, BoxError> {
        let (sink, stream) = self.client.get_async_pubsub().await?.split();
        Ok(Connection { sink, stream })
    }
}

/// The subscriber connection: commands on the sink, messages on the stream.
pub(crate) struct Connection {
    sink: PubSubSink,
    stream: PubSubStream,
}

impl Connection {
    pub(crate) async fn listen(&mut self, topics: &[String]) -> Result<(), BoxError> {
        let channels: Vec<String> = topics
            .iter()
            .map(|topic| channel(topic, usize::MAX))
            .collect();
        Ok(self.sink.subscribe(channels).await?)
    }

    pub(crate) async fn unlisten(&mut self, topic: &str) -> Result<(), BoxError> {
        Ok(self.sink.unsubscribe(channel(topic, usize::MAX)).await?)
    }

    pub(crate) async fn next(&mut self) -> Option<String> {
        loop {
            let message =
                std::future::poll_fn(|cx| Pin::new(&mut self.stream).poll_next(cx)).await?;
            match String::from_utf8(message.get_payload_bytes().to_vec()) {
                Ok(payload) => return Some(payload),
                Err(_) => tracing::debug!(
                    target: "atode::broadcast",
                    "ignored a Redis message that is not UTF-8"
                ),
            }
        }
    }
}
