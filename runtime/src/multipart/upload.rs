//! [`UploadFile`]: an uploaded file that outlives its request.

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use super::spooled::{SpoolGuard, Spooled};
use super::{Field, MultipartError};

/// An uploaded file, complete: its filename, content type, size and
/// content, held in memory up to
/// [`Multipart::spool_threshold`](super::Multipart::spool_threshold) (1 MiB)
/// and in a temporary file past it. It owns its content: it outlives the
/// request, so a handler can hand it to a background task, which reads it
/// after the response has been sent (FastAPI closes its `UploadFile` when
/// the response is sent, so a task cannot; fastapi#10857). The temporary
/// file is deleted when the `UploadFile` is dropped, wherever that is: at
/// the end of the task that took it, or of the request that did not; and
/// when the server's shutdown deadline abandons a task still holding it, the
/// server deletes it then (a task on a thread of its own is never dropped).
///
/// ```
/// use atode::multipart::{Multipart, MultipartError, UploadFile};
/// use atode::{post, routes, App, BackgroundTasks, testing::{MultipartForm, TestClient}};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Clone, Default)]
/// struct Sizes(Arc<Mutex<Vec<usize>>>);
///
/// // Runs after the response; the file is deleted when `upload` drops.
/// async fn measure(upload: UploadFile, sizes: Sizes) -> std::io::Result<()> {
///     let content = upload.bytes().await?;
///     sizes.0.lock().unwrap().push(content.len());
///     Ok(())
/// }
///
/// #[post("/upload", body_limit = 8 * 1024 * 1024)]
/// async fn upload(
///     atode::State(sizes): atode::State<Sizes>,
///     tasks: BackgroundTasks,
///     mut form: Multipart,
/// ) -> Result<&'static str, MultipartError> {
///     let field = form.next_field().await?.ok_or(MultipartError::missing("file"))?;
///     tasks.add_task(measure, (field.upload().await?, sizes));
///     Ok("accepted")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let sizes = Sizes::default();
/// let client = TestClient::new(App::new().state(sizes.clone()).routes(routes![upload]));
/// let form = MultipartForm::new().file("file", "big.bin", "application/octet-stream", vec![7; 3 << 20]);
/// assert_eq!(client.post("/upload").multipart(form).await.text(), "accepted");
/// // The client returns once the task has run.
/// assert_eq!(*sizes.0.lock().unwrap(), [3 << 20]);
/// # }
/// ```
pub struct UploadFile {
    meta: Meta,
    size: u64,
    content: Content,
}

/// What the part's head said.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) headers: HeaderMap,
}

enum Content {
    Memory(Bytes),
    /// Deleted from the disk when dropped; listed among the app's spooled
    /// files until then.
    Disk(NamedTempFile, SpoolGuard),
}

impl UploadFile {
    /// An upload held in memory, as if `content` had been sent as the file
    /// `file_name`: for testing a task that takes an `UploadFile` without a
    /// request.
    ///
    /// ```
    /// use atode::multipart::UploadFile;
    ///
    /// let upload = UploadFile::from_bytes("notes.txt", "one\ntwo\n");
    /// assert_eq!(upload.filename(), Some("notes.txt"));
    /// assert_eq!(upload.size(), 8);
    /// assert!(upload.path().is_none());
    /// ```
    pub fn from_bytes(file_name: impl Into<String>, content: impl Into<Bytes>) -> Self {
        let content = content.into();
        UploadFile {
            meta: Meta {
                file_name: Some(file_name.into()),
                ..Meta::default()
            },
            size: content.len() as u64,
            content: Content::Memory(content),
        }
    }

    /// Reads `field` to its end: in memory up to `threshold` bytes, then
    /// into a temporary file.
    pub(crate) async fn spool(
        meta: Meta,
        threshold: usize,
        spooled: &Arc<Spooled>,
        field: &mut Field<'_>,
    ) -> Result<UploadFile, MultipartError> {
        let mut memory = BytesMut::new();
        let mut disk: Option<(NamedTempFile, SpoolGuard, tokio::fs::File)> = None;
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await? {
            size += chunk.len() as u64;
            if let Some((_, _, file)) = &mut disk {
                file.write_all(&chunk)
                    .await
                    .map_err(MultipartError::Spool)?;
            } else if memory.len() + chunk.len() > threshold {
                let (named, mut file) = temporary_file().await.map_err(MultipartError::Spool)?;
                file.write_all(&memory)
                    .await
                    .map_err(MultipartError::Spool)?;
                file.write_all(&chunk)
                    .await
                    .map_err(MultipartError::Spool)?;
                memory = BytesMut::new();
                let guard = spooled.add(named.path());
                disk = Some((named, guard, file));
            } else {
                memory.extend_from_slice(&chunk);
            }
        }
        let content = match disk {
            Some((named, guard, mut file)) => {
                // tokio's `File` finishes a write in the background: wait
                // for it, so a failed write is seen here.
                file.flush().await.map_err(MultipartError::Spool)?;
                Content::Disk(named, guard)
            }
            None => Content::Memory(memory.freeze()),
        };
        Ok(UploadFile {
            meta,
            size,
            content,
        })
    }

