//! `WebSocketUpgrade`: the extractor that checks a WebSocket handshake,
//! and the response that completes it.

use std::future::Future;
use std::time::Duration;

use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode, Version, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::WebSocket;
use super::keepalive;
use super::sessions::{ConnectionPlace, SessionGuard};
use crate::extract::{FromRequestParts, RequestParts};
use crate::panic::{CatchUnwind, panic_message};
use crate::{Body, HttpError, IntoResponse, Response};

/// The largest message a client may send unless the route says otherwise
/// ([`WebSocketUpgrade::max_message_size`]): 1 MiB, as Python's
/// `websockets` (under FastAPI) allows. A larger one closes the socket with
/// 1009.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// RFC 6455 §1.3: what the server appends to the client's key.
const HANDSHAKE_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A WebSocket handshake, checked: a handler takes it and answers with
/// [`on_upgrade`](Self::on_upgrade), whose callback gets the open
/// [`WebSocket`] once the `101 Switching Protocols` response is written.
///
/// ```
/// use atode::{get, routes, App};
/// use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade};
///
/// #[get("/echo")]
/// async fn echo(ws: WebSocketUpgrade) -> SwitchingProtocols {
///     ws.on_upgrade(|mut socket: WebSocket| async move {
///         while let Some(Ok(message)) = socket.recv().await {
///             if let Message::Text(text) = message {
///                 if socket.send(text).await.is_err() {
///                     break;
///                 }
///             }
///         }
///     })
/// }
///
/// let app = App::new().routes(routes![echo]);
/// ```
///
/// A request that is not a WebSocket handshake is refused before the
/// handler runs, with `{"detail": "..."}` saying what is missing:
///
/// | request | answer |
/// | --- | --- |
/// | no `Connection: upgrade` with `Upgrade: websocket` (a plain `GET`), or on a connection that cannot be upgraded | `426 Upgrade Required`, `Upgrade: websocket` |
/// | `Sec-WebSocket-Version` other than `13` | `426 Upgrade Required`, `Sec-WebSocket-Version: 13` |
/// | `Sec-WebSocket-Key` missing, or not 16 bytes in base64 | `400 Bad Request` |
///
/// ```
/// use atode::{get, routes, App, testing::TestClient};
/// use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
///
/// #[get("/ws")]
/// async fn ws(ws: WebSocketUpgrade) -> SwitchingProtocols {
///     ws.on_upgrade(|_socket| async {})
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![ws]));
/// let response = client.get("/ws").await;
/// assert_eq!(response.status(), 426);
/// assert_eq!(response.header("upgrade"), Some("websocket"));
/// assert_eq!(
///     response.text(),
///     r#"{"detail":"This is a WebSocket endpoint: send a WebSocket handshake (Connection: upgrade, Upgrade: websocket)"}"#
/// );
/// # }
/// ```
///
/// Over HTTP/2 the handshake is an extended `CONNECT` (RFC 8441) with
/// `:protocol` `websocket`: atode routes it as the `GET` it stands for,
/// answers `200`, and the stream carries the socket.
///
/// The background tasks the handler queued run once the response is
/// handed to the connection, while the socket is open: they never wait
/// for the socket to end.
pub struct WebSocketUpgrade {
    on_upgrade: OnUpgrade,
    /// `Sec-WebSocket-Accept`; `None` over HTTP/2, which has no key.
    accept: Option<HeaderValue>,
    session: SessionGuard,
    config: WebSocketConfig,
    max_frame_size: Option<usize>,
    keepalive: Option<keepalive::Settings>,
    /// The client's `Sec-WebSocket-Protocol` offers, as sent.
    offered: Vec<HeaderValue>,
    /// The subprotocol the route chose among them.
    protocol: Option<HeaderValue>,
    route: &'static str,
}

/// How often a quiet client is pinged, unless the route says otherwise:
/// 20 s, as uvicorn (under FastAPI) does.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);

/// How long a pinged client has to send something back before its socket
/// is closed with 1011: 20 s, as uvicorn does.
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(20);

