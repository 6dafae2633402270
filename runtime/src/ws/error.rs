//! What can go wrong on an open WebSocket.

use std::fmt;

use tokio_tungstenite::tungstenite::{self, error::ProtocolError};

use super::message::{CloseCode, close_code};

/// Why a WebSocket could not receive or send. Errors the client caused
/// have already been answered with their close frame when `recv` returns
/// them ([`Error::close_code`] says which).
///
/// ```
/// use atode::ws::{ErrorKind, WebSocket};
///
/// async fn log_why_it_ended(mut socket: WebSocket) {
///     while let Some(received) = socket.recv().await {
///         if let Err(error) = received {
///             if error.kind() == ErrorKind::MessageTooBig {
///                 eprintln!("a client sent too much: closed with {:?}", error.close_code());
///             }
///             break;
///         }
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    inner: tungstenite::Error,
}

/// The kinds of [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A message or frame over the limits set on the
    /// [`WebSocketUpgrade`](super::WebSocketUpgrade): closed with 1009.
    MessageTooBig,
    /// A text message (or close reason) that is not UTF-8: closed with 1007.
    InvalidUtf8,
    /// A frame that breaks RFC 6455 (unmasked, reserved bits or opcodes, a
    /// fragmented or oversized control frame): closed with 1002.
    Protocol,
    /// The socket is closing or closed: nothing more can be sent.
    Closed,
    /// The connection broke (reset, or closed without a close frame).
    ConnectionLost,
    /// The client sent nothing back within the
    /// [ping timeout](super::WebSocketUpgrade::ping_timeout) of a
    /// keep-alive ping: closed with 1011.
    Timeout,
}

impl Error {
    pub(crate) fn from_tungstenite(inner: tungstenite::Error) -> Self {
        use tungstenite::Error as E;
        let kind = match &inner {
            E::Capacity(_) => ErrorKind::MessageTooBig,
            E::Utf8(_) => ErrorKind::InvalidUtf8,
            E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => ErrorKind::ConnectionLost,
            E::Protocol(ProtocolError::SendAfterClosing) => ErrorKind::Closed,
            E::Protocol(_) | E::AttackAttempt => ErrorKind::Protocol,
            E::ConnectionClosed | E::AlreadyClosed => ErrorKind::Closed,
            _ => ErrorKind::ConnectionLost,
        };
        Error { kind, inner }
    }

    /// The client did not answer a keep-alive ping in time.
    pub(crate) fn keepalive_timeout() -> Self {
        let inner = std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the client did not answer the keep-alive ping in time",
        );
        Error {
            kind: ErrorKind::Timeout,
            inner: tungstenite::Error::Io(inner),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The close code the server sent the client for this error, if it
    /// called for one.
    ///
    /// ```
    /// # use atode::ws::Error;
    /// fn was_too_big(error: &Error) -> bool {
    ///     error.close_code() == Some(atode::ws::close_code::SIZE)
    /// }
    /// ```
    pub fn close_code(&self) -> Option<CloseCode> {
        self.closes_with().map(|(code, _)| code)
    }

    /// The close frame a received error calls for.
    pub(crate) fn closes_with(&self) -> Option<(CloseCode, &'static str)> {
        match self.kind {
            ErrorKind::MessageTooBig => Some((close_code::SIZE, "message too big")),
            ErrorKind::InvalidUtf8 => Some((close_code::INVALID, "text is not UTF-8")),
            ErrorKind::Protocol => Some((close_code::PROTOCOL, "protocol error")),
            ErrorKind::Timeout => Some((close_code::ERROR, "keepalive ping timeout")),
            ErrorKind::Closed | ErrorKind::ConnectionLost => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner)
    }
}
