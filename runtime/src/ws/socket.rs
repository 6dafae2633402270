//! `WebSocket`: one upgraded connection, as a handler's callback uses it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_sink::Sink;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite;

use super::error::Error;
use super::keepalive::{self, Due, KeepAlive};
use super::message::{CloseCode, Message, close_code};
use super::sessions::SessionGuard;

type Inner = WebSocketStream<TokioIo<Upgraded>>;

/// An open WebSocket: receive with [`recv`](Self::recv), send with
/// [`send`](Self::send); or use it as a `Stream` of messages and a `Sink`
/// of them (`futures::StreamExt::split` gives two halves for two tasks).
/// It is what [`WebSocketUpgrade::on_upgrade`](super::WebSocketUpgrade::on_upgrade)
/// hands its callback.
///
/// atode takes care of the protocol's duties, so a loop over `recv` is all
/// an app writes:
///
/// - pings are answered, and a client's close frame is answered; `recv`
///   then returns `None`;
/// - a message over the size limit closes the socket with
///   [`close_code::SIZE`] (1009), a text message that is not UTF-8 with
///   [`close_code::INVALID`] (1007), and a frame that breaks the protocol
///   (such as an unmasked one) with [`close_code::PROTOCOL`] (1002); `recv`
///   returns the [`Error`] once, then `None`;
/// - when the server shuts down, the socket sends [`close_code::AWAY`]
///   (1001) from its next `recv` or `send`, and `recv` returns `None` once
///   the client answers. A socket that is neither received from nor sent to
///   is dropped when the server's bound on closing passes
///   ([`Limits::websocket_close_timeout`](crate::Limits::websocket_close_timeout));
/// - while the app waits in `recv`, a client that has been quiet for the
///   [ping interval](super::WebSocketUpgrade::ping_interval) (20 s) is
///   pinged, and one that sends nothing back within the
///   [ping timeout](super::WebSocketUpgrade::ping_timeout) (20 s) is closed
///   with [`close_code::ERROR`] (1011): `recv` returns an [`Error`] of kind
///   [`Timeout`](super::ErrorKind::Timeout). The pongs to these pings are
///   atode's own and are not handed to the app.
///
/// ```
/// use atode::ws::{Message, WebSocket};
///
/// /// Echoes text back, upper-cased, until the client closes.
/// async fn shout(mut socket: WebSocket) {
///     while let Some(Ok(message)) = socket.recv().await {
///         if let Message::Text(text) = message {
///             if socket.send(text.to_uppercase()).await.is_err() {
///                 break;
///             }
///         }
///     }
/// }
/// ```
pub struct WebSocket {
    inner: Inner,
    /// Resolves when the server starts shutting down.
    going_away: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// The server's close frame for its shutdown has been queued.
    said_going_away: bool,
    /// A close frame (ours or our answer) may still sit in the write buffer.
    flush_pending: bool,
    /// The exchange is over: `recv` returns `None` from now on.
    ended: bool,
    /// Pings a quiet client; `None` when the route turned them off.
    keepalive: Option<KeepAlive>,
    /// The subprotocol the handshake agreed on.
    protocol: Option<http::HeaderValue>,
    /// The socket's place among its server's open sockets, released on drop.
    _session: SessionGuard,
}

impl WebSocket {
    pub(crate) fn new(
        inner: Inner,
        session: SessionGuard,
        keepalive: Option<keepalive::Settings>,
        protocol: Option<http::HeaderValue>,
    ) -> Self {
        WebSocket {
            inner,
            going_away: Box::pin(session.closing()),
            said_going_away: false,
            flush_pending: false,
            ended: false,
            keepalive: keepalive.map(KeepAlive::new),
            protocol,
            _session: session,
        }
    }

