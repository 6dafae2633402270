//! Publish/subscribe by topic, across handlers, tasks and processes
//! (feature `broadcast`): a chat room two instances behind a load balancer
//! share, or a durable task's progress pushed to the browser that queued it.
//!
//! A [`Broadcast`] handle, made once by [`Broadcast::connect`] and kept in
//! the app's [state](crate::App::state), [publishes](Broadcast::publish)
//! serde messages on string topics from anywhere (a handler, a task, a
//! middleware, a worker process) and [subscribes](Broadcast::subscribe) to
//! a topic, giving a [`Subscription`] stream that a WebSocket loop reads or
//! an SSE route forwards with [`Subscription::into_sse`].
//!
//! The URL picks the backend; the API is the same:
//!
//! | URL | backend | feature |
//! | --- | --- | --- |
//! | `memory://` | this process only | `broadcast` |
//! | `postgres://…` | PostgreSQL `LISTEN`/`NOTIFY` | `broadcast-postgres` |
//! | `redis://…` | Redis pub/sub | `broadcast-redis` |
//!
//! What to rely on (the README's "Broadcast across processes" says more):
//!
//! - **At most once, to connected subscribers.** A message reaches the
//!   subscriptions that exist when it is published, in every process
//!   listening, once. A browser that reconnects misses what was published
//!   meanwhile; none of these backends keeps messages, so `Last-Event-ID`
//!   cannot resume from them.
//! - **Ordered per topic from one publisher**: messages one handle
//!   publishes one after another (each `publish` awaited) arrive in that
//!   order.
//! - **Bounded buffers.** Each process has one channel per topic holding at
//!   most [`BroadcastBuilder::capacity`] messages. A slow subscriber loses
//!   the oldest and reads [`Received::Lagged`]; memory never grows with it.
//! - **One connection per process, kept.** A process listens on one
//!   backend connection whatever its number of subscribers; when it is
//!   lost, it reconnects and listens to every subscribed topic again
//!   ([`Broadcast::listening`] tells when), and subscriptions carry on.
//! - **Size limits, refused up front.** PostgreSQL's `NOTIFY` carries less
//!   than 8000 bytes, so a larger message is refused with
//!   [`BroadcastError::TooLarge`]; publish an id and fetch the rest.
//!
//! ```
//! use atode::broadcast::{Broadcast, Received};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Line {
//!     name: String,
//!     text: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::broadcast::BroadcastError> {
//! let broadcast = Broadcast::connect("memory://").await?;
//! let mut lobby = broadcast.subscribe::<Line>("room:lobby").await?;
//! broadcast
//!     .publish("room:lobby", &Line { name: "ada".into(), text: "hi".into() })
//!     .await?;
//! let Some(Received::Message { message, .. }) = lobby.recv().await else { panic!() };
//! assert_eq!(message, Line { name: "ada".into(), text: "hi".into() });
//! # Ok(()) }
//! ```

mod backend;
mod envelope;
mod error;
mod fanout;
#[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
mod listener;
#[cfg(feature = "broadcast-postgres")]
mod postgres;
#[cfg(feature = "broadcast-redis")]
mod redis;
mod subscription;
mod topic;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

pub use error::BroadcastError;
pub use subscription::{Received, Subscription};
pub use topic::MAX_TOPIC_LEN;

use backend::{Publisher, Scheme};
use envelope::MessageIds;
use fanout::Fanout;

/// The variable [`Broadcast::from_env`] reads the backend's URL from.
pub const BROADCAST_URL_VAR: &str = "ATODE_BROADCAST_URL";

/// How many messages a topic's channel holds for its slowest subscriber
/// here, unless [`BroadcastBuilder::capacity`] says otherwise.
pub const DEFAULT_CAPACITY: usize = 128;

/// The largest capacity [`BroadcastBuilder::capacity`] accepts.
pub const MAX_CAPACITY: usize = 1 << 16;

