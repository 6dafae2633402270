//! `Sse`: a response that streams events, built on the streamed [`Body`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderValue, header};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use super::{Event, KeepAlive};
use crate::{Body, BoxError, IntoResponse, Response};

/// A `text/event-stream` response: each [`Event`] of `stream` (or anything
/// `Into<Event>`, such as a [`JsonEvent`](super::JsonEvent)) is written as
/// soon as the stream yields it, one body frame per event.
///
/// In the OpenAPI document, the response is one event's schema under
/// `text/event-stream` ([`EventSchema`](super::EventSchema)): a stream of
/// `JsonEvent<T>` documents `T` as its events' data.
///
/// The response is an ordinary streamed [`Body`], so the request's
/// [`BackgroundTasks`](crate::BackgroundTasks) start when the stream ends
/// (its last frame), or when the client goes away mid-stream (the body is
/// dropped): either way they run.
///
/// Its headers keep intermediaries from storing the stream or holding
/// events back: `Cache-Control: no-store` (a stream has no validator to
/// revalidate a stored copy with, so `no-cache` would not do), and
/// `X-Accel-Buffering: no` for nginx.
/// tower-http's `CompressionLayer` leaves `text/event-stream` uncompressed
/// with its default predicate, so each event still arrives on its own.
///
/// An `Err` from the stream ends the response there (the connection is
/// closed mid-body, as for any failed stream), and so does an event that
/// cannot be written ([`Event::encode`]), which is also logged.
///
/// When the server starts shutting down, a route's stream ends where it
/// is (the response completes normally, so the request's tasks start),
/// even if it would never end by itself: an endless feed does not hold the
/// shutdown. A browser's `EventSource` then reconnects, with its
/// `Last-Event-ID`, to whichever server answers next.
///
/// ```
/// use atode::sse::{Event, KeepAlive, Sse};
/// use atode::{get, routes, App, testing::TestClient};
/// use std::convert::Infallible;
///
/// #[get("/countdown")]
/// async fn countdown() -> Sse<impl futures_core::Stream<Item = Result<Event, Infallible>>> {
///     let events = (1..=3).rev().map(|n| Ok(Event::default().id(n.to_string()).data(n.to_string())));
///     Sse::new(tokio_stream::iter(events)).keep_alive(KeepAlive::new())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let response = TestClient::new(App::new().routes(routes![countdown])).get("/countdown").await;
/// assert_eq!(response.header("content-type"), Some("text/event-stream"));
/// assert_eq!(response.text(), "id: 3\ndata: 3\n\nid: 2\ndata: 2\n\nid: 1\ndata: 1\n\n");
/// # }
/// ```
#[must_use = "a response does nothing unless returned"]
pub struct Sse<S> {
    stream: S,
    keep_alive: Option<KeepAlive>,
}

impl<S> Sse<S> {
    /// A response streaming `stream`'s events, with no keep-alive comments.
    pub fn new(stream: S) -> Self {
        Sse {
            stream,
            keep_alive: None,
        }
    }

    /// Sends `keep_alive`'s comment whenever the stream is quiet for its
    /// interval.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }
}

