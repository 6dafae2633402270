//! `DurableError`: why the durable queue could not do what was asked.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why the durable queue could not be opened, written or read.
///
/// ```standalone_crate
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
    /// A write of atode's own did not end within
    /// [`Durable::write_timeout`](crate::durable::Durable::write_timeout);
    /// `committing` if `COMMIT` had been sent.
    TimedOut {
        after: Duration,
        committing: bool,
    },
    /// The connection failed after `COMMIT` was sent, with no answer from
    /// the database: the transaction may have been committed.
    CommitUnknown(riverqueue::sqlx::Error),
    /// One failure of a transaction that wrote several requests' calls,
    /// told to each of them.
    Shared(Arc<DurableError>),
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

    pub(crate) fn timed_out(after: Duration, committing: bool) -> Self {
        DurableError {
            kind: Kind::TimedOut { after, committing },
        }
    }

    /// Why `COMMIT` failed: the database's refusal (nothing was committed),
    /// or a connection that failed before its answer came (unknown).
    pub(crate) fn commit(error: riverqueue::sqlx::Error) -> Self {
        let kind = match error {
            riverqueue::sqlx::Error::Database(_) => Kind::Database(error),
            error => Kind::CommitUnknown(error),
        };
        DurableError { kind }
    }

    /// Whether the write this error ended may have been committed all the
    /// same: it was cut short, or its connection failed, after `COMMIT`
    /// was sent.
    pub(crate) fn may_have_committed(&self) -> bool {
        match &self.kind {
            Kind::Shared(error) => error.may_have_committed(),
            kind => matches!(
                kind,
                Kind::TimedOut {
                    committing: true,
                    ..
                } | Kind::CommitUnknown(_)
            ),
        }
    }

    /// This error, once for each of `requests` that shared the write it
    /// ended.
    pub(crate) fn shared(self, requests: usize) -> Vec<DurableError> {
        if requests == 1 {
            return vec![self];
        }
        let shared = Arc::new(self);
        (0..requests)
            .map(|_| DurableError {
                kind: Kind::Shared(Arc::clone(&shared)),
            })
            .collect()
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
            Kind::TimedOut {
                after,
                committing: false,
            } => write!(
                f,
                "durable queue: the write did not end within {after:?} (`Durable::write_timeout`); \
                 it was abandoned before COMMIT, and nothing was committed"
            ),
            Kind::TimedOut {
                after,
                committing: true,
            } => write!(
                f,
                "durable queue: COMMIT was not answered within {after:?} \
                 (`Durable::write_timeout`); the calls may have been committed"
            ),
            Kind::CommitUnknown(error) => write!(
                f,
                "durable queue database: the connection failed after COMMIT was sent; \
                 the calls may have been committed: {error}"
            ),
            Kind::Shared(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for DurableError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Database(error) => Some(error),
            Kind::Migrate(error) => Some(error),
            Kind::Queue(error) => Some(error),
            Kind::CommitUnknown(error) => Some(error),
            Kind::Shared(error) => error.source(),
            Kind::Config(_) | Kind::Unexpected(_) | Kind::TimedOut { .. } => None,
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

/// River's answer about one job, with "no such job" as `None`: never
/// written here, or cleaned up since its id was read.
pub(crate) fn found(
    answer: Result<riverqueue::JobRow, riverqueue::Error>,
) -> Result<Option<riverqueue::JobRow>, DurableError> {
    match answer {
        Ok(row) => Ok(Some(row)),
        Err(riverqueue::Error::NotFound(_)) => Ok(None),
        Err(error) => Err(error.into()),
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