/// A handle on a publish/subscribe channel: cheap to clone (an `Arc`), to
/// keep in [app state](crate::App::state) and pass to tasks. The backend's
/// connections live as long as a handle or a [`Subscription`] does.
///
/// ```no_run
/// use atode::broadcast::Broadcast;
/// use atode::{post, routes, App, Json, State, StatusCode};
///
/// #[post("/rooms/<room>/messages")]
/// async fn say(room: String, State(broadcast): State<Broadcast>, Json(text): Json<String>) -> StatusCode {
///     match broadcast.publish(&format!("room:{room}"), &text).await {
///         Ok(()) => StatusCode::NO_CONTENT,
///         Err(_) => StatusCode::SERVICE_UNAVAILABLE,
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     // Every instance started with the same URL shares the rooms.
///     let broadcast = Broadcast::connect("postgres://postgres@127.0.0.1/app").await?;
///     atode::run(App::new().state(broadcast).routes(routes![say])).await
/// }
/// ```
#[derive(Clone)]
pub struct Broadcast {
    shared: Arc<Shared>,
}

/// What every handle and subscription of one connection shares.
pub(crate) struct Shared {
    fanout: Arc<Fanout>,
    publisher: Publisher,
    /// To the listener task; `None` in-process, where there is none.
    #[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
    commands: Option<tokio::sync::mpsc::UnboundedSender<listener::Command>>,
    listening: watch::Receiver<bool>,
    /// Keeps `listening` true for a backend with no listener.
    _always_listening: Option<watch::Sender<bool>>,
    ids: MessageIds,
    backend: &'static str,
}

impl Shared {
    /// Tells the listener no one here wants `topic` any more.
    fn unlisten(&self, topic: &str) {
        #[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
        if let Some(commands) = &self.commands {
            let _ = commands.send(listener::Command::Unlisten {
                topic: topic.to_owned(),
            });
        }
        let _ = topic;
    }
}

/// Options for [`Broadcast::builder`].
#[derive(Debug)]
#[must_use = "a builder connects nothing until `connect` is awaited"]
pub struct BroadcastBuilder {
    url: String,
    capacity: usize,
}

impl BroadcastBuilder {
    /// How many messages a topic keeps for its slowest subscriber in this
    /// process before that subscriber lags (default [`DEFAULT_CAPACITY`]);
    /// clamped to `1..=`[`MAX_CAPACITY`].
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.clamp(1, MAX_CAPACITY);
        self
    }

    /// Connects to the backend the URL names: for a server, the publishing
    /// connection and the listening one, so a wrong URL or a server down
    /// fails here. Spawns the listener on the current tokio runtime.
    pub async fn connect(self) -> Result<Broadcast, BroadcastError> {
        let fanout = Arc::new(Fanout::new(self.capacity));
        let shared = match Scheme::of(&self.url)? {
            Scheme::Memory => {
                let (always, listening) = watch::channel(true);
                Shared {
                    publisher: Publisher::Memory(Arc::clone(&fanout)),
                    #[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
                    commands: None,
                    listening,
                    _always_listening: Some(always),
                    fanout,
                    ids: MessageIds::new(),
                    backend: "memory",
                }
            }
            #[cfg(feature = "broadcast-postgres")]
            Scheme::Postgres => {
                let publisher = postgres::Publisher::connect(&self.url)
                    .await
                    .map_err(BroadcastError::Backend)?;
                let connector = backend::Connector::Postgres(postgres::Connector { url: self.url });
                with_listener(
                    fanout,
                    Publisher::Postgres(publisher),
                    connector,
                    "postgres",
                )
                .await?
            }
            #[cfg(feature = "broadcast-redis")]
            Scheme::Redis => {
                let publisher = redis::Publisher::connect(&self.url)
                    .await
                    .map_err(BroadcastError::Backend)?;
                let client = ::redis::Client::open(self.url.as_str())
                    .map_err(|error| BroadcastError::Backend(error.into()))?;
                let connector = backend::Connector::Redis(redis::Connector { client });
                with_listener(
                    fanout,
                    Publisher::Redis(Box::new(publisher)),
                    connector,
                    "redis",
                )
                .await?
            }
        };
        Ok(Broadcast {
            shared: Arc::new(shared),
        })
    }
}