impl WebSocketUpgrade {
    /// The largest message (all its frames together) a client may send,
    /// in bytes: a larger one closes the socket with 1009 (and `recv`
    /// returns an [`Error`](super::Error) of kind
    /// [`MessageTooBig`](super::ErrorKind::MessageTooBig)). Default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`] (1 MiB).
    ///
    /// ```
    /// use atode::get;
    /// use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    ///
    /// #[get("/uploads")]
    /// async fn uploads(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     ws.max_message_size(16 << 20).on_upgrade(|_socket| async {})
    /// }
    /// ```
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = Some(bytes);
        self
    }

    /// The largest single frame a client may send, in bytes; a larger one
    /// closes the socket with 1009 before it is read whole. Default: the
    /// message limit.
    ///
    /// ```
    /// # use atode::get;
    /// # use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    /// #[get("/ticks")]
    /// async fn ticks(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     ws.max_message_size(64 << 10).max_frame_size(4 << 10).on_upgrade(|_socket| async {})
    /// }
    /// ```
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = Some(bytes);
        self
    }

    /// The read buffer each socket allocates up front, in bytes: smaller
    /// saves memory with many idle sockets, larger reads big messages in
    /// fewer calls. Default 128 KiB.
    ///
    /// ```
    /// # use atode::get;
    /// # use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    /// #[get("/presence")]
    /// async fn presence(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     ws.read_buffer_size(4096).on_upgrade(|_socket| async {})
    /// }
    /// ```
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.config.read_buffer_size = bytes;
        self
    }

    /// How many bytes of outgoing frames are gathered before they are
    /// written, when sending through the `Sink` without flushing
    /// ([`WebSocket::send`] always flushes). Default 128 KiB; `0` writes each
    /// frame at once.
    ///
    /// ```
    /// # use atode::get;
    /// # use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    /// #[get("/feed")]
    /// async fn feed(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     ws.write_buffer_size(0).on_upgrade(|_socket| async {})
    /// }
    /// ```
    pub fn write_buffer_size(mut self, bytes: usize) -> Self {
        // tungstenite requires its (unlimited) write cap to be larger.
        self.config.write_buffer_size = bytes.min(usize::MAX / 2);
        self
    }

    /// How long the client may be quiet before atode pings it, or `None`
    /// for no keep-alive pings. Default [`DEFAULT_PING_INTERVAL`] (20 s).
    /// Pings go out while the app waits in [`WebSocket::recv`]; a client
    /// that answers nothing within the [`ping_timeout`](Self::ping_timeout)
    /// is closed with 1011, so a client that vanished without a close frame
    /// does not keep its socket (and its place under
    /// [`Limits::max_connections`](crate::Limits::max_connections)).
    ///
    /// ```
    /// # use atode::get;
    /// # use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    /// use std::time::Duration;
    ///
    /// #[get("/live")]
    /// async fn live(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     // Mobile networks drop idle connections after ~30 s.
    ///     ws.ping_interval(Some(Duration::from_secs(10))).on_upgrade(|_socket| async {})
    /// }
    /// ```
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.keepalive = interval.map(|interval| keepalive::Settings {
            interval,
            timeout: self
                .keepalive
                .map_or(DEFAULT_PING_TIMEOUT, |settings| settings.timeout),
        });
        self
    }

    /// How long a pinged client has to send something (the pong, or any
    /// message) before its socket is closed with 1011 and `recv` returns an
    /// error of kind [`Timeout`](super::ErrorKind::Timeout). Default
    /// [`DEFAULT_PING_TIMEOUT`] (20 s); no effect without a
    /// [`ping_interval`](Self::ping_interval).
    ///
    /// ```
    /// # use atode::get;
    /// # use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    /// use std::time::Duration;
    ///
    /// #[get("/game")]
    /// async fn game(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     ws.ping_interval(Some(Duration::from_secs(5)))
    ///         .ping_timeout(Duration::from_secs(5))
    ///         .on_upgrade(|_socket| async {})
    /// }
    /// ```
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        if let Some(settings) = &mut self.keepalive {
            settings.timeout = timeout;
        }
        self
    }

    /// The subprotocols this route speaks, most preferred first: the
    /// handshake agrees on the first of them that the client offered in
    /// `Sec-WebSocket-Protocol`, answers with it, and
    /// [`WebSocket::protocol`] tells the callback. A client that offered
    /// none of them gets a socket without a subprotocol, as RFC 6455 lets
    /// the server do; it may then close it.
    ///
    /// ```
    /// use atode::{get, routes, App};
    /// use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    ///
    /// #[get("/graphql")]
    /// async fn graphql(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     ws.protocols(["graphql-transport-ws", "graphql-ws"])
    ///         .on_upgrade(|socket| async move {
    ///             let _legacy = socket.protocol() == Some("graphql-ws");
    ///         })
    /// }
    /// # let app = App::new().routes(routes![graphql]);
    /// ```
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.protocol = protocols.into_iter().find_map(|wanted| {
            let wanted = wanted.as_ref();
            self.requested_protocols()
                .find(|offered| offered.eq_ignore_ascii_case(wanted))
                .and_then(|offered| HeaderValue::from_str(offered).ok())
        });
        self
    }

    /// The subprotocols the client offered, in its order.
    ///
    /// ```
    /// # use atode::get;
    /// # use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    /// #[get("/ws")]
    /// async fn ws(ws: WebSocketUpgrade) -> SwitchingProtocols {
    ///     let wants_json = ws.requested_protocols().any(|p| p == "json");
    ///     ws.on_upgrade(move |_socket| async move { let _ = wants_json; })
    /// }
    /// ```
    pub fn requested_protocols(&self) -> impl Iterator<Item = &str> {
        self.offered
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|protocol| !protocol.is_empty())
    }

    /// Completes the handshake: the response to return from the handler,
    /// and `callback`, which gets the open [`WebSocket`] once the response
    /// is written and runs as its own task for as long as it likes. When
    /// it returns, the socket is dropped (and the connection closed); a
    /// panic in it is logged and closes the socket.
    ///
    /// ```
    /// use atode::{get, routes, App, BackgroundTasks};
    /// use atode::ws::{SwitchingProtocols, WebSocketUpgrade};
    ///
    /// fn log_join(who: String) {
    ///     println!("{who} joined");
    /// }
    ///
    /// #[get("/join/<name>")]
    /// async fn join(name: String, ws: WebSocketUpgrade, tasks: BackgroundTasks) -> SwitchingProtocols {
    ///     // Runs once the 101 is written, while the socket is open.
    ///     tasks.add_task(log_join, (name.clone(),));
    ///     ws.on_upgrade(move |mut socket| async move {
    ///         let _ = socket.send(format!("welcome, {name}")).await;
    ///     })
    /// }
    /// ```
    pub fn on_upgrade<F, Fut>(self, callback: F) -> SwitchingProtocols
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let WebSocketUpgrade {
            on_upgrade,
            accept,
            session,
            mut config,
            max_frame_size,
            keepalive,
            offered: _,
            protocol,
            route,
        } = self;
        config.max_frame_size = max_frame_size.or(config.max_message_size);
        let aborted = session.aborted();
        let response_protocol = protocol.clone();
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    // The response was not sent as written (a middleware
                    // replaced it), or the client left first.
                    tracing::debug!(target: "atode::ws", route, %error, "WebSocket upgrade did not happen");
                    return;
                }
            };
            let stream = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            let socket = WebSocket::new(stream, session, keepalive, response_protocol);
            let session = Box::pin(callback(socket));
            tokio::select! {
                ended = CatchUnwind::new(session) => if let Err(panic) = ended {
                    tracing::error!(
                        target: "atode::ws",
                        route,
                        panic = %panic_message(&*panic),
                        "WebSocket handler panicked; its socket is closed"
                    );
                },
                () = aborted => {}
            }
        });
        SwitchingProtocols { accept, protocol }
    }

    fn check(parts: &mut RequestParts) -> Result<Self, HttpError> {
        let headers = parts.headers();
        let h2 = parts.version() == Version::HTTP_2;
        let handshake = if h2 {
            // RFC 8441: the connection service turned the CONNECT into a
            // GET and left `:protocol` in the extensions.
            parts
                .extensions()
                .get::<hyper::ext::Protocol>()
                .is_some_and(|protocol| protocol.as_str().eq_ignore_ascii_case("websocket"))
        } else {
            has_token(headers, header::CONNECTION, "upgrade")
                && has_token(headers, header::UPGRADE, "websocket")
        };
        if !handshake {
            return Err(upgrade_required(
                "This is a WebSocket endpoint: send a WebSocket handshake (Connection: upgrade, Upgrade: websocket)",
            ));
        }
        if headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_none_or(|version| version != "13")
        {
            return Err(upgrade_required("Sec-WebSocket-Version must be 13").header(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            ));
        }
        let accept = if h2 {
            None
        } else {
            let key = headers
                .get(header::SEC_WEBSOCKET_KEY)
                .ok_or_else(|| HttpError::bad_request("Sec-WebSocket-Key is missing"))?;
            if !is_valid_key(key) {
                return Err(HttpError::bad_request(
                    "Sec-WebSocket-Key must be 16 bytes in base64",
                ));
            }
            Some(accept_key(key))
        };
        let on_upgrade = parts.extensions_mut().remove::<OnUpgrade>().ok_or_else(|| {
            upgrade_required("This connection cannot be upgraded to a WebSocket (HTTP/1.1 or HTTP/2 required)")
        })?;
        // The socket keeps its connection's place under the limit.
        let place = parts.extensions_mut().remove::<ConnectionPlace>();
        let session = parts.lifecycle().join_socket(place);
        let config = WebSocketConfig::default().max_message_size(Some(DEFAULT_MAX_MESSAGE_SIZE));
        let offered = parts
            .headers()
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .cloned()
            .collect();
        Ok(WebSocketUpgrade {
            on_upgrade,
            accept,
            session,
            config,
            max_frame_size: None,
            keepalive: Some(keepalive::Settings {
                interval: DEFAULT_PING_INTERVAL,
                timeout: DEFAULT_PING_TIMEOUT,
            }),
            offered,
            protocol: None,
            route: parts.route_path(),
        })
    }
}

