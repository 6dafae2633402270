//! WebSocket routes: a handler takes a [`WebSocketUpgrade`] and answers
//! with [`WebSocketUpgrade::on_upgrade`], whose callback talks over the
//! open [`WebSocket`].
//!
//! ```
//! use atode::{get, routes, App, BackgroundTasks};
//! use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade};
//!
//! fn log_connect(route: &'static str) {
//!     println!("a client connected to {route}");
//! }
//!
//! #[get("/ws")]
//! async fn ws(upgrade: WebSocketUpgrade, tasks: BackgroundTasks) -> SwitchingProtocols {
//!     tasks.add_task(log_connect, ("/ws",));
//!     upgrade.on_upgrade(echo)
//! }
//!
//! async fn echo(mut socket: WebSocket) {
//!     while let Some(Ok(message)) = socket.recv().await {
//!         let reply = match message {
//!             Message::Text(text) => Message::Text(text),
//!             Message::Binary(bytes) => Message::Binary(bytes),
//!             _ => continue, // pings and closes are answered for us
//!         };
//!         if socket.send(reply).await.is_err() {
//!             break;
//!         }
//!     }
//! }
//!
//! let app = App::new().routes(routes![ws]);
//! ```
//!
//! What atode does for every socket:
//!
//! - **Handshake.** HTTP/1.1 `Upgrade: websocket` (answered `101`), and
//!   HTTP/2's extended `CONNECT` (RFC 8441, answered `200`), which atode
//!   routes as a `GET` (so a `#[get]` route serves both, and middleware sees
//!   `GET`). A request that is no handshake is a `426` or `400` with
//!   `{"detail": ...}`; see [`WebSocketUpgrade`].
//! - **Background tasks** the handler (or its extractors) queued run once
//!   the handshake's response is handed to the connection, as for any
//!   response: while the socket is open, never waiting for it to end.
//! - **Protocol duties.** Pings are answered, close frames are answered,
//!   a quiet client is pinged every 20 s and closed with 1011 when it does
//!   not answer within 20 s ([`WebSocketUpgrade::ping_interval`]),
//!   subprotocols are agreed ([`WebSocketUpgrade::protocols`]),
//!   and a client that breaks the rules is closed with the code RFC 6455
//!   gives: 1009 past the size limit ([`WebSocketUpgrade::max_message_size`],
//!   1 MiB by default), 1007 for text that is not UTF-8, 1002 for a frame
//!   that breaks the protocol (such as an unmasked one).
//! - **Shutdown.** Upgraded sockets leave hyper's graceful shutdown, so the
//!   server tracks them: at shutdown each sends 1001 Going Away (from its
//!   next `recv` or `send`; a socket waiting in `recv` sends it at once),
//!   and the server waits for them to finish, for at most
//!   [`Limits::websocket_close_timeout`](crate::Limits::websocket_close_timeout)
//!   (and within the shutdown deadline), before dropping the rest and
//!   moving on to the background tasks.
//! - **Limits.** A socket keeps the place its connection had under
//!   [`Limits::max_connections`](crate::Limits::max_connections) until it
//!   ends; sockets over one HTTP/2 connection share its place.
//!
//! The types here are atode's own: an app does not depend on tungstenite,
//! which atode uses underneath, nor on its version.
//!
//! The OpenAPI document cannot describe a WebSocket's messages: a route
//! that takes [`WebSocketUpgrade`] documents its handshake (`101` and the
//! rejections), and is best left out with `include_in_schema = false`, as
//! an HTTP client (or a fuzzer) cannot use it.

mod error;
mod keepalive;
mod message;
#[cfg(feature = "openapi")]
mod openapi;
mod sessions;
mod socket;
mod upgrade;

pub use error::{Error, ErrorKind};
pub use message::{CloseCode, CloseFrame, Message, Utf8Bytes, close_code};
pub use socket::WebSocket;
pub use upgrade::{
    DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT, SwitchingProtocols,
    WebSocketUpgrade,
};

pub(crate) use sessions::{ConnectionPlace, SessionGuard, Sessions};