/// Opens the listening connection and spawns the task that keeps it.
#[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
async fn with_listener(
    fanout: Arc<Fanout>,
    publisher: Publisher,
    connector: backend::Connector,
    backend: &'static str,
) -> Result<Shared, BroadcastError> {
    let first = connector.connect().await.map_err(BroadcastError::Backend)?;
    let (commands, receiver) = tokio::sync::mpsc::unbounded_channel();
    let (listening_sender, listening) = watch::channel(true);
    let task = listener::Listener::new(connector, Arc::clone(&fanout), receiver, listening_sender);
    tokio::spawn(task.run(first));
    Ok(Shared {
        fanout,
        publisher,
        commands: Some(commands),
        listening,
        _always_listening: None,
        ids: MessageIds::new(),
        backend,
    })
}

impl Broadcast {
    /// Connects to the backend `url` names, with the default
    /// [capacity](BroadcastBuilder::capacity): `memory://`, `postgres://…`
    /// or `redis://…`.
    pub async fn connect(url: impl Into<String>) -> Result<Broadcast, BroadcastError> {
        Broadcast::builder(url).connect().await
    }

    /// Connects to the backend `$ATODE_BROADCAST_URL` names, or in-process
    /// (`memory://`) when it is unset.
    pub async fn from_env() -> Result<Broadcast, BroadcastError> {
        let url = std::env::var(BROADCAST_URL_VAR).unwrap_or_else(|_| "memory://".to_owned());
        Broadcast::connect(url).await
    }

    /// A builder, to set the [capacity](BroadcastBuilder::capacity) before
    /// connecting.
    pub fn builder(url: impl Into<String>) -> BroadcastBuilder {
        BroadcastBuilder {
            url: url.into(),
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// Publishes `message` on `topic`, to every subscription to it that
    /// exists now, in every process. Returns once the backend took it
    /// (PostgreSQL: committed), not once it was received.
    ///
    /// Fails, sending nothing, for a topic [`subscribe`](Self::subscribe)
    /// would refuse, a message that does not serialize or is over
    /// [`max_message_len`](Self::max_message_len), or when the backend
    /// cannot be reached (at most once: atode does not retry).
    pub async fn publish<T: Serialize + ?Sized>(
        &self,
        topic: &str,
        message: &T,
    ) -> Result<(), BroadcastError> {
        topic::check(topic)?;
        let wire = envelope::encode(&self.shared.ids, topic, message, self.max_message_len())?;
        self.shared.publisher.publish(topic, wire).await
    }

    /// Subscribes to `topic`: the subscription receives every message
    /// published on it once this returns, which for a server-backed
    /// backend waits until this process's connection listens to the topic
    /// (reconnecting first if it is down).
    ///
    /// A topic is a non-empty string of at most [`MAX_TOPIC_LEN`] bytes,
    /// without NUL: per room (`room:lobby`), per user, per job.
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        topic: &str,
    ) -> Result<Subscription<T>, BroadcastError> {
        topic::check(topic)?;
        // Made before the backend listens, so that a cancelled subscribe
        // still releases the topic.
        let subscription = Subscription::new(
            topic.to_owned(),
            Arc::clone(&self.shared),
            self.shared.fanout.subscribe(topic),
        );
        #[cfg(any(feature = "broadcast-postgres", feature = "broadcast-redis"))]
        if let Some(commands) = &self.shared.commands {
            let stopped = || BroadcastError::Backend("the broadcast listener task stopped".into());
            let (ready, listened) = tokio::sync::oneshot::channel();
            commands
                .send(listener::Command::Listen {
                    topic: topic.to_owned(),
                    ready,
                })
                .map_err(|_| stopped())?;
            listened.await.map_err(|_| stopped())?;
        }
        Ok(subscription)
    }

    /// Whether this process's backend connection is up and listens to
    /// every subscribed topic: `false` from a lost connection until the
    /// listener has reconnected and listened to them all again (always
    /// `true` in-process). Watch it for a health check.
    pub fn listening(&self) -> watch::Receiver<bool> {
        self.shared.listening.clone()
    }

    /// The longest message this backend carries, in bytes, as JSON with its
    /// topic and id: 7999 on PostgreSQL, 1 MiB otherwise.
    pub fn max_message_len(&self) -> usize {
        self.shared.publisher.max_len()
    }

    /// How many messages a topic keeps for its slowest subscriber here.
    pub fn capacity(&self) -> usize {
        self.shared.fanout.capacity()
    }
}

impl fmt::Debug for Broadcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broadcast")
            .field("backend", &self.shared.backend)
            .field("capacity", &self.capacity())
            .field("listening", &*self.shared.listening.borrow())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_last_subscription_dropped_releases_its_topic() {
        let broadcast = Broadcast::connect("memory://").await.unwrap();
        let first = broadcast.subscribe::<u32>("room").await.unwrap();
        let second = broadcast.subscribe::<u32>("room").await.unwrap();
        drop(first);
        assert!(broadcast.shared.fanout.has("room"));
        drop(second);
        assert!(!broadcast.shared.fanout.has("room"));
        // Nobody listening is not an error.
        broadcast.publish("room", &1).await.unwrap();
    }