    /// The file's name, as the client gave it. Never join it into a path:
    /// it is whatever the client sent.
    pub fn filename(&self) -> Option<&str> {
        self.meta.file_name.as_deref()
    }

    /// The part's `Content-Type`, as the client gave it.
    pub fn content_type(&self) -> Option<&str> {
        self.meta.content_type.as_deref()
    }

    /// The part's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.meta.headers
    }

    /// The content's size, in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The temporary file holding the content, when it was larger than the
    /// spool threshold; `None` when it is in memory. The file is deleted
    /// when the `UploadFile` is dropped: to keep it, use
    /// [`save`](Self::save).
    pub fn path(&self) -> Option<&Path> {
        match &self.content {
            Content::Memory(_) => None,
            Content::Disk(file, _) => Some(file.path()),
        }
    }

    /// The whole content, read into memory (from the temporary file if it
    /// is there).
    pub async fn bytes(&self) -> std::io::Result<Bytes> {
        match &self.content {
            Content::Memory(bytes) => Ok(bytes.clone()),
            Content::Disk(file, _) => tokio::fs::read(file.path()).await.map(Bytes::from),
        }
    }

    /// A blocking reader over the content, from its start: for a regular
    /// `fn` task (which runs on atode's task threads) to stream a file too
    /// big to hold in memory.
    ///
    /// ```
    /// use atode::multipart::UploadFile;
    /// use std::io::BufRead;
    ///
    /// fn count_lines(upload: UploadFile) -> std::io::Result<usize> {
    ///     Ok(std::io::BufReader::new(upload.reader()?).lines().count())
    /// }
    ///
    /// assert_eq!(count_lines(UploadFile::from_bytes("a.txt", "one\ntwo\n")).unwrap(), 2);
    /// ```
    pub fn reader(&self) -> std::io::Result<UploadReader> {
        Ok(UploadReader(match &self.content {
            Content::Memory(bytes) => Source::Memory(Cursor::new(bytes.clone())),
            Content::Disk(file, _) => Source::Disk(file.reopen()?),
        }))
    }

    /// Keeps the content as the file `path` (replacing it if it exists):
    /// the temporary file is moved there (copied if `path` is on another
    /// file system), or the content in memory written.
    ///
    /// ```
    /// use atode::multipart::UploadFile;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let dir = std::env::temp_dir().join(format!("atode-save-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// UploadFile::from_bytes("a.txt", "kept").save(dir.join("a.txt")).await?;
    /// assert_eq!(std::fs::read_to_string(dir.join("a.txt"))?, "kept");
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub async fn save(self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref().to_owned();
        match self.content {
            Content::Memory(bytes) => tokio::fs::write(path, bytes).await,
            Content::Disk(file, guard) => {
                let persist = move || {
                    let saved = match file.persist(&path) {
                        Ok(_) => Ok(()),
                        // Across file systems a rename fails: copy instead;
                        // the temporary file is deleted when `error.file`
                        // drops.
                        Err(error) => std::fs::copy(error.file.path(), &path).map(|_| ()),
                    };
                    drop(guard);
                    saved
                };
                tokio::task::spawn_blocking(persist)
                    .await
                    .map_err(std::io::Error::other)?
            }
        }
    }
}

/// A new temporary file in the system's directory (`$TMPDIR`), readable
/// only by this user, and a handle to write it asynchronously.
async fn temporary_file() -> std::io::Result<(NamedTempFile, tokio::fs::File)> {
    let named =
        tokio::task::spawn_blocking(|| tempfile::Builder::new().prefix("atode-upload-").tempfile())
            .await
            .map_err(std::io::Error::other)??;
    let file = tokio::fs::File::from_std(named.as_file().try_clone()?);
    Ok((named, file))
}

impl std::fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFile")
            .field("filename", &self.meta.file_name)
            .field("content_type", &self.meta.content_type)
            .field("size", &self.size)
            .field("path", &self.path())
            .finish()
    }
}

/// A blocking `Read + Seek` over an [`UploadFile`]'s content, from
/// [`UploadFile::reader`].
#[derive(Debug)]
pub struct UploadReader(Source);

#[derive(Debug)]
enum Source {
    Memory(Cursor<Bytes>),
    Disk(std::fs::File),
}

impl Read for UploadReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Source::Memory(cursor) => cursor.read(buf),
            Source::Disk(file) => file.read(buf),
        }
    }
}

impl Seek for UploadReader {
    fn seek(&mut self, position: SeekFrom) -> std::io::Result<u64> {
        match &mut self.0 {
            Source::Memory(cursor) => cursor.seek(position),
            Source::Disk(file) => file.seek(position),
        }
    }
}
