//! `DurableError`: why the durable queue could not do what was asked.

use std::fmt;

/// Why the durable queue could not be opened, written or read.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use atode::durable::Durable;
///
/// let error = Durable::url("mysql://localhost/app").connect().await.unwrap_err();
/// assert!(error.to_string().contains("must start with `sqlite:` or `postgres:`"));
/// # }
/// ```
#[derive(Debug)]
pub struct DurableError {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Config(String),
    Database(riverqueue::sqlx::Error),
    Migrate(riverqueue::migrate::Error),
    Queue(riverqueue::Error),
    /// The engine answered what it promises not to.
    Unexpected(String),
}

impl DurableError {
    pub(crate) fn config(message: String) -> Self {
        DurableError {
            kind: Kind::Config(message),
        }
    }

    pub(crate) fn migrate(error: riverqueue::migrate::Error) -> Self {
        DurableError {
            kind: Kind::Migrate(error),
        }
    }

    pub(crate) fn unexpected(message: String) -> Self {
        DurableError {
            kind: Kind::Unexpected(message),
        }
    }
}

impl fmt::Display for DurableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Config(message) => f.write_str(message),
            Kind::Database(error) => write!(f, "durable queue database: {error}"),
            Kind::Migrate(error) => write!(f, "durable queue schema migration: {error}"),
            Kind::Queue(error) => write!(f, "durable queue: {error}"),
            Kind::Unexpected(message) => write!(f, "durable queue: {message}"),
        }
    }
}

impl std::error::Error for DurableError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Database(error) => Some(error),
            Kind::Migrate(error) => Some(error),
            Kind::Queue(error) => Some(error),
            Kind::Config(_) | Kind::Unexpected(_) => None,
        }
    }
}

impl From<riverqueue::sqlx::Error> for DurableError {
    fn from(error: riverqueue::sqlx::Error) -> Self {
        DurableError {
            kind: Kind::Database(error),
        }
    }
}

impl From<riverqueue::Error> for DurableError {
    fn from(error: riverqueue::Error) -> Self {
        DurableError {
            kind: Kind::Queue(error),
        }
    }
}

impl From<DurableError> for std::io::Error {
    fn from(error: DurableError) -> Self {
        std::io::Error::other(error)
    }
}
