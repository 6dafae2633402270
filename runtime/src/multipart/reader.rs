//! [`Multipart`]: the extractor, and the reader that walks a form's parts
//! one after another.

use std::future::poll_fn;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Poll;

use http::header;

use super::Spooled;
use super::field::Field;
use super::stream::{BodyStream, HeadGuard};
use super::{AnyForm, MultipartError};
use crate::extract::has_content_type;
use crate::{Body, FromRequest, RequestParts};

/// The largest head a part may have (its `Content-Disposition` and other
/// headers, with any preamble before the first one), in bytes: real forms
/// use a few hundred.
pub const PART_HEAD_LIMIT: usize = 16 * 1024;

/// The default of [`Multipart::field_limit`]: 1 MiB, as Starlette's.
pub const DEFAULT_FIELD_LIMIT: usize = 1024 * 1024;

/// The default of [`Multipart::max_parts`]: 1000, as Starlette's.
pub const DEFAULT_MAX_PARTS: usize = 1000;

/// The default of [`Multipart::spool_threshold`]: 1 MiB, as Starlette's.
pub const DEFAULT_SPOOL_THRESHOLD: usize = 1024 * 1024;

/// A `multipart/form-data` body, read field by field as it arrives: the
/// extractor for uploads. It must be the handler's last extractor (it reads
/// the body).
///
/// The extractor itself only checks the request head: `415` unless the
/// `Content-Type` is `multipart/form-data`, `400` without a valid
/// `boundary`, `413` for a `Content-Length` over the body limit. The
/// fields are then read by the handler, with [`next_field`](Self::next_field);
/// what goes wrong there is a [`MultipartError`] to return (`?`):
///
/// | limit | default | past it |
/// | --- | --- | --- |
/// | the whole body | the route's body limit: 2 MiB unless `App::body_limit` or the route's `body_limit = <bytes>` raise it | `413` |
/// | a field without a filename | [`field_limit`](Self::field_limit), 1 MiB | `413` |
/// | a file (a field with a filename) | [`file_limit`](Self::file_limit), none but the body limit | `413` |
/// | parts | [`max_parts`](Self::max_parts), 1000 | `413` |
/// | a part's headers | [`PART_HEAD_LIMIT`], 16 KiB | `413` |
///
/// A body that is not well-formed multipart (the boundary never comes, a
/// part is cut short, its headers do not parse) is a `400`, as Starlette
/// answers it; `422`, in FastAPI's shape, is for a well-formed form that
/// lacks what the handler needs ([`MultipartError::missing`]).
///
/// `F` only documents the form in the OpenAPI document: a
/// `#[derive(JsonSchema)]` struct whose file fields are [`UploadFile`]s
/// (`{"type": "string", "format": "binary"}`). Without it the form is any
/// object. The handler reads the fields itself, so it must check what `F`
/// promises.
///
/// ```
/// use atode::multipart::{Multipart, MultipartError, UploadFile};
/// use atode::{post, routes, App, BackgroundTasks, testing::{MultipartForm, TestClient}};
///
/// fn count_lines(upload: UploadFile) -> std::io::Result<()> {
///     use std::io::BufRead;
///     let lines = std::io::BufReader::new(upload.reader()?).lines().count();
///     println!("{:?} has {lines} lines", upload.filename());
///     Ok(())
/// }
///
/// // Uploads up to 64 MiB; files past 1 MiB are spooled to a temporary file.
/// #[post("/upload", body_limit = 64 * 1024 * 1024)]
/// async fn upload(mut form: Multipart, tasks: BackgroundTasks) -> Result<String, MultipartError> {
///     while let Some(field) = form.next_field().await? {
///         if field.name() == Some("file") {
///             let upload = field.upload().await?;
///             let size = upload.size();
///             tasks.add_task(count_lines, (upload,));
///             return Ok(format!("{size} bytes"));
///         }
///     }
///     Err(MultipartError::missing("file"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![upload]));
/// let form = MultipartForm::new().file("file", "a.txt", "text/plain", "one\ntwo\n");
/// assert_eq!(client.post("/upload").multipart(form).await.text(), "8 bytes");
/// # }
/// ```
///
/// [`UploadFile`]: super::UploadFile
pub struct Multipart<F = AnyForm> {
    reader: Reader,
    form: PhantomData<fn() -> F>,
}

/// The parser and the limits; what a [`Field`] borrows.
pub(crate) struct Reader {
    inner: multer::Multipart<'static>,
    guard: Arc<HeadGuard>,
    /// The field handed out last, put back by its `Field` when dropped, so
    /// the rest of it is skipped before the next head is looked for.
    pub(crate) current: Option<multer::Field<'static>>,
    pub(crate) limits: Limits,
    /// The app's spooled uploads, which the uploads read here join.
    pub(crate) spooled: Arc<Spooled>,
    body_limit: usize,
    parts: usize,
    failed: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) field: usize,
    pub(crate) file: Option<usize>,
    pub(crate) parts: usize,
    pub(crate) spool_threshold: usize,
}

