//! `multipart/form-data` uploads (feature `multipart`): the [`Multipart`]
//! extractor reads a form field by field as it arrives, and
//! [`UploadFile`] holds an uploaded file past the request, in memory or in
//! a temporary file, for a background task to process after the response.
//!
//! ```
//! use atode::multipart::{Multipart, MultipartError, UploadFile};
//! use atode::{post, routes, App, BackgroundTasks};
//!
//! fn process(upload: UploadFile) -> std::io::Result<()> {
//!     use std::io::Read;
//!     let mut content = Vec::new();
//!     upload.reader()?.read_to_end(&mut content)?;
//!     Ok(())
//! }
//!
//! #[post("/upload", body_limit = 100 * 1024 * 1024)]
//! async fn upload(mut form: Multipart, tasks: BackgroundTasks) -> Result<&'static str, MultipartError> {
//!     while let Some(field) = form.next_field().await? {
//!         if field.file_name().is_some() {
//!             tasks.add_task(process, (field.upload().await?,));
//!         }
//!     }
//!     Ok("processing")
//! }
//!
//! let app = App::new().routes(routes![upload]);
//! ```
//!
//! The limits and the statuses they answer with are on [`Multipart`];
//! `atode::testing::MultipartForm` builds a form for `TestClient`.

mod error;
mod field;
#[cfg(feature = "openapi")]
mod openapi;
mod reader;
mod spooled;
mod stream;
mod upload;

pub use error::MultipartError;
pub use field::Field;
pub use reader::{
    DEFAULT_FIELD_LIMIT, DEFAULT_MAX_PARTS, DEFAULT_SPOOL_THRESHOLD, Multipart, PART_HEAD_LIMIT,
};
pub use upload::{UploadFile, UploadReader};

pub(crate) use spooled::Spooled;

/// The form [`Multipart`] documents when it is not told which: any object.
/// It only names a schema; nothing is ever of this type.
///
/// ```
/// use atode::multipart::{AnyForm, Multipart};
///
/// fn same(form: Multipart) -> Multipart<AnyForm> {
///     form
/// }
/// ```
#[derive(Debug)]
pub enum AnyForm {}
