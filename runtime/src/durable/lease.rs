//! The worker lease: how a killed worker's calls run again in seconds,
//! while River's rescuer stays slow enough never to run a live but slow
//! call twice.
//!
//! Each process that runs workers holds a row of `atode_worker`, keyed by
//! its River client id (the id River records in each attempt's
//! `attempted_by`: host, start time to the microsecond and a random
//! suffix, so a restarted process never reuses a dead one's), and pushes
//! its expiry forward five times per lease. Every such process also
//! sweeps ([`release`](super::release)): a lease past its expiry is a
//! process that was killed, frozen or cut off from the database, and the
//! calls it was running are released at once.
//!
//! Any worker process sweeps, not only River's leader: the dead process
//! may have been the leader, and River elects the next one only once that
//! lease lapses (10 s more).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use riverqueue::sqlx;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::database::Database;
use super::error::DurableError;
use super::lock;
use super::worker::Backoff;

/// How long a worker process's lease lasts without renewal, unless
/// [`Durable::worker_lease`](crate::durable::Durable::worker_lease) says
/// otherwise: a killed worker's calls run again about this long (plus a
/// fifth) after it died. The process renews it every fifth of it, so a
/// database that does not answer for most of it costs nothing.
pub const DEFAULT_WORKER_LEASE: Duration = Duration::from_secs(10);

/// How many renewals (and sweeps) one lease spans.
const RENEWALS_PER_LEASE: u32 = 4;

/// The time in milliseconds since 1970, on the database's clock: on
/// PostgreSQL, one clock for every host; on SQLite, the one host's.
macro_rules! sqlite_now_ms {
    () => {
        "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
    };
}
pub(super) use sqlite_now_ms;
#[cfg(feature = "postgres")]
macro_rules! postgres_now_ms {
    () => {
        "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
    };
}
#[cfg(feature = "postgres")]
pub(super) use postgres_now_ms;

const CREATE_WORKER_TABLE: &str = "CREATE TABLE IF NOT EXISTS atode_worker (\
     id TEXT PRIMARY KEY, \
     expires_at BIGINT NOT NULL)";

/// What the idle sweep reads: no row is past its expiry.
const INDEX_EXPIRES_AT: &str =
    "CREATE INDEX IF NOT EXISTS atode_worker_expires_at ON atode_worker (expires_at)";

/// Creates the lease table, if missing.
pub(crate) async fn create_table(database: &Database) -> Result<(), DurableError> {
    database
        .create_if_missing(&[CREATE_WORKER_TABLE, INDEX_EXPIRES_AT])
        .await
}

/// The lease of this process's workers: taken before they take any call,
/// renewed while they run, given up when they have stopped. Dropped
/// without [`end`](Self::end), its renewal stops and the row expires, as
/// a killed process's does.
pub(crate) struct WorkerLease {
    lease: Lease,
    /// Renews this lease and sweeps the expired ones, while workers run.
    keeper: Mutex<Option<JoinHandle<()>>>,
}

/// What the keeper needs: cheap to clone into its task.
#[derive(Clone)]
struct Lease {
    database: Database,
    /// River's id for this process's client.
    id: Arc<str>,
    length: Duration,
    /// The queue's retry wait, which a released attempt waits as a failed one does.
    backoff: Option<Backoff>,
}

/// What renewing found.
#[derive(Debug, PartialEq, Eq)]
enum Renewal {
    Renewed,
    /// The row was gone: a sweep released this process's running calls.
    Lost,
}

impl WorkerLease {
    /// Takes the lease of River's client `id` for `length`: written before
    /// the workers start, so that no call of theirs is ever running
    /// without it.
    pub(crate) async fn take(
        database: Database,
        id: &str,
        length: Duration,
        backoff: Option<Backoff>,
    ) -> Result<Self, DurableError> {
        let lease = Lease {
            database,
            id: id.into(),
            length: crate::time::bounded(length),
            backoff,
        };
        lease.take().await?;
        Ok(WorkerLease {
            lease,
            keeper: Mutex::new(None),
        })
    }

    /// Starts renewing the lease, and sweeping the expired ones, until
    /// [`end`](Self::end).
    pub(crate) fn keep(&self) {
        let mut keeper = lock(&self.keeper);
        if keeper.is_none() {
            *keeper = Some(tokio::spawn(keep_and_sweep(self.lease.clone())));
        }
    }