    /// The subprotocol agreed in the handshake: the first of the route's
    /// [`protocols`](super::WebSocketUpgrade::protocols) that the client
    /// offered, or `None`.
    ///
    /// ```
    /// use atode::ws::WebSocket;
    ///
    /// async fn session(mut socket: WebSocket) {
    ///     let reply = match socket.protocol() {
    ///         Some("chat.v2") => "speaking v2",
    ///         _ => "speaking v1",
    ///     };
    ///     let _ = socket.send(reply).await;
    /// }
    /// ```
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_ref().and_then(|value| value.to_str().ok())
    }

    /// The next message; `None` once the socket is closed. An `Err` (a
    /// broken frame, an oversized message, a lost connection) comes once,
    /// after atode has sent the close frame it calls for, and `None`
    /// follows. Cancel-safe: in a `tokio::select!` loop, a `recv` that loses
    /// the race loses no message.
    ///
    /// ```
    /// use atode::ws::{Message, WebSocket};
    ///
    /// async fn count_messages(mut socket: WebSocket) -> usize {
    ///     let mut seen = 0;
    ///     while let Some(message) = socket.recv().await {
    ///         match message {
    ///             Ok(Message::Text(_) | Message::Binary(_)) => seen += 1,
    ///             Ok(_) => {} // ping, pong, close: answered by atode
    ///             Err(_) => break,
    ///         }
    ///     }
    ///     seen
    /// }
    /// ```
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Sends `message` (anything that turns into a [`Message`]: a `String`,
    /// a `&str`, `Bytes`, a `Vec<u8>`) and flushes it. An error means the
    /// socket is closing or closed: stop sending.
    ///
    /// ```
    /// use atode::ws::{Message, WebSocket};
    ///
    /// async fn greet(mut socket: WebSocket) -> Result<(), atode::ws::Error> {
    ///     socket.send("hello").await?;
    ///     socket.send(Message::binary(vec![1, 2, 3])).await?;
    ///     socket.close(1000, "bye").await
    /// }
    /// ```
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_ready(cx)).await?;
        Pin::new(&mut *self).start_send(message)?;
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_flush(cx)).await
    }

    /// Starts closing with `code` and `reason` (see [`close_code`]): the
    /// close frame goes out, and `recv` then returns the client's answer
    /// and `None`.
    ///
    /// ```
    /// use atode::ws::{WebSocket, close_code};
    ///
    /// async fn refuse(mut socket: WebSocket) {
    ///     let _ = socket.close(close_code::POLICY, "not today").await;
    /// }
    /// ```
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.send(Message::close(code, reason)).await
    }

    /// Queues our close frame, if nothing has closed the socket yet, to go
    /// out with the next flush.
    fn queue_close(&mut self, code: CloseCode, reason: &'static str) {
        self.queue(Message::close(code, reason).into_tungstenite());
    }

    /// Queues a frame of atode's own (a close, a keep-alive ping) to go out
    /// with the next flush. An error means a close is already under way:
    /// nothing more is needed.
    fn queue(&mut self, frame: tungstenite::Message) {
        if Pin::new(&mut self.inner).start_send(frame).is_ok() {
            self.flush_pending = true;
        }
    }

    /// Writes out a queued close frame if the socket takes it now; never
    /// waits on a client that does not read.
    fn try_flush(&mut self, cx: &mut Context<'_>) {
        if self.flush_pending && Pin::new(&mut self.inner).poll_flush(cx).is_ready() {
            self.flush_pending = false;
        }
    }

    /// At shutdown, queues 1001 once.
    fn check_going_away(&mut self, cx: &mut Context<'_>) {
        if !self.said_going_away && self.going_away.as_mut().poll(cx).is_ready() {
            self.said_going_away = true;
            self.queue_close(close_code::AWAY, "server shutting down");
        }
    }

    /// Pings a quiet client when its time comes; `Err` when it did not
    /// answer the last ping in time (the close frame is then queued).
    fn check_keepalive(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        let Some(keepalive) = &mut self.keepalive else {
            return Ok(());
        };
        match keepalive.poll_due(cx) {
            Poll::Pending => Ok(()),
            Poll::Ready(Due::Ping) => {
                self.queue(tungstenite::Message::Ping(bytes::Bytes::from_static(
                    keepalive::PAYLOAD,
                )));
                Ok(())
            }
            Poll::Ready(Due::TimedOut) => {
                let error = Error::keepalive_timeout();
                if let Some((code, reason)) = error.closes_with() {
                    self.queue_close(code, reason);
                }
                Err(error)
            }
        }
    }
}

impl Stream for WebSocket {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        this.check_going_away(cx);
        let alive = this.check_keepalive(cx);
        this.try_flush(cx);
        if let Err(timed_out) = alive {
            this.ended = true;
            return Poll::Ready(Some(Err(timed_out)));
        }
        loop {
            let received = match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                None => {
                    this.ended = true;
                    return Poll::Ready(None);
                }
                Some(received) => received,
            };
            match received {
                Ok(message) => {
                    if let Some(keepalive) = &mut this.keepalive {
                        keepalive.heard();
                        if let tungstenite::Message::Pong(payload) = &message
                            && KeepAlive::is_own_pong(payload)
                        {
                            continue;
                        }
                    }
                    if matches!(message, tungstenite::Message::Close(_)) {
                        // The client's close (or its answer to ours) ends the
                        // exchange: our answer goes out now, not on a read
                        // the app may never make.
                        this.flush_pending = true;
                        this.try_flush(cx);
                        this.ended = true;
                    }
                    if let Some(message) = Message::from_tungstenite(message) {
                        return Poll::Ready(Some(Ok(message)));
                    }
                }
                Err(error) => {
                    let error = Error::from_tungstenite(error);
                    if let Some((code, reason)) = error.closes_with() {
                        this.queue_close(code, reason);
                        this.try_flush(cx);
                    }
                    this.ended = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }
}

impl Sink<Message> for WebSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.check_going_away(cx);
        this.try_flush(cx);
        Pin::new(&mut this.inner)
            .poll_ready(cx)
            .map_err(Error::from_tungstenite)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().inner)
            .start_send(message.into_tungstenite())
            .map_err(Error::from_tungstenite)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let flushed = ready!(Pin::new(&mut this.inner).poll_flush(cx));
        this.flush_pending = false;
        Poll::Ready(flushed.map_err(Error::from_tungstenite))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_close(cx)
            .map_err(Error::from_tungstenite)
    }
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("ended", &self.ended)
            .field("said_going_away", &self.said_going_away)
            .finish_non_exhaustive()
    }
}
