//! [`Field`]: one part of a form, read as it arrives.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;

use super::reader::Reader;
use super::{MultipartError, UploadFile};

/// One part of a `multipart/form-data` body, from
/// [`Multipart::next_field`](super::Multipart::next_field): its name,
/// filename, content type and headers, and its content, read in chunks or
/// whole. A field is bounded by
/// [`Multipart::field_limit`](super::Multipart::field_limit) (without a
/// filename) or [`Multipart::file_limit`](super::Multipart::file_limit)
/// (with one): `413` past it.
///
/// ```
/// use atode::multipart::{Multipart, MultipartError};
/// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
///
/// #[post("/checksum")]
/// async fn checksum(mut form: Multipart) -> Result<String, MultipartError> {
///     let mut field = form.next_field().await?.ok_or(MultipartError::missing("file"))?;
///     let mut sum = 0u32;
///     while let Some(chunk) = field.chunk().await? {
///         sum = chunk.iter().fold(sum, |sum, &byte| sum.wrapping_add(byte.into()));
///     }
///     Ok(sum.to_string())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![checksum]));
/// let form = MultipartForm::new().file("file", "x.bin", "application/octet-stream", vec![1, 2, 3]);
/// assert_eq!(client.post("/checksum").multipart(form).await.text(), "6");
/// # }
/// ```
pub struct Field<'m> {
    reader: &'m mut Reader,
    /// Given back to the reader when dropped; `None` only then.
    inner: Option<multer::Field<'static>>,
    name: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    headers: HeaderMap,
    read: usize,
    limit: usize,
}

impl<'m> Field<'m> {
    pub(crate) fn new(reader: &'m mut Reader, inner: multer::Field<'static>) -> Self {
        let file_name = inner.file_name().map(str::to_owned);
        let limit = reader.limit_for(file_name.is_some());
        Field {
            name: inner.name().map(str::to_owned),
            content_type: inner.content_type().map(|mime| mime.to_string()),
            headers: inner.headers().clone(),
            file_name,
            inner: Some(inner),
            reader,
            read: 0,
            limit,
        }
    }

    /// The field's name, from its `Content-Disposition`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The file's name, as the client gave it: a field with one is a file.
    /// Never join it into a path: it is whatever the client sent.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The part's `Content-Type`, if it has one.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The part's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next chunk of the field's content, or `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(None);
        };
        let chunk = inner
            .chunk()
            .await
            .map_err(|error| self.reader.error(error))?;
        if let Some(chunk) = &chunk {
            self.read += chunk.len();
            if self.read > self.limit {
                return Err(MultipartError::FieldTooLarge {
                    field: self.name.clone(),
                    limit: self.limit,
                });
            }
        }
        Ok(chunk)
    }

    /// The whole content, in memory.
    pub async fn bytes(mut self) -> Result<Bytes, MultipartError> {
        let mut content = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            content.extend_from_slice(&chunk);
        }
        Ok(content.freeze())
    }

    /// The whole content as text; `400` if it is not UTF-8.
    pub async fn text(self) -> Result<String, MultipartError> {
        let name = self.name.clone();
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| MultipartError::NotUtf8 { field: name })
    }

    /// The whole content as an [`UploadFile`], which outlives the request:
    /// kept in memory up to
    /// [`Multipart::spool_threshold`](super::Multipart::spool_threshold),
    /// written to a temporary file past it. Hand it to a background task.
    pub async fn upload(mut self) -> Result<UploadFile, MultipartError> {
        let threshold = self.reader.limits.spool_threshold;
        let meta = super::upload::Meta {
            file_name: self.file_name.take(),
            content_type: self.content_type.take(),
            headers: std::mem::take(&mut self.headers),
        };
        let spooled = Arc::clone(&self.reader.spooled);
        UploadFile::spool(meta, threshold, &spooled, &mut self).await
    }
}

impl Drop for Field<'_> {
    fn drop(&mut self) {
        // What is left of the field is skipped by the next `next_field`.
        self.reader.current = self.inner.take();
    }
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}
