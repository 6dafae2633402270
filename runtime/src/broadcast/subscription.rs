//! `Subscription`: one subscriber's stream of a topic's messages, and its
//! forwarding to a server-sent event stream.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::Shared;
use super::envelope::Delivery;
use super::fanout::Receiver;
use crate::sse::{Event, Sse};

/// What a [`Subscription`] yields: a message, or word that this subscriber
/// fell behind and lost some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received<T> {
    /// A message published on the topic.
    Message {
        /// The id its publisher gave it: unique, and increasing for one
        /// publishing process. An SSE stream sends it as the event's `id`.
        id: String,
        /// The message.
        message: T,
    },
    /// The subscriber fell more than the buffer's capacity behind: the
    /// `missed` oldest messages were dropped for it, and the stream goes on
    /// from the oldest one kept.
    Lagged {
        /// How many messages it missed.
        missed: u64,
    },
}

/// A subscriber to one topic: a [`Stream`] of [`Received`] messages,
/// deserialized as `T`, from the moment [`Broadcast::subscribe`](super::Broadcast::subscribe)
/// returned until it is dropped.
///
/// Its buffer is bounded: a subscriber that reads slower than the topic is
/// published to keeps at most [`capacity`](Self::capacity) messages waiting,
/// then loses the oldest and reads a [`Received::Lagged`] saying how many.
/// A message that does not deserialize as `T` is logged and skipped.
///
/// ```
/// use atode::broadcast::{Broadcast, Received};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::broadcast::BroadcastError> {
/// let broadcast = Broadcast::builder("memory://").capacity(2).connect().await?;
/// let mut slow = broadcast.subscribe::<u32>("ticks").await?;
/// for n in 1..=5 {
///     broadcast.publish("ticks", &n).await?;
/// }
/// assert_eq!(slow.backlog(), 2);
/// assert_eq!(slow.recv().await, Some(Received::Lagged { missed: 3 }));
/// assert!(matches!(slow.recv().await, Some(Received::Message { message: 4, .. })));
/// # Ok(()) }
/// ```
#[must_use = "a subscription receives nothing unless read"]
pub struct Subscription<T> {
    topic: String,
    shared: Arc<Shared>,
    slot: Slot,
    message: PhantomData<fn() -> T>,
}

/// Where the receiver is: ready to read, or inside a pending receive
/// (tokio's broadcast receiver has no poll method, so a receive that waits
/// is a boxed future owning it).
enum Slot {
    Idle(Receiver),
    Waiting(Receiving),
    Closed,
}

/// A receive that waits, owning the receiver it hands back.
type Receiving = Pin<Box<dyn Future<Output = (Result<Arc<Delivery>, RecvError>, Receiver)> + Send>>;

/// A message as it arrived, before deserialization.
enum Raw {
    Message(Arc<Delivery>),
    Lagged(u64),
}

impl<T> Subscription<T> {
    pub(super) fn new(topic: String, shared: Arc<Shared>, receiver: Receiver) -> Self {
        Subscription {
            topic,
            shared,
            slot: Slot::Idle(receiver),
            message: PhantomData,
        }
    }

    /// The topic subscribed to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The most messages this subscriber can have waiting before it lags.
    pub fn capacity(&self) -> usize {
        self.shared.fanout.capacity()
    }

    /// How many messages wait for this subscriber: those it has not read
    /// that its topic's channel still holds, so never more than
    /// [`capacity`](Self::capacity) (what it fell further behind by, it
    /// will read as a lag). Zero while a read is waiting for the next
    /// message.
    pub fn backlog(&self) -> usize {
        match &self.slot {
            Slot::Idle(receiver) => receiver.len().min(self.shared.fanout.held(&self.topic)),
            Slot::Waiting(_) | Slot::Closed => 0,
        }
    }

