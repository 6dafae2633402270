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
//! tries, on both sides.) So once a passive checkpoint finds the log at
//! [`RESTART_PAGES`] or more, no other starts, and the writer checkpoints
//! once itself, after its next batch ([`Checkpoints::catch_up`]): nothing
//! commits while it copies what the last passive checkpoint left (what
//! was committed while that one ran), and its next write starts the log
//! over.
//!
//! The log's length is known only when a passive checkpoint ends, and on
//! a loaded disk one can run for hundreds of the writer's commits, each
//! appending to the log. Under CI's load the log reached 28.8 MB, against
//! 18 MB alone. So the writer gets at most [`AHEAD_AT_MOST`] commits ahead
//! of a passive checkpoint that copies, then waits for it to end, as it
//! would for SQLite's own checkpoint inside a `COMMIT`. The log then holds
//! at most [`RESTART_PAGES`] plus what some [`CHECKPOINT_EVERY`] +
//! [`AHEAD_AT_MOST`] commits append (about 20 MB with SQLite's default
//! page of 4 KiB and a call a commit), and the requests wait for a
//! checkpoint once per that many pages, or when the disk is slower than
//! the writer. Other connections (the workers', which write their calls'
//! outcomes) keep SQLite's automatic checkpoint, off the requests' path
//! already.

use std::sync::{Arc, Mutex};

use riverqueue::sqlx::{self, SqliteConnection, SqlitePool};
use tokio::sync::OwnedSemaphorePermit;

use super::lock;
use super::turn::Turn;

/// The writer's commits between the starts of two passive checkpoints. A
/// commit appends some six pages (the table's, its indexes', River's id
/// sequence), so a few hundred pages a checkpoint.
const CHECKPOINT_EVERY: u32 = 64;

/// The writer's commits past the start of a passive checkpoint's copy
/// after which it waits for that copy to end.
const AHEAD_AT_MOST: u32 = 64;

/// The log's length, in pages, past which the writer checkpoints once
/// itself, so that the log starts over.
const RESTART_PAGES: i64 = 4_096;

/// The checkpoint that runs, and what the writer knows of the log.
#[derive(Default)]
pub(crate) struct Checkpoints {
    /// One checkpoint at a time, passive or the writer's.
    turn: Turn,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The writer's commits since the last passive checkpoint began
    /// copying.
    commits: u32,
    /// A passive checkpoint has its connection and copies.
    copying: bool,
    /// The last checkpoint found the log at [`RESTART_PAGES`] or more, and
    /// the writer's own is due.
    long: bool,
}

impl Checkpoints {
    /// Counts a commit of the group commit's connection; every
    /// [`CHECKPOINT_EVERY`] of them, starts a passive checkpoint on a
    /// connection of `pool`, unless one runs or the writer's is due.
    pub(crate) fn committed(self: &Arc<Self>, pool: &SqlitePool) {
        {
            let mut state = lock(&self.state);
            state.commits += 1;
            // While the writer's checkpoint is due, a passive one would
            // hold the turn and put it off.
            if state.long || state.commits < CHECKPOINT_EVERY {
                return;
            }
        }
        let Some(turn) = self.turn.try_take() else {
            return;
        };
        let running = Running {
            checkpoints: Arc::clone(self),
            _turn: turn,
        };
        let pool = pool.clone();
        tokio::spawn(async move {
            let copied = async {
                let mut connection = pool.acquire().await?;
                running.began_copying();
                checkpoint(&mut connection).await
            };
            if let Some(pages) = logged(copied.await) {
                lock(&running.checkpoints.state).long = pages >= RESTART_PAGES;
            }
            drop(running);
        });
    }

    /// The writer's part, between two batches, on its `connection`: waits
    /// for a passive checkpoint it got [`AHEAD_AT_MOST`] commits ahead of,
    /// and checkpoints once itself when the last one found the log long,
    /// so that its next write starts the log over. Once per long log: if a
    /// worker's write landed meanwhile, the log may not start over, and
    /// the next passive checkpoint finds it long again,
    /// [`CHECKPOINT_EVERY`] commits later (not after every batch, each
    /// waiting on the syncs).
    pub(crate) async fn catch_up(&self, connection: &mut SqliteConnection) {
        {
            let state = lock(&self.state);
            let ahead = state.copying && state.commits >= AHEAD_AT_MOST;
            if !state.long && !ahead {
                return;
            }
        }
        // Waits for the passive checkpoint that runs, if one does.
        let _turn = self.turn.take().await;
        let long = std::mem::take(&mut lock(&self.state).long);
        if long {
            logged(checkpoint(connection).await);
        }
    }
}

/// A passive checkpoint's turn: marks it over when its task ends, or is
/// dropped with its runtime.
struct Running {
    checkpoints: Arc<Checkpoints>,
    _turn: OwnedSemaphorePermit,
}

impl Running {
    /// The writer's commits count from here, the start of the copy.
    fn began_copying(&self) {
        let mut state = lock(&self.checkpoints.state);
        state.commits = 0;
        state.copying = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Before the turn is given back: a writer waiting for it then
        // finds what this checkpoint found.
        lock(&self.checkpoints.state).copying = false;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use riverqueue::sqlx::{Connection, SqliteConnection, SqlitePool};

    use super::{AHEAD_AT_MOST, CHECKPOINT_EVERY, Checkpoints, lock};

    fn pool() -> SqlitePool {
        SqlitePool::connect_lazy("sqlite::memory:").expect("a lazy pool")
    }

    async fn connection() -> SqliteConnection {
        SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("an in-memory database")
    }

    /// Whether a checkpoint holds the turn.
    fn running(checkpoints: &Checkpoints) -> bool {
        checkpoints.turn.taken()
    }

    #[tokio::test]
    async fn a_long_log_starts_no_passive_checkpoint_before_the_writers_own() {
        let checkpoints = Arc::new(Checkpoints::default());
        let pool = pool();
        lock(&checkpoints.state).long = true;
        for _ in 0..CHECKPOINT_EVERY * 2 {
            checkpoints.committed(&pool);
        }
        // A passive checkpoint taking the turn here would put the
        // writer's off for as long as they kept starting.
        assert!(!running(&checkpoints));

        checkpoints.catch_up(&mut connection().await).await;
        assert!(!lock(&checkpoints.state).long);
        checkpoints.committed(&pool);
        assert!(running(&checkpoints), "the passive checkpoints resume");
    }

    #[tokio::test]
    async fn the_writer_waits_for_a_passive_checkpoint_it_got_too_far_ahead_of() {
        let checkpoints = Arc::new(Checkpoints::default());
        let mut writer = connection().await;
        // A passive checkpoint that copies, held here.
        let turn = checkpoints.turn.try_take().expect("the turn is free");
        lock(&checkpoints.state).copying = true;

        lock(&checkpoints.state).commits = AHEAD_AT_MOST - 1;
        tokio::time::timeout(Duration::from_secs(10), checkpoints.catch_up(&mut writer))
            .await
            .expect("a writer not that far ahead goes on");

        lock(&checkpoints.state).commits = AHEAD_AT_MOST;
        let waiting = tokio::spawn({
            let checkpoints = Arc::clone(&checkpoints);
            async move { checkpoints.catch_up(&mut writer).await }
        });
        for _ in 0..16 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "the writer went on committing");

        drop(turn);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the writer goes on once the checkpoint ends")
            .expect("the writer's task");
    }
}