impl FromRequestParts for WebSocketUpgrade {
    type Rejection = HttpError;
    /// The handshake's headers are the request's data: checked with the
    /// other inputs, after the dependencies, in the signature's order.
    const INPUT: bool = true;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        WebSocketUpgrade::check(parts)
    }
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("route", &self.route)
            .field("max_message_size", &self.config.max_message_size)
            .finish_non_exhaustive()
    }
}

fn upgrade_required(detail: &'static str) -> HttpError {
    HttpError::new(StatusCode::UPGRADE_REQUIRED, detail)
        .header(header::UPGRADE, HeaderValue::from_static("websocket"))
}

/// Whether a comma-separated header lists `token` (any case), as
/// `Connection: keep-alive, Upgrade` does.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// RFC 6455 §4.1: the key is 16 random bytes in base64.
fn is_valid_key(key: &HeaderValue) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(key.as_bytes())
        .is_ok_and(|bytes| bytes.len() == 16)
}

/// RFC 6455 §4.2.2: base64 of the SHA-1 of the key and the GUID.
fn accept_key(key: &HeaderValue) -> HeaderValue {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(HANDSHAKE_GUID);
    let accept = base64::engine::general_purpose::STANDARD.encode(sha1.finalize());
    HeaderValue::from_str(&accept).expect("base64 is a valid header value")
}