impl<F> Multipart<F> {
    /// The largest field without a filename (a text field), in bytes;
    /// `413` past it. 1 MiB unless set.
    ///
    /// ```
    /// use atode::multipart::{Multipart, MultipartError};
    /// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
    ///
    /// #[post("/comment")]
    /// async fn comment(form: Multipart) -> Result<String, MultipartError> {
    ///     let mut form = form.field_limit(10);
    ///     let field = form.next_field().await?.ok_or(MultipartError::missing("text"))?;
    ///     field.text().await
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![comment]));
    /// let short = MultipartForm::new().text("text", "short");
    /// assert_eq!(client.post("/comment").multipart(short).await.text(), "short");
    /// let long = MultipartForm::new().text("text", "far too long for it");
    /// let response = client.post("/comment").multipart(long).await;
    /// assert_eq!(response.status(), 413);
    /// assert_eq!(response.text(), r#"{"detail":"The field `text` is larger than the limit of 10 bytes"}"#);
    /// # }
    /// ```
    pub fn field_limit(mut self, bytes: usize) -> Self {
        self.reader.limits.field = bytes;
        self
    }

    /// The largest file (a field with a filename), in bytes; `413` past
    /// it. Unless set, only the route's body limit bounds a file.
    ///
    /// ```
    /// use atode::multipart::{Multipart, MultipartError};
    /// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
    ///
    /// #[post("/avatar")]
    /// async fn avatar(form: Multipart) -> Result<String, MultipartError> {
    ///     let mut form = form.file_limit(4);
    ///     let field = form.next_field().await?.ok_or(MultipartError::missing("avatar"))?;
    ///     Ok(format!("{} bytes", field.bytes().await?.len()))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![avatar]));
    /// let form = MultipartForm::new().file("avatar", "a.png", "image/png", "12345");
    /// assert_eq!(client.post("/avatar").multipart(form).await.status(), 413);
    /// # }
    /// ```
    pub fn file_limit(mut self, bytes: usize) -> Self {
        self.reader.limits.file = Some(bytes);
        self
    }

    /// The most parts a form may have; `413` at the one past it. 1000
    /// unless set.
    ///
    /// ```
    /// use atode::multipart::{Multipart, MultipartError};
    /// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
    ///
    /// #[post("/tags")]
    /// async fn tags(form: Multipart) -> Result<String, MultipartError> {
    ///     let mut form = form.max_parts(2);
    ///     let mut tags = Vec::new();
    ///     while let Some(field) = form.next_field().await? {
    ///         tags.push(field.text().await?);
    ///     }
    ///     Ok(tags.join(","))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![tags]));
    /// let two = MultipartForm::new().text("tag", "a").text("tag", "b");
    /// assert_eq!(client.post("/tags").multipart(two).await.text(), "a,b");
    /// let three = MultipartForm::new().text("tag", "a").text("tag", "b").text("tag", "c");
    /// assert_eq!(client.post("/tags").multipart(three).await.status(), 413);
    /// # }
    /// ```
    pub fn max_parts(mut self, parts: usize) -> Self {
        self.reader.limits.parts = parts;
        self
    }

    /// The size up to which [`Field::upload`] keeps a file in memory; a
    /// larger one is written to a temporary file. 1 MiB unless set.
    ///
    /// ```
    /// use atode::multipart::{Multipart, MultipartError};
    /// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
    ///
    /// #[post("/upload")]
    /// async fn upload(form: Multipart) -> Result<String, MultipartError> {
    ///     let mut form = form.spool_threshold(4);
    ///     let field = form.next_field().await?.ok_or(MultipartError::missing("file"))?;
    ///     let upload = field.upload().await?;
    ///     Ok(format!("on disk: {}", upload.path().is_some()))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![upload]));
    /// let small = MultipartForm::new().file("file", "a.txt", "text/plain", "abc");
    /// assert_eq!(client.post("/upload").multipart(small).await.text(), "on disk: false");
    /// let large = MultipartForm::new().file("file", "b.txt", "text/plain", "abcdef");
    /// assert_eq!(client.post("/upload").multipart(large).await.text(), "on disk: true");
    /// # }
    /// ```
    pub fn spool_threshold(mut self, bytes: usize) -> Self {
        self.reader.limits.spool_threshold = bytes;
        self
    }

    /// The next field, or `None` after the last one. A field not read to
    /// its end is skipped (its bytes still count toward the body limit).
    ///
    /// ```
    /// use atode::multipart::{Multipart, MultipartError};
    /// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
    ///
    /// #[post("/fields")]
    /// async fn fields(mut form: Multipart) -> Result<String, MultipartError> {
    ///     let mut names = Vec::new();
    ///     while let Some(field) = form.next_field().await? {
    ///         names.push(format!("{}:{}", field.name().unwrap_or("?"), field.file_name().unwrap_or("-")));
    ///     }
    ///     Ok(names.join(" "))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![fields]));
    /// let form = MultipartForm::new().text("title", "Notes").file("doc", "n.txt", "text/plain", "...");
    /// assert_eq!(client.post("/fields").multipart(form).await.text(), "title:- doc:n.txt");
    /// # }
    /// ```
    pub async fn next_field(&mut self) -> Result<Option<Field<'_>>, MultipartError> {
        self.reader.next_field().await
    }
}

