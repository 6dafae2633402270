//! [`MultipartForm`]: a `multipart/form-data` body for `TestClient`
//! (feature `multipart`), as FastAPI's `TestClient` takes `files=`.

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, header};

use super::TestRequest;

/// The boundary between parts. A part whose content holds it would end
/// early: tests do not send it.
const BOUNDARY: &str = "atode-test-boundary-q7Kf2x9";

/// A `multipart/form-data` body: text fields and files, in order. Send it
/// with [`TestRequest::multipart`], or over a socket with
/// [`content_type`](Self::content_type) and [`to_bytes`](Self::to_bytes).
///
/// ```
/// use atode::testing::MultipartForm;
///
/// let form = MultipartForm::new()
///     .text("title", "Notes")
///     .file("doc", "notes.txt", "text/plain", "one\ntwo\n");
/// assert!(form.content_type().starts_with("multipart/form-data; boundary="));
/// let body = String::from_utf8(form.to_bytes().to_vec()).unwrap();
/// assert!(body.contains("Content-Disposition: form-data; name=\"doc\"; filename=\"notes.txt\""));
/// ```
///
/// A test of an upload route sends one as FastAPI's `TestClient` takes
/// `files=`: the route reads it as it would a browser's form.
///
/// ```
/// use atode::multipart::{Multipart, MultipartError};
/// use atode::testing::{MultipartForm, TestClient};
/// use atode::{post, routes, App};
///
/// #[post("/notes")]
/// async fn notes(mut form: Multipart) -> Result<String, MultipartError> {
///     let mut seen = Vec::new();
///     while let Some(field) = form.next_field().await? {
///         let name = field.name().unwrap_or_default().to_owned();
///         let file = field.file_name().map(str::to_owned);
///         seen.push(format!("{name} {file:?} {:?}", field.text().await?));
///     }
///     Ok(seen.join("; "))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![notes]));
/// let form = MultipartForm::new()
///     .text("title", "Notes")
///     .file("doc", "notes.txt", "text/plain", "one\ntwo\n");
/// let response = client.post("/notes").multipart(form).await;
/// assert_eq!(
///     response.text(),
///     r#"title None "Notes"; doc Some("notes.txt") "one\ntwo\n""#
/// );
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct MultipartForm {
    body: BytesMut,
}

impl MultipartForm {
    /// An empty form.
    pub fn new() -> Self {
        MultipartForm::default()
    }

    /// Adds a text field.
    pub fn text(self, name: &str, value: impl Into<Bytes>) -> Self {
        self.part(&format!("form-data; name=\"{name}\""), None, value.into())
    }

    /// Adds a file: a field with a filename and a content type.
    pub fn file(
        self,
        name: &str,
        file_name: &str,
        content_type: &str,
        content: impl Into<Bytes>,
    ) -> Self {
        self.part(
            &format!("form-data; name=\"{name}\"; filename=\"{file_name}\""),
            Some(content_type),
            content.into(),
        )
    }

    fn part(mut self, disposition: &str, content_type: Option<&str>, content: Bytes) -> Self {
        self.body.put_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        self.body
            .put_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
        if let Some(content_type) = content_type {
            self.body
                .put_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        self.body.put_slice(b"\r\n");
        self.body.put_slice(&content);
        self.body.put_slice(b"\r\n");
        self
    }

    /// The request's `Content-Type`, with the boundary.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }

    /// The body: the parts, then the closing boundary.
    pub fn to_bytes(&self) -> Bytes {
        let mut body = self.body.clone();
        body.put_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body.freeze()
    }
}

impl TestRequest<'_> {
    /// Sends `form` as a `multipart/form-data` body, with its
    /// `Content-Type`.
    ///
    /// ```
    /// use atode::multipart::{Multipart, MultipartError};
    /// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
    ///
    /// #[post("/upload")]
    /// async fn upload(mut form: Multipart) -> Result<String, MultipartError> {
    ///     let field = form.next_field().await?.ok_or(MultipartError::missing("file"))?;
    ///     let file_name = field.file_name().unwrap_or_default().to_owned();
    ///     Ok(format!("{file_name}: {}", field.text().await?))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![upload]));
    /// let form = MultipartForm::new().file("file", "a.txt", "text/plain", "hello");
    /// assert_eq!(client.post("/upload").multipart(form).await.text(), "a.txt: hello");
    /// # }
    /// ```
    pub fn multipart(mut self, form: MultipartForm) -> Self {
        self.body = form.to_bytes();
        if let Ok(value) = HeaderValue::try_from(form.content_type()) {
            self.headers.insert(header::CONTENT_TYPE, value);
        }
        self
    }
}