    #[tokio::test]
    async fn a_subscription_cancelled_while_waiting_releases_its_topic() {
        let broadcast = Broadcast::connect("memory://").await.unwrap();
        let mut subscription = broadcast.subscribe::<u32>("room").await.unwrap();
        // A read that waits, then is dropped: its receiver goes with it.
        let waited = tokio::time::timeout(std::time::Duration::ZERO, subscription.recv()).await;
        assert!(waited.is_err());
        drop(subscription);
        assert!(!broadcast.shared.fanout.has("room"));
    }

    #[tokio::test]
    async fn a_message_of_another_type_is_skipped() {
        let broadcast = Broadcast::connect("memory://").await.unwrap();
        let mut numbers = broadcast.subscribe::<u32>("mixed").await.unwrap();
        broadcast.publish("mixed", "not a number").await.unwrap();
        broadcast.publish("mixed", &7).await.unwrap();
        assert!(matches!(
            numbers.recv().await,
            Some(Received::Message { message: 7, .. })
        ));
    }

    #[tokio::test]
    async fn urls_name_their_backend_or_say_what_is_wrong() {
        let error = Broadcast::connect("kafka://localhost").await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("memory://, postgres:// or redis://"),
            "{error}"
        );
        let bad_topic = Broadcast::connect("memory://")
            .await
            .unwrap()
            .subscribe::<u32>("")
            .await
            .unwrap_err();
        assert!(
            matches!(bad_topic, BroadcastError::Topic { .. }),
            "{bad_topic}"
        );
    }

    #[tokio::test]
    async fn a_forwarded_subscription_is_an_event_stream_with_ids_and_lag_notices() {
        use http_body_util::BodyExt;

        let broadcast = Broadcast::builder("memory://")
            .capacity(1)
            .connect()
            .await
            .unwrap();
        let subscription = broadcast.subscribe::<String>("room").await.unwrap();
        broadcast.publish("room", "a").await.unwrap();
        broadcast.publish("room", "b").await.unwrap();
        let mut body = crate::IntoResponse::into_response(subscription.into_sse()).into_body();
        let mut next = async || {
            let frame = body.frame().await.unwrap().unwrap();
            String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap()
        };
        assert_eq!(next().await, "event: lagged\ndata: 1\n\n");
        let event = next().await;
        assert!(
            event.starts_with("id: ") && event.ends_with("\ndata: \"b\"\n\n"),
            "{event:?}"
        );
    }
}
