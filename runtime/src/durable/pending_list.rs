//! PostgreSQL's GIN pending lists, flushed off the requests' path.
//!
//! River indexes `river_job.args` and `river_job.metadata` with GIN
//! (`river_job_args_index`, `river_job_metadata_index`, from its migration
//! 002). A GIN index with `fastupdate` on, PostgreSQL's default, appends a
//! new row's entries to a pending list, and the insert that takes that
//! list past `gin_pending_list_limit` (4 MB by default) moves all of it
//! into the index, inside its own statement: `ginHeapTupleFastInsert`
//! calls `ginInsertCleanup` (PostgreSQL's `src/backend/access/gin/ginfast.c`).
//! For the group commit that is one commit in about 100,000 calls taking
//! 175 to 254 ms (PostgreSQL's log with `log_min_duration_statement`),
//! while every request gathering for the next one waits as well. Measured
//! at 32 connections (`bench/durable.sh`; bench/README.md has the runs):
//! p99 140–180 ms with it, 2.3–2.5 ms with the limit raised past the run.
//!
//! So every [`FLUSH_EVERY_CALLS`] calls the group commit writes,
//! `gin_clean_pending_list` flushes both lists on a connection of the
//! queue's pool, one flush at a time, while the writer goes on committing.
//! The lists stay far below the limit, and an insert that finds one past
//! it while a flush runs does not wait: it only tries the cleanup's lock,
//! and goes on without it (`ginInsertCleanup`, "just exit in hope that
//! concurrent process will clean up pending list"). The work is the same,
//! on another backend, in pieces. Measured the same way: p99 4.1–4.2 ms
//! against 129–171 ms without the flush, and 9–10 ms against 78–82 with
//! the workers running.
//!
//! `gin_clean_pending_list` is for the index's owner. A queue whose role
//! does not own River's tables says so once, at `warn`, and leaves the
//! lists to PostgreSQL, as before.

use std::sync::{Arc, Mutex};

use riverqueue::sqlx::{self, PgPool};

use super::lock;
use super::turn::Turn;

/// The group commit's calls between two flushes: some 600 KB of entries,
/// or three times that once the workers' updates of the same calls (each a
/// new row version) add theirs; the limit is 4 MB.
const FLUSH_EVERY_CALLS: usize = 16_384;

/// The flush: both of River's GIN indexes, by name, on the connection's
/// search path (River's tables' schema).
const FLUSH: &str = "SELECT gin_clean_pending_list('river_job_args_index'), \
                     gin_clean_pending_list('river_job_metadata_index')";

/// The calls written since the last flush began, and the flush that runs.
#[derive(Default)]
pub(crate) struct PendingLists {
    /// One flush at a time.
    turn: Turn,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    calls: usize,
    /// The role may not flush; PostgreSQL does.
    refused: bool,
}

impl PendingLists {
    /// Counts `calls` the group commit committed; every
    /// [`FLUSH_EVERY_CALLS`], flushes the lists on a connection of `pool`,
    /// unless a flush still runs.
    pub(crate) fn committed(self: &Arc<Self>, pool: &PgPool, calls: usize) {
        let turn = {
            let mut state = lock(&self.state);
            state.calls += calls;
            if state.refused || state.calls < FLUSH_EVERY_CALLS {
                return;
            }
            let Some(turn) = self.turn.try_take() else {
                return;
            };
            state.calls = 0;
            turn
        };
        let lists = Arc::clone(self);
        let pool = pool.clone();
        tokio::spawn(async move {
            if let Err(error) = sqlx::query(FLUSH).execute(&pool).await {
                lists.failed(&error);
            }
            // Given back when the flush ends, or with its runtime.
            drop(turn);
        });
    }

    /// A flush the role may not run turns flushing off; another failure
    /// leaves the lists to the next one.
    fn failed(&self, error: &sqlx::Error) {
        let refused = error
            .as_database_error()
            .and_then(|error| error.code())
            .is_some_and(|code| code == INSUFFICIENT_PRIVILEGE);
        if refused {
            lock(&self.state).refused = true;
            tracing::warn!(
                target: "atode::durable",
                %error,
                "this role does not own River's tables, so it cannot flush their GIN \
                 pending lists; PostgreSQL flushes them inside an insert, which then takes \
                 up to a few hundred milliseconds"
            );
        } else {
            tracing::debug!(
                target: "atode::durable",
                %error,
                "a flush of River's GIN pending lists failed"
            );
        }
    }
}

/// PostgreSQL's SQLSTATE for a role that may not do something.
const INSUFFICIENT_PRIVILEGE: &str = "42501";
