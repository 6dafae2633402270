//! River used directly, as atode's peer: a client with workers and the
//! queue settings atode would set for the same knobs, on the same pool
//! settings (`backend::river_builder`).

use riverqueue::{Client, Workers};

use crate::backend::{BoxError, river_builder};
use crate::settings::{Fetch, Settings};

/// A River client on `url` working `workers` on the queue `default` with
/// `CONCURRENCY` and `fetch` as atode sets them; not started.
pub async fn with_workers(
    url: &str,
    settings: &Settings,
    fetch: Fetch,
    workers: Workers,
) -> Result<Client, BoxError> {
    let builder = river_builder(url)
        .await?
        // atode sets this on its client (calls of a task this process does
        // not know are left for one that does); off by default here, on
        // with RIVER_KNOWN_KINDS=1 to see what it costs.
        .fetch_only_known_kinds(settings.river_known_kinds)
        .workers(workers);
    Ok(fetch
        .river(builder, "default", settings.concurrency.count())
        .build()?)
}