    /// Forwards the subscription to a server-sent event stream: each
    /// message's JSON, as published, is an event's `data`, its id the
    /// event's `id`; a lag is an event of type `lagged` whose data is the
    /// count missed. Add [`KeepAlive`](crate::sse::KeepAlive) comments with
    /// [`Sse::keep_alive`].
    ///
    /// ```
    /// use atode::broadcast::Broadcast;
    /// use atode::sse::{KeepAlive, Sse};
    /// use atode::{get, routes, App, State, StatusCode};
    ///
    /// #[get("/rooms/<room>/events")]
    /// async fn events(room: String, State(broadcast): State<Broadcast>) -> Result<Sse<impl atode::sse::Stream<Item = Result<atode::sse::Event, std::convert::Infallible>>>, StatusCode> {
    ///     let lines = broadcast
    ///         .subscribe::<String>(&format!("room:{room}"))
    ///         .await
    ///         .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    ///     Ok(lines.into_sse().keep_alive(KeepAlive::new()))
    /// }
    /// # async fn app() -> Result<(), atode::broadcast::BroadcastError> {
    /// let app = App::new().state(Broadcast::connect("memory://").await?).routes(routes![events]);
    /// # Ok(()) }
    /// ```
    pub fn into_sse(self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static>
    where
        T: 'static,
    {
        Sse::new(SseEvents(self))
    }

    fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Option<Raw>> {
        loop {
            match std::mem::replace(&mut self.slot, Slot::Closed) {
                Slot::Idle(mut receiver) => {
                    // What is buffered already needs no future.
                    let received = receiver.try_recv();
                    match received {
                        Ok(delivery) => {
                            self.slot = Slot::Idle(receiver);
                            return Poll::Ready(Some(Raw::Message(delivery)));
                        }
                        Err(TryRecvError::Lagged(missed)) => {
                            self.slot = Slot::Idle(receiver);
                            return Poll::Ready(Some(Raw::Lagged(missed)));
                        }
                        Err(TryRecvError::Empty) => {
                            self.slot = Slot::Waiting(Box::pin(async move {
                                let received = receiver.recv().await;
                                (received, receiver)
                            }));
                        }
                        Err(TryRecvError::Closed) => return Poll::Ready(None),
                    }
                }
                Slot::Waiting(mut receiving) => match receiving.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.slot = Slot::Waiting(receiving);
                        return Poll::Pending;
                    }
                    Poll::Ready((received, receiver)) => {
                        self.slot = Slot::Idle(receiver);
                        return Poll::Ready(match received {
                            Ok(delivery) => Some(Raw::Message(delivery)),
                            Err(RecvError::Lagged(missed)) => Some(Raw::Lagged(missed)),
                            Err(RecvError::Closed) => {
                                self.slot = Slot::Closed;
                                None
                            }
                        });
                    }
                },
                Slot::Closed => return Poll::Ready(None),
            }
        }
    }
}

impl<T: DeserializeOwned> Subscription<T> {
    /// The next message (or lag notice); `None` only if the channel closed,
    /// which a live [`Broadcast`](super::Broadcast) never does.
    pub async fn recv(&mut self) -> Option<Received<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Received<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let delivery = match std::task::ready!(this.poll_raw(cx)) {
                None => return Poll::Ready(None),
                Some(Raw::Lagged(missed)) => return Poll::Ready(Some(Received::Lagged { missed })),
                Some(Raw::Message(delivery)) => delivery,
            };
            match serde_json::from_str(delivery.message.get()) {
                Ok(message) => {
                    return Poll::Ready(Some(Received::Message {
                        id: delivery.id.clone(),
                        message,
                    }));
                }
                Err(error) => tracing::warn!(
                    target: "atode::broadcast",
                    topic = this.topic,
                    id = delivery.id,
                    %error,
                    "skipped a message that does not deserialize as this subscription's type"
                ),
            }
        }
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let slot = std::mem::replace(&mut self.slot, Slot::Closed);
        if self.shared.fanout.release(&self.topic, slot) {
            self.shared.unlisten(&self.topic);
        }
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("topic", &self.topic)
            .field("backlog", &self.backlog())
            .finish_non_exhaustive()
    }
}

/// A subscription's messages as server-sent events, unparsed.
struct SseEvents<T>(Subscription<T>);

impl<T> Stream for SseEvents<T> {
    type Item = Result<Event, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let event = match std::task::ready!(self.get_mut().0.poll_raw(cx)) {
            None => return Poll::Ready(None),
            Some(Raw::Message(delivery)) => Event::default()
                .id(delivery.id.clone())
                .data(delivery.message.get()),
            Some(Raw::Lagged(missed)) => Event::default().event("lagged").data(missed.to_string()),
        };
        Poll::Ready(Some(Ok(event)))
    }
}