impl<S> std::fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<S, I, E> IntoResponse for Sse<S>
where
    S: Stream<Item = Result<I, E>> + Send + 'static,
    I: Into<Event>,
    E: Into<BoxError>,
{
    fn into_response(self) -> Response {
        let shutdown = ShutdownSlot::default();
        let body = Body::from_stream(EventStream {
            events: Box::pin(self.stream),
            keep_alive: self.keep_alive.map(|keep_alive| Quiet {
                keep_alive,
                timer: None,
            }),
            ended: false,
            shutdown: shutdown.clone(),
            closing: None,
        });
        let mut response = Response::new(body);
        // Filled with the shutdown signal of the server the request came
        // through when the route finishes.
        response.extensions_mut().insert(shutdown);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        // Never stored: `no-cache` would let a cache keep the stream and ask
        // to revalidate it, which a stream without a validator cannot be.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

/// Where a stream learns that the server is shutting down: the response
/// carries it as an extension, and the route fills it with the signal of
/// the server (its lifecycle) the request came through
/// ([`ShutdownSlot::connect`]); a stream served some other way (from a
/// middleware, say) is never told.
#[derive(Clone, Default)]
pub(crate) struct ShutdownSlot(Arc<OnceLock<watch::Receiver<bool>>>);

impl ShutdownSlot {
    pub(crate) fn connect(&self, closing: watch::Receiver<bool>) {
        let _ = self.0.set(closing);
    }
}

/// The events as chunks of the body, with keep-alive comments between.
struct EventStream<S> {
    events: Pin<Box<S>>,
    keep_alive: Option<Quiet>,
    /// Set once the stream has failed or the server is shutting down:
    /// nothing more is read from it.
    ended: bool,
    shutdown: ShutdownSlot,
    /// Resolves when the server starts shutting down; made on the first
    /// poll, once the slot is filled.
    closing: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl<S> EventStream<S> {
    /// Whether the server has started shutting down (registering the waker
    /// otherwise).
    fn closing(&mut self, cx: &mut Context<'_>) -> bool {
        if self.closing.is_none() {
            let Some(receiver) = self.shutdown.0.get() else {
                return false;
            };
            let mut receiver = receiver.clone();
            self.closing = Some(Box::pin(async move {
                // An error means the server's lifecycle is gone: as good
                // as closing.
                let _ = receiver.wait_for(|closing| *closing).await;
            }));
        }
        self.closing
            .as_mut()
            .is_some_and(|closing| closing.as_mut().poll(cx).is_ready())
    }
}

/// The keep-alive timer. Made on the first poll, so that an `Sse` can be
/// built and turned into a response outside a tokio runtime.
struct Quiet {
    keep_alive: KeepAlive,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Quiet {
    fn restart(&mut self) {
        let deadline = crate::time::after_tokio(Instant::now(), self.keep_alive.period());
        match &mut self.timer {
            Some(timer) => timer.as_mut().reset(deadline),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }

    /// The comment, if the stream has been quiet for the whole interval.
    fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<Bytes> {
        if self.timer.is_none() {
            self.restart();
        }
        let Some(timer) = &mut self.timer else {
            return Poll::Pending;
        };
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.restart();
        Poll::Ready(self.keep_alive.comment().clone())
    }
}

impl<S, I, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<I, E>>,
    I: Into<Event>,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.closing(cx) {
            self.ended = true;
            return Poll::Ready(None);
        }
        match self.events.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(event))) => {
                if let Some(quiet) = &mut self.keep_alive {
                    quiet.restart();
                }
                match event.into().encode() {
                    Ok(bytes) => Poll::Ready(Some(Ok(bytes))),
                    Err(invalid) => {
                        tracing::error!(
                            target: "atode::sse",
                            %invalid,
                            "a server-sent event stream yielded an event that cannot be written; ending the response"
                        );
                        self.ended = true;
                        Poll::Ready(Some(Err(invalid.into())))
                    }
                }
            }
            Poll::Ready(Some(Err(error))) => {
                self.ended = true;
                Poll::Ready(Some(Err(error.into())))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match &mut self.keep_alive {
                Some(quiet) => quiet.poll_due(cx).map(|comment| Some(Ok(comment))),
                None => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Duration;

    use http_body_util::BodyExt;

    use super::*;
    use crate::body::ReceiverStream;

    type Events = tokio::sync::mpsc::Sender<Result<Event, Infallible>>;

    fn channel_sse(keep_alive: Option<KeepAlive>) -> (Events, Body) {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut sse = Sse::new(ReceiverStream::new(rx));
        if let Some(keep_alive) = keep_alive {
            sse = sse.keep_alive(keep_alive);
        }
        (tx, sse.into_response().into_body())
    }

    async fn next_chunk(body: &mut Body) -> Option<Bytes> {
        let frame = body.frame().await?.expect("no error");
        Some(frame.into_data().expect("a data frame"))
    }

    #[test]
    fn headers_say_event_stream_without_caching_or_buffering() {
        let response = Sse::new(tokio_stream::empty::<Result<Event, Infallible>>())
            .keep_alive(KeepAlive::new())
            .into_response();
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers["x-accel-buffering"], "no");
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_stream_gets_a_comment_each_interval_and_events_restart_the_timer() {
        let keep_alive = KeepAlive::new()
            .interval(Duration::from_secs(10))
            .text("ka");
        let (tx, mut body) = channel_sse(Some(keep_alive));
        let started = Instant::now();
        assert_eq!(next_chunk(&mut body).await.unwrap(), ": ka\n\n");
        assert_eq!(started.elapsed(), Duration::from_secs(10));

        // An event five seconds in pushes the next comment to fifteen.
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send(Ok(Event::default().data("x"))).await.unwrap();
        assert_eq!(next_chunk(&mut body).await.unwrap(), "data: x\n\n");
        assert_eq!(next_chunk(&mut body).await.unwrap(), ": ka\n\n");
        assert_eq!(started.elapsed(), Duration::from_secs(25));

        drop(tx);
        assert!(next_chunk(&mut body).await.is_none());
    }

    #[tokio::test]
    async fn without_keep_alive_only_events_are_sent() {
        let (tx, body) = channel_sse(None);
        tx.send(Ok(Event::default().data("a"))).await.unwrap();
        tx.send(Ok(Event::default().data("b"))).await.unwrap();
        drop(tx);
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(all, "data: a\n\ndata: b\n\n");
    }

    #[tokio::test]
    async fn an_event_that_cannot_be_written_ends_the_body_with_an_error() {
        let (tx, mut body) = channel_sse(None);
        tx.send(Ok(Event::default().data("ok"))).await.unwrap();
        tx.send(Ok(Event::default().id("bad\nid"))).await.unwrap();
        tx.send(Ok(Event::default().data("never sent")))
            .await
            .unwrap();
        assert_eq!(next_chunk(&mut body).await.unwrap(), "data: ok\n\n");
        let error = body.frame().await.unwrap().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the `id` field of a server-sent event cannot hold a line break"
        );
        assert!(body.frame().await.is_none());
    }

    #[tokio::test]
    async fn a_stream_error_ends_the_body() {
        let events = tokio_stream::iter([
            Ok(Event::default().data("a")),
            Err(std::io::Error::other("feed lost")),
            Ok(Event::default().data("b")),
        ]);
        let mut body = Sse::new(events).into_response().into_body();
        assert_eq!(next_chunk(&mut body).await.unwrap(), "data: a\n\n");
        let error = body.frame().await.unwrap().unwrap_err();
        assert_eq!(error.to_string(), "feed lost");
        assert!(body.frame().await.is_none());
    }
}