    /// Stops renewing, and deletes the lease: the workers have stopped, and
    /// the calls they did not finish are already back in the queue.
    pub(crate) async fn end(&self) {
        if let Some(keeper) = lock(&self.keeper).take() {
            keeper.abort();
        }
        if let Err(error) = self.lease.delete().await {
            tracing::warn!(target: "atode::durable", %error, "could not delete this worker process's lease; it expires by itself");
        }
    }
}

impl Drop for WorkerLease {
    fn drop(&mut self) {
        if let Some(keeper) = lock(&self.keeper).take() {
            keeper.abort();
        }
    }
}

/// The keeper's loop: renew, then sweep, every quarter of the lease.
async fn keep_and_sweep(lease: Lease) {
    let every = (lease.length / RENEWALS_PER_LEASE).max(Duration::from_millis(10));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The earliest the lease, as last renewed, expires (the database read
    // its clock after the statement was sent): past it, a sweep may have
    // released this process's calls. `None` until the row is written.
    let mut held_until: Option<Instant> = None;
    loop {
        ticks.tick().await;
        let sent = Instant::now();
        // The expired leases of other processes, when the renewal found
        // them in the same statement.
        let mut expired = None;
        let renewed = match held_until {
            // The first renewal writes the row afresh: an idle process's
            // lease may have been swept before its workers started.
            None => lease.take().await.map(|()| Renewal::Renewed),
            Some(_) => lease.renew().await.map(|(renewal, others)| {
                expired = Some(others);
                renewal
            }),
        };
        match renewed {
            Ok(Renewal::Renewed) => {
                if let Some(overdue) =
                    held_until.and_then(|until| sent.checked_duration_since(until))
                {
                    tracing::warn!(
                        target: "atode::durable",
                        ?overdue,
                        "this worker process renewed its lease {overdue:?} past its expiry (it was frozen, or cut off from the database); no other process had released its calls yet"
                    );
                }
                held_until = Some(sent + lease.length);
            }
            Ok(Renewal::Lost) => {
                // Its attempts still running here are stale: River refuses
                // what they record while their call is not `running`, which
                // it no longer is unless a rerun has taken it meanwhile.
                tracing::warn!(
                    target: "atode::durable",
                    id = %lease.id,
                    "this worker process's lease expired (it was frozen, or cut off from the database, for longer than {:?}) and another process released the calls it was running, which run again elsewhere; the attempts still running here are stale, and what they record is refused unless a rerun is running at that moment. Taking a new lease for the calls it takes next",
                    lease.length
                );
                // `None`: the next tick writes the row again if this fails.
                held_until = match lease.take().await {
                    Ok(()) => Some(sent + lease.length),
                    Err(error) => {
                        tracing::warn!(target: "atode::durable", %error, "could not take a new lease; trying again");
                        None
                    }
                };
            }
            Err(error) => {
                tracing::warn!(target: "atode::durable", %error, "could not renew this worker process's lease; trying again");
            }
        }
        let swept = match expired {
            Some(expired) => {
                super::release::release(&lease.database, expired, lease.backoff, lease.length).await
            }
            None => {
                super::release::sweep(&lease.database, &lease.id, lease.backoff, lease.length).await
            }
        };
        match swept {
            Ok(0) => {}
            Ok(released) => {
                tracing::debug!(target: "atode::durable", released, "released the calls of expired worker leases")
            }
            Err(error) => {
                tracing::warn!(target: "atode::durable", %error, "could not release the calls of expired worker leases; trying again")
            }
        }
    }
}

impl Lease {
    fn millis(&self) -> i64 {
        i64::try_from(self.length.as_millis()).unwrap_or(i64::MAX)
    }

    /// Writes the row, expiring one lease from now.
    async fn take(&self) -> Result<(), DurableError> {
        const SQLITE: &str = concat!(
            "INSERT INTO atode_worker (id, expires_at) VALUES ($1, ",
            sqlite_now_ms!(),
            " + $2) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at"
        );
        #[cfg(feature = "postgres")]
        const POSTGRES: &str = concat!(
            "INSERT INTO atode_worker (id, expires_at) VALUES ($1, ",
            postgres_now_ms!(),
            " + $2) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at"
        );
        let (id, millis) = (self.id.to_string(), self.millis());
        match &self.database {
            Database::Sqlite(pool) => sqlx::query(SQLITE)
                .bind(id)
                .bind(millis)
                .execute(pool)
                .await
                .map(drop),
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => sqlx::query(POSTGRES)
                .bind(id)
                .bind(millis)
                .execute(pool)
                .await
                .map(drop),
        }?;
        Ok(())
    }

    /// Pushes the row's expiry one lease from now, if a sweep has not
    /// deleted it (an expired row still there means no one released this
    /// process's calls, which it still runs), and finds the other
    /// processes' expired leases, in the same statement: one statement per
    /// tick keeps an idle worker as cheap as River's own (the expired rows
    /// are set to what they hold).
    async fn renew(&self) -> Result<(Renewal, Vec<String>), DurableError> {
        const SQLITE: &str = concat!(
            "UPDATE atode_worker SET expires_at = CASE WHEN id = $1 THEN ",
            sqlite_now_ms!(),
            " + $2 ELSE expires_at END WHERE id = $1 OR expires_at < ",
            sqlite_now_ms!(),
            " RETURNING id"
        );
        #[cfg(feature = "postgres")]
        const POSTGRES: &str = concat!(
            "UPDATE atode_worker SET expires_at = CASE WHEN id = $1 THEN ",
            postgres_now_ms!(),
            " + $2 ELSE expires_at END WHERE id = $1 OR expires_at < ",
            postgres_now_ms!(),
            " RETURNING id"
        );
        let (id, millis) = (self.id.to_string(), self.millis());
        let mut found: Vec<String> = match &self.database {
            Database::Sqlite(pool) => {
                sqlx::query_scalar(SQLITE)
                    .bind(&id)
                    .bind(millis)
                    .fetch_all(pool)
                    .await?
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                sqlx::query_scalar(POSTGRES)
                    .bind(&id)
                    .bind(millis)
                    .fetch_all(pool)
                    .await?
            }
        };
        let before = found.len();
        found.retain(|other| *other != id);
        let renewal = if found.len() < before {
            Renewal::Renewed
        } else {
            Renewal::Lost
        };
        Ok((renewal, found))
    }

    async fn delete(&self) -> Result<(), DurableError> {
        const DELETE: &str = "DELETE FROM atode_worker WHERE id = $1";
        let id = self.id.to_string();
        super::database::with_pool!(&self.database, pool => {
            sqlx::query(DELETE).bind(id).execute(pool).await.map(drop)?
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::release::sweep;
    use super::super::release::tests::{database, expire, running};
    use super::*;

    #[tokio::test]
    async fn an_expired_lease_renewed_before_any_sweep_keeps_its_calls() {
        let (database, pool) = database("renewed").await;
        let length = Duration::from_secs(60);
        let _sweeper = WorkerLease::take(database.clone(), "sweeper", length, None)
            .await
            .unwrap();
        let slow = WorkerLease::take(database.clone(), "slow", length, None)
            .await
            .unwrap();
        let slows = running(&pool, 1, 25, &["slow"]).await;
        let own = running(&pool, 1, 25, &["sweeper"]).await;
        expire(&pool, "slow").await;
        // The frozen process wakes first: its row is there, so its calls
        // were not released, and it renews.
        assert_eq!(slow.lease.renew().await.unwrap().0, Renewal::Renewed);
        let sweep = || sweep(&database, "sweeper", None, length);
        assert_eq!(sweep().await.unwrap(), 0);
        // A sweep never releases its own process's calls.
        expire(&pool, "sweeper").await;
        assert_eq!(sweep().await.unwrap(), 0);
        for call in [slows, own] {
            let state: String = sqlx::query_scalar("SELECT state FROM river_job WHERE id = $1")
                .bind(call)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(state, "running");
        }
    }

    #[tokio::test]
    async fn a_process_whose_lease_was_swept_learns_it_lost_it_and_takes_another() {
        let (database, pool) = database("lost").await;
        let length = Duration::from_secs(60);
        let frozen = WorkerLease::take(database.clone(), "frozen", length, None)
            .await
            .unwrap();
        running(&pool, 1, 25, &["frozen"]).await;
        expire(&pool, "frozen").await;
        assert_eq!(sweep(&database, "other", None, length).await.unwrap(), 1);
        assert_eq!(frozen.lease.renew().await.unwrap().0, Renewal::Lost);
        frozen.lease.take().await.unwrap();
        assert_eq!(frozen.lease.renew().await.unwrap().0, Renewal::Renewed);
    }

    #[tokio::test]
    async fn ending_the_lease_deletes_it() {
        let (database, pool) = database("end").await;
        let lease = WorkerLease::take(database, "ending", DEFAULT_WORKER_LEASE, None)
            .await
            .unwrap();
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM atode_worker")
                .fetch_one(&pool)
                .await
                .unwrap()
        };
        assert_eq!(count().await, 1);
        lease.keep();
        lease.end().await;
        assert_eq!(count().await, 0);
    }
}