/// The response that completes a WebSocket handshake: `101 Switching
/// Protocols` over HTTP/1.1, `200` over HTTP/2. Made by
/// [`WebSocketUpgrade::on_upgrade`]; return it from the handler.
#[derive(Debug)]
#[must_use = "the handshake completes only when the handler returns this response"]
pub struct SwitchingProtocols {
    accept: Option<HeaderValue>,
    protocol: Option<HeaderValue>,
}

impl IntoResponse for SwitchingProtocols {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        match self.accept {
            Some(accept) => {
                *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                let headers = response.headers_mut();
                headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
                headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
            }
            // HTTP/2: a 2xx to the CONNECT opens the stream.
            None => *response.status_mut() = StatusCode::OK,
        }
        if let Some(protocol) = self.protocol {
            response
                .headers_mut()
                .insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_is_the_rfc_example() {
        // RFC 6455 §1.3.
        let key = HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ==");
        assert!(is_valid_key(&key));
        assert_eq!(accept_key(&key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert!(!is_valid_key(&HeaderValue::from_static("c2hvcnQ=")));
        assert!(!is_valid_key(&HeaderValue::from_static("not base64!")));
    }

    #[test]
    fn connection_tokens_are_a_list_in_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(has_token(&headers, header::CONNECTION, "upgrade"));
        assert!(!has_token(&headers, header::CONNECTION, "close"));
        assert!(!has_token(&headers, header::UPGRADE, "websocket"));
    }
}
