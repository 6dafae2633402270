//! Insert notifications, paced: how other processes' workers learn that a
//! queue has new calls, at most once per queue per [`NOTICE_WINDOW`], and
//! never left owing one.
//!
//! Every notification makes every listening worker fetch; an unpaced
//! writer committing hundreds of times a second would have them fetch as
//! often (and, while their database is unreachable, fail and log as
//! often). River paces its own the same way, but only at the leading edge
//! (`client/notify_limiter.rs`): a call committed just after a notified
//! one is left for the poll if the workers fetched in between. Here a
//! queue notified within the window is owed a notice at the window's end,
//! sent then on its own: every call committed is announced within one
//! window. This process's own workers do not wait for any of this: they
//! are woken directly once the calls commit (`wake.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::bulk_insert::BulkInsert;
use super::database::{Database, with_pool};
use super::lock;

/// The shortest time between two notifications of one queue from this
/// process (River's default fetch cooldown: a worker fetches no more
/// often on its own).
pub(crate) const NOTICE_WINDOW: Duration = Duration::from_millis(100);

/// When each queue was last notified, and whether a notice is owed.
#[derive(Default)]
pub(crate) struct Notices {
    queues: Mutex<HashMap<&'static str, Pace>>,
}

#[derive(Clone, Copy)]
struct Pace {
    last: Instant,
    owed: bool,
}

impl Notices {
    /// Of `queues`, the ones to notify now, in the writing transaction.
    /// The others were notified within the window: each is owed a notice
    /// at the window's end, which this schedules (once per window).
    pub(crate) fn due(
        self: &Arc<Self>,
        database: &Database,
        queues: impl IntoIterator<Item = &'static str>,
    ) -> Vec<&'static str> {
        let now = Instant::now();
        let mut due = Vec::new();
        let mut paced = lock(&self.queues);
        for queue in queues {
            match paced.get_mut(queue) {
                Some(pace) if now.duration_since(pace.last) < NOTICE_WINDOW => {
                    if !pace.owed {
                        pace.owed = true;
                        self.schedule(database.clone(), queue, pace.last + NOTICE_WINDOW);
                    }
                }
                _ => {
                    paced.insert(
                        queue,
                        Pace {
                            last: now,
                            owed: false,
                        },
                    );
                    due.push(queue);
                }
            }
        }
        due
    }

    /// Sends `queue`'s owed notice at `at`, on a connection of its own.
    fn schedule(self: &Arc<Self>, database: Database, queue: &'static str, at: Instant) {
        let notices = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            if let Some(pace) = lock(&notices.queues).get_mut(queue) {
                *pace = Pace {
                    last: Instant::now(),
                    owed: false,
                };
            }
            if let Err(error) = notify(&database, queue).await {
                // The poll still finds the calls.
                tracing::debug!(target: "atode::durable", queue, %error, "could not notify other workers of new calls");
            }
        });
    }
}

async fn notify(database: &Database, queue: &'static str) -> Result<(), riverqueue::sqlx::Error> {
    with_pool!(database, pool => notify_on(pool, queue).await)
}

async fn notify_on<DB: BulkInsert>(
    pool: &riverqueue::sqlx::Pool<DB>,
    queue: &'static str,
) -> Result<(), riverqueue::sqlx::Error> {
    let mut connection = pool.acquire().await?;
    DB::notify_insert(&mut connection, &[queue]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> Database {
        let options = riverqueue::sqlx::sqlite::SqliteConnectOptions::new().in_memory(true);
        Database::Sqlite(riverqueue::sqlx::SqlitePool::connect_lazy_with(options))
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_is_notified_once_per_window_and_owed_the_rest() {
        let notices = Arc::new(Notices::default());
        let database = database();
        assert_eq!(notices.due(&database, ["a", "b"]), ["a", "b"]);
        // Within the window: nothing now, one notice owed at its end.
        tokio::time::advance(NOTICE_WINDOW / 2).await;
        assert!(notices.due(&database, ["a"]).is_empty());
        assert!(notices.due(&database, ["a"]).is_empty());
        assert!(lock(&notices.queues)["a"].owed);
        assert!(!lock(&notices.queues)["b"].owed);
        // The owed notice went out at the window's end and started a new one.
        tokio::time::advance(NOTICE_WINDOW).await;
        tokio::task::yield_now().await;
        assert!(!lock(&notices.queues)["a"].owed);
        assert!(notices.due(&database, ["a"]).is_empty());
        // Past a whole window with nothing owed: notified at once.
        tokio::time::advance(NOTICE_WINDOW * 2).await;
        assert_eq!(notices.due(&database, ["a", "b"]), ["a", "b"]);
    }
}
