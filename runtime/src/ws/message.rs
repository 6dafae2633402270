//! The messages of a WebSocket, in atode's own types: an app depends on
//! these, not on the version of tungstenite that atode uses underneath, so
//! upgrading it is never a breaking change for apps.

use std::fmt;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::{self, protocol::frame::coding::CloseCode as TungsteniteCode};

/// One WebSocket message, received with [`WebSocket::recv`](super::WebSocket::recv)
/// or sent with [`WebSocket::send`](super::WebSocket::send).
///
/// Pings are answered for you (the pong goes out with the next read), and
/// so is a close frame from the client; they are still handed to you, so an
/// app can see them.
///
/// ```
/// use atode::ws::{Message, close_code};
///
/// let greeting = Message::text("hello");
/// assert_eq!(greeting.as_text(), Some("hello"));
/// assert_eq!(Message::binary(vec![1, 2, 3]).as_text(), None);
/// let bye = Message::close(close_code::NORMAL, "done");
/// assert!(matches!(bye, Message::Close(Some(frame)) if frame.code == 1000 && frame.reason == "done"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message: always valid UTF-8 (a client that sends anything
    /// else is closed with [`close_code::INVALID`]).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping, with at most 125 bytes of payload. Received pings are
    /// answered automatically.
    Ping(Bytes),
    /// A pong, with at most 125 bytes of payload.
    Pong(Bytes),
    /// A close frame, with its code and reason when it has them. Receiving
    /// one means the client is closing; sending one starts closing.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    ///
    /// ```
    /// # use atode::ws::Message;
    /// assert_eq!(Message::text(String::from("hi")), Message::text("hi"));
    /// ```
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Message::Text(text.into())
    }

    /// A binary message.
    ///
    /// ```
    /// # use atode::ws::Message;
    /// assert_eq!(Message::binary(&b"\x00\x01"[..]), Message::Binary(vec![0, 1].into()));
    /// ```
    pub fn binary(bytes: impl Into<Bytes>) -> Self {
        Message::Binary(bytes.into())
    }

    /// A close frame with `code` (see [`close_code`]) and a reason (at most
    /// 123 bytes, as the frame holds 125 with the code).
    ///
    /// ```
    /// # use atode::ws::{Message, close_code};
    /// let Message::Close(Some(frame)) = Message::close(close_code::POLICY, "no") else { unreachable!() };
    /// assert_eq!((frame.code, frame.reason.as_str()), (1008, "no"));
    /// ```
    pub fn close(code: CloseCode, reason: impl Into<Utf8Bytes>) -> Self {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    }

    /// The text of a text message.
    ///
    /// ```
    /// # use atode::ws::Message;
    /// assert_eq!(Message::text("hi").as_text(), Some("hi"));
    /// assert_eq!(Message::Ping(Default::default()).as_text(), None);
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(text) => Some(text.as_str()),
            _ => None,
        }
    }

    pub(crate) fn from_tungstenite(message: tungstenite::Message) -> Option<Self> {
        Some(match message {
            tungstenite::Message::Text(text) => Message::Text(Utf8Bytes(text)),
            tungstenite::Message::Binary(bytes) => Message::Binary(bytes),
            tungstenite::Message::Ping(bytes) => Message::Ping(bytes),
            tungstenite::Message::Pong(bytes) => Message::Pong(bytes),
            tungstenite::Message::Close(frame) => {
                Message::Close(frame.map(CloseFrame::from_tungstenite))
            }
            // Raw frames are never produced by reading.
            tungstenite::Message::Frame(_) => return None,
        })
    }

    pub(crate) fn into_tungstenite(self) -> tungstenite::Message {
        match self {
            Message::Text(text) => tungstenite::Message::Text(text.0),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
            Message::Ping(bytes) => tungstenite::Message::Ping(bytes),
            Message::Pong(bytes) => tungstenite::Message::Pong(bytes),
            Message::Close(frame) => {
                tungstenite::Message::Close(frame.map(CloseFrame::into_tungstenite))
            }
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::text(text)
    }
}

impl From<Utf8Bytes> for Message {
    fn from(text: Utf8Bytes) -> Self {
        Message::Text(text)
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Self {
        Message::Binary(bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Message::binary(bytes)
    }
}

/// A WebSocket close code, such as [`close_code::NORMAL`] (`1000`).
pub type CloseCode = u16;

/// The close codes of RFC 6455 §7.4.1 that a server sends.
///
/// ```
/// use atode::ws::close_code;
///
/// assert_eq!(close_code::AWAY, 1001); // sent to every client at shutdown
/// assert_eq!(close_code::SIZE, 1009); // a message over the size limit
/// ```
pub mod close_code {
    use super::CloseCode;

    /// The purpose of the connection is fulfilled.
    pub const NORMAL: CloseCode = 1000;
    /// The server is going away: atode sends it to every open WebSocket
    /// when the server shuts down.
    pub const AWAY: CloseCode = 1001;
    /// The peer broke the protocol (an unmasked client frame, a bad
    /// opcode, a fragmented control frame).
    pub const PROTOCOL: CloseCode = 1002;
    /// The peer sent a kind of data the endpoint does not accept.
    pub const UNSUPPORTED: CloseCode = 1003;
    /// A text message that is not UTF-8.
    pub const INVALID: CloseCode = 1007;
    /// A message that breaks the endpoint's policy.
    pub const POLICY: CloseCode = 1008;
    /// A message over the size limit
    /// ([`WebSocketUpgrade::max_message_size`](crate::ws::WebSocketUpgrade::max_message_size)).
    pub const SIZE: CloseCode = 1009;
    /// The server hit an unexpected condition.
    pub const ERROR: CloseCode = 1011;
    /// The server is restarting.
    pub const RESTART: CloseCode = 1012;
    /// The server is overloaded; try again later.
    pub const AGAIN: CloseCode = 1013;
}

/// The code and reason of a close frame.
///
/// ```
/// use atode::ws::{CloseFrame, close_code};
///
/// let frame = CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() };
/// assert_eq!(frame.to_string(), "1001 server shutting down");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// Why the connection closes, as a code.
    pub code: CloseCode,
    /// Why, for a person (may be empty).
    pub reason: Utf8Bytes,
}

impl CloseFrame {
    pub(crate) fn from_tungstenite(frame: tungstenite::protocol::CloseFrame) -> Self {
        CloseFrame {
            code: frame.code.into(),
            reason: Utf8Bytes(frame.reason),
        }
    }

    pub(crate) fn into_tungstenite(self) -> tungstenite::protocol::CloseFrame {
        tungstenite::protocol::CloseFrame {
            code: TungsteniteCode::from(self.code),
            reason: self.reason.0,
        }
    }
}

impl fmt::Display for CloseFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.reason)
    }
}

/// Text known to be UTF-8, shared without copying (a text message's
/// payload, as received).
///
/// ```
/// use atode::ws::Utf8Bytes;
///
/// let text = Utf8Bytes::from("héllo");
/// assert_eq!(text.as_str(), "héllo");
/// assert_eq!(text, "héllo");
/// assert_eq!(text.len(), 6); // bytes, through `Deref<Target = str>`
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Utf8Bytes(tungstenite::Utf8Bytes);

impl Utf8Bytes {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl std::ops::Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Utf8Bytes(text.into())
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Utf8Bytes(text.into())
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0.into()
    }
}

impl From<Utf8Bytes> for String {
    fn from(text: Utf8Bytes) -> Self {
        text.as_str().to_owned()
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Utf8Bytes {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}
