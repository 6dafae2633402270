//! SQLite's checkpoints, off the requests' path.
//!
//! In WAL mode a commit appends its pages to the log, and a checkpoint
//! copies them back into the database file (syncing the log, then the
//! file), after which the log can start over. SQLite runs one in the
//! committing connection, inside its `COMMIT`, whenever the log has passed
//! 1,000 pages. For the group commit that is one commit in a couple of
//! hundred taking milliseconds (the copy, and two syncs, which take 1 to
//! 9 ms each on this disk under load), while every request gathering for
//! the next one waits as well. Measured at 32 connections
//! (`bench/durable.sh`, the plan cached in both; bench/README.md has the
//! runs): p99 14–34 ms and 14–20k requests a second with SQLite's own
//! checkpoint, 6–10 ms and 18–25k with this.
//!
//! So the group commit's connection never checkpoints
//! ([`Database::writer`](super::database::Database::writer) turns SQLite's
//! automatic checkpoint off on it), and every [`CHECKPOINT_EVERY`] of its
//! commits a checkpoint runs on a connection of the queue's pool, on that
//! connection's thread, while the writer goes on committing. It is
//! `PASSIVE`, which never waits for the writer.
//!
//! A passive checkpoint copies what was committed when it began, and the
//! log starts over only at a write that begins with all of it copied: with
//! commits landing while each checkpoint runs, as under a steady load, that
//! never happens, and the log would grow for as long as the load lasts.
//! (A `RESTART` checkpoint, which waits to hold the writer off, measured
//! worse: SQLite's busy handler sleeps a millisecond and more between
//! tries, on both sides.) So once the log holds [`RESTART_PAGES`], the
//! writer checkpoints once itself, between two batches
//! ([`Checkpoints::catch_up`]): nothing commits while it copies what the
//! last passive checkpoint left (what was committed while that one ran),
//! and its next write starts the log over. The log stays near
//! [`RESTART_PAGES`] (16 MiB with SQLite's default page of 4 KiB), and the
//! requests wait for a checkpoint once per that many pages, on a short
//! one. Other connections (the workers', which write their calls'
//! outcomes) keep SQLite's automatic checkpoint, off the requests' path
//! already.

use std::sync::{Arc, Mutex};

use riverqueue::sqlx::{self, SqliteConnection, SqlitePool};

use super::lock;

/// The writer's commits between two checkpoints. A commit appends some
/// six pages (the table's, its indexes', River's id sequence), so a few
/// hundred pages a checkpoint.
const CHECKPOINT_EVERY: u32 = 64;

/// The log's length, in pages, past which the writer checkpoints once
/// itself, so that the log starts over.
const RESTART_PAGES: i64 = 4_096;

/// Whether a checkpoint runs, the writer's commits since the last one
/// started, and whether the log is due to start over.
#[derive(Default)]
pub(crate) struct Checkpoints {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    commits: u32,
    running: bool,
    /// The last checkpoint found the log at [`RESTART_PAGES`] or more.
    long: bool,
}

impl Checkpoints {
    /// Counts a commit of the group commit's connection; every
    /// [`CHECKPOINT_EVERY`] of them, starts a checkpoint on a connection of
    /// `pool`, unless one still runs.
    pub(crate) fn committed(self: &Arc<Self>, pool: &SqlitePool) {
        {
            let mut state = lock(&self.state);
            state.commits += 1;
            if state.running || state.commits < CHECKPOINT_EVERY {
                return;
            }
            state.commits = 0;
            state.running = true;
        }
        let running = Running(Arc::clone(self));
        let pool = pool.clone();
        tokio::spawn(async move {
            let pages = async { checkpoint(&mut *pool.acquire().await?).await };
            if let Some(pages) = logged(pages.await) {
                lock(&running.0.state).long = pages >= RESTART_PAGES;
            }
            drop(running);
        });
    }

    /// The writer's own checkpoint, on its `connection`, between two
    /// batches, when the last passive one found the log long (and none
    /// runs): it copies what that one left, and the writer's next write
    /// starts the log over. Once per long log: if a worker's write landed
    /// meanwhile, the log may not start over, and the next passive
    /// checkpoint finds it long again, [`CHECKPOINT_EVERY`] commits later
    /// (not after every batch, each waiting on the syncs).
    pub(crate) async fn catch_up(&self, connection: &mut SqliteConnection) {
        {
            let mut state = lock(&self.state);
            if !state.long || state.running {
                return;
            }
            state.long = false;
        }
        logged(checkpoint(connection).await);
    }
}

/// Marks the checkpoint over when its task ends, or is dropped with its
/// runtime.
struct Running(Arc<Checkpoints>);

impl Drop for Running {
    fn drop(&mut self) {
        lock(&self.0.state).running = false;
    }
}

/// A passive checkpoint on `connection`; returns the log's length in
/// pages (-1 when the database is not in WAL mode, or another checkpoint
/// kept this one from running).
async fn checkpoint(connection: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    // (whether it was blocked, the log's pages, the pages copied).
    let (_, pages, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *connection)
        .await?;
    Ok(pages)
}

/// The log's length after a checkpoint, or `None` when it failed. SQLite's
/// own checkpoint fails as quietly; the next one copies what this one did
/// not.
fn logged(checkpointed: Result<i64, sqlx::Error>) -> Option<i64> {
    checkpointed
        .inspect_err(|error| {
            tracing::debug!(target: "atode::durable", %error, "a checkpoint of the SQLite log failed");
        })
        .ok()
}
