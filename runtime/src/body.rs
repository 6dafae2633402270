//! The body type that requests and responses share.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// A boxed error, as carried by streamed bodies: what reading a [`Body`]
/// fails with, whatever the error of the stream or body it was built from.
///
/// ```
/// use atode::body::ReceiverStream;
/// use atode::{Body, BoxError};
/// use bytes::Bytes;
/// use http_body_util::BodyExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
/// tx.send(Err(std::io::Error::other("disk gone"))).await.unwrap();
/// drop(tx);
/// let error: BoxError = Body::from_stream(ReceiverStream::new(rx)).collect().await.unwrap_err();
/// assert_eq!(error.to_string(), "disk gone");
/// # }
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTP body: empty, one chunk of bytes, a request body from hyper, or any
/// other [`http_body::Body`].
///
/// The common cases (empty and a single chunk) are stored inline, so a plain
/// text or JSON response allocates nothing for its body beyond its bytes.
///
/// ```
/// use atode::Body;
/// use http_body_util::BodyExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let body = Body::from("Hello, World!");
/// let bytes = body.collect().await.unwrap().to_bytes();
/// assert_eq!(bytes, "Hello, World!");
/// # }
/// ```
pub struct Body(Kind);

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Incoming(hyper::body::Incoming),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// A body with no bytes, such as a `204` response's. Also what
    /// `Body::default()` gives.
    ///
    /// ```
    /// use atode::Body;
    /// use http_body::Body as _;
    ///
    /// let body = Body::empty();
    /// assert!(body.is_end_stream());
    /// assert_eq!(body.size_hint().exact(), Some(0));
    /// ```
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// Wraps any [`http_body::Body`], such as a stream of chunks.
    ///
    /// ```
    /// use atode::Body;
    /// use bytes::Bytes;
    /// use http_body_util::{BodyExt, Full};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let body = Body::new(Full::new(Bytes::from_static(b"chunk")));
    /// assert_eq!(body.collect().await.unwrap().to_bytes(), "chunk");
    /// # }
    /// ```
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        // A `Body` passed back in is kept as it is rather than boxed twice.
        if let Some(body) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Body>>() {
            return body.take().unwrap_or_default();
        }
        match slot {
            Some(body) => Body(Kind::Boxed(body.map_err(Into::into).boxed_unsync())),
            None => Body::empty(),
        }
    }

    /// Builds a body from a [`Stream`](futures_core::Stream) of chunks: each
    /// item becomes one frame, sent as soon as it is ready.
    ///
    /// ```
    /// use atode::Body;
    /// use bytes::Bytes;
    /// use http_body_util::BodyExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    /// let body = Body::from_stream(atode::body::ReceiverStream::new(rx));
    /// tx.send(Ok(Bytes::from("Hello, "))).await.unwrap();
    /// tx.send(Ok(Bytes::from("World!"))).await.unwrap();
    /// drop(tx); // the stream, and so the body, ends
    /// assert_eq!(body.collect().await.unwrap().to_bytes(), "Hello, World!");
    /// # }
    /// ```
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Body::new(StreamBody {
            stream: Box::pin(stream),
        })
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.0 {
            Kind::Empty => "empty",
            Kind::Full(_) => "full",
            Kind::Incoming(_) => "incoming",
            Kind::Boxed(_) => "boxed",
        };
        f.debug_tuple("Body").field(&kind).finish()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            Body::empty()
        } else {
            Body(Kind::Full(Some(bytes)))
        }
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Bytes::from_static(bytes).into()
    }
}

impl Body {
    /// A request body as hyper reads it off the connection. Not a `From`
    /// impl: no hyper type is part of atode's API.
    pub(crate) fn incoming(body: hyper::body::Incoming) -> Self {
        Body(Kind::Incoming(body))
    }
}

/// What reading a request body fails with when the client sends it too
/// slowly ([`Limits::body_read_timeout`](crate::Limits) and
/// [`Limits::min_body_rate`](crate::Limits)); body extractors answer it
/// `408`.
#[derive(Debug)]
pub(crate) struct BodyTimedOut;

impl fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body the router takes as it comes: hyper's from the server, a
/// [`Body`] from the `TestClient` or a tower caller. The request is routed
/// as it is and turned into a `Request<Body>` only where it is taken apart,
/// rather than copied whole by a `map` before routing.
pub(crate) trait IntoBody: Send + 'static {
    fn into_body(self) -> Body;
}

impl IntoBody for Body {
    #[inline]
    fn into_body(self) -> Body {
        self
    }
}

impl IntoBody for hyper::body::Incoming {
    #[inline]
    fn into_body(self) -> Body {
        Body::incoming(self)
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    #[inline]
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Incoming(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            Kind::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Incoming(body) => body.is_end_stream(),
            Kind::Boxed(body) => body.is_end_stream(),
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Incoming(body) => body.size_hint(),
            Kind::Boxed(body) => body.size_hint(),
        }
    }
}

struct StreamBody<E> {
    stream: Pin<Box<dyn futures_core::Stream<Item = Result<Bytes, E>> + Send>>,
}

impl<E> http_body::Body for StreamBody<E> {
    type Data = Bytes;
    type Error = E;

    #[inline]
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, E>>> {
        self.stream
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map(Frame::data)))
    }
}

/// Adapts a tokio [`mpsc::Receiver`](tokio::sync::mpsc::Receiver) into a
/// [`Stream`](futures_core::Stream), for [`Body::from_stream`]: tokio-stream's
/// own, re-exported. The stream ends once every sender is dropped, so a
/// handler can stream a response that another task produces:
///
/// ```
/// use atode::body::ReceiverStream;
/// use atode::{get, routes, App, Body, Response, testing::TestClient};
/// use bytes::Bytes;
/// use std::convert::Infallible;
///
/// #[get("/count")]
/// async fn count() -> Response {
///     let (tx, rx) = tokio::sync::mpsc::channel(2);
///     tokio::spawn(async move {
///         for n in 1..=3 {
///             if tx.send(Ok::<_, Infallible>(Bytes::from(n.to_string()))).await.is_err() {
///                 break; // the client went away
///             }
///         }
///     });
///     Response::new(Body::from_stream(ReceiverStream::new(rx)))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![count]));
/// assert_eq!(client.get("/count").await.text(), "123");
/// # }
/// ```
pub use tokio_stream::wrappers::ReceiverStream;