impl Reader {
    async fn next_field(&mut self) -> Result<Option<Field<'_>>, MultipartError> {
        if self.failed {
            return Err(MultipartError::Malformed(
                "the body failed to parse earlier".into(),
            ));
        }
        match self.next_inner().await {
            Ok(Some(inner)) => Ok(Some(Field::new(self, inner))),
            Ok(None) => Ok(None),
            Err(error) => {
                self.failed = true;
                Err(error)
            }
        }
    }

    async fn next_inner(&mut self) -> Result<Option<multer::Field<'static>>, MultipartError> {
        // The rest of the previous field first, with the stream flowing:
        // its bytes are data, not a head.
        if let Some(mut previous) = self.current.take() {
            while previous
                .chunk()
                .await
                .map_err(|error| self.error(error))?
                .is_some()
            {}
        }
        self.guard.start(PART_HEAD_LIMIT);
        let next = poll_fn(|cx| {
            loop {
                let delivered = self.guard.delivered();
                match self.inner.poll_next_field(cx) {
                    Poll::Ready(result) => return Poll::Ready(result.map_err(|e| self.error(e))),
                    // multer has parsed every byte the budget allowed and
                    // still has no head.
                    Poll::Pending if self.guard.spent() && self.guard.delivered() == delivered => {
                        return Poll::Ready(Err(MultipartError::PartHeadTooLarge(PART_HEAD_LIMIT)));
                    }
                    // The budget ran out in this poll: let multer parse
                    // what it got (the stream will not wake it).
                    Poll::Pending if self.guard.spent() => continue,
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await;
        self.guard.end();
        let Some(field) = next? else {
            return Ok(None);
        };
        self.parts += 1;
        if self.parts > self.limits.parts {
            return Err(MultipartError::TooManyParts(self.limits.parts));
        }
        Ok(Some(field))
    }

    pub(crate) fn error(&self, error: multer::Error) -> MultipartError {
        MultipartError::from_multer(error, self.body_limit)
    }

    /// The limit of a field: a file's, or a text field's.
    pub(crate) fn limit_for(&self, has_file_name: bool) -> usize {
        if has_file_name {
            self.limits.file.unwrap_or(self.body_limit)
        } else {
            self.limits.field
        }
    }
}

/// Checks the head only; the fields are read by the handler.
impl<F> FromRequest for Multipart<F> {
    type Rejection = MultipartError;

    const INPUT: bool = true;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, MultipartError> {
        if !has_content_type(parts, "multipart/form-data") {
            return Err(MultipartError::UnsupportedMediaType);
        }
        let content_type = parts
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let boundary =
            multer::parse_boundary(content_type).map_err(|_| MultipartError::InvalidBoundary)?;
        // RFC 2046: 1 to 70 characters. An empty one would match anywhere.
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(MultipartError::InvalidBoundary);
        }
        let body_limit = parts.body_limit();
        let declared = parts
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > body_limit as u64) {
            return Err(MultipartError::BodyTooLarge(body_limit));
        }
        let guard = HeadGuard::new();
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().whole_stream(body_limit as u64));
        let inner = multer::Multipart::with_constraints(
            BodyStream::new(body, guard.clone()),
            boundary,
            constraints,
        );
        Ok(Multipart {
            reader: Reader {
                inner,
                guard,
                current: None,
                limits: Limits {
                    field: DEFAULT_FIELD_LIMIT,
                    file: None,
                    parts: DEFAULT_MAX_PARTS,
                    spool_threshold: DEFAULT_SPOOL_THRESHOLD,
                },
                spooled: Arc::clone(parts.uploads()),
                body_limit,
                parts: 0,
                failed: false,
            },
            form: PhantomData,
        })
    }
}

impl<F> std::fmt::Debug for Multipart<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("limits", &self.reader.limits)
            .field("body_limit", &self.reader.body_limit)
            .field("parts_read", &self.reader.parts)
            .finish()
    }
}
