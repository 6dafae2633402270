//! Waking this process's workers when it has committed calls, instead of
//! leaving them to the poll.
//!
//! River's insert in a caller's transaction (atode's own, for a request's
//! calls) does not wake the client's producers: it cannot know when the
//! transaction commits (`client/insert.rs`, `run_insert`: only its own
//! transactions send the local `RuntimeNotification::Insert`). The insert
//! notifications reach this process too, but later: on PostgreSQL a
//! round trip through the server, on SQLite through an outbox table that
//! River's listener reads every 100 ms (`DEFAULT_NOTIFICATION_POLL_INTERVAL`,
//! not configurable); and they are paced (`notices.rs`).
//!
//! River 0.5 has no public call that wakes a producer. The one public
//! event its producer fetches on at once is a change of its queue's
//! configuration (`client/producer.rs`, `run_queue`: "More capacity may
//! allow a claim now"), applied while it runs
//! ([`LocalQueues::update`](riverqueue::LocalQueues)). So a wake-up
//! updates the queue's fetch cooldown by one nanosecond, up or down in
//! turn: the producer fetches (after the rest of its cooldown, as for any
//! trigger), and a nanosecond changes nothing else it does.

use std::time::Duration;

use riverqueue::Client;

/// Makes this process's producer of `queue` fetch now. A queue this
/// process does not work (or a client that is not running) is left alone.
pub(crate) fn wake_local_workers(client: &Client, queue: &str) {
    let local = client.local_queues();
    let Some(config) = local.configs().remove(queue) else {
        return;
    };
    let Some(cooldown) = config.fetch_cooldown() else {
        return;
    };
    let _ = local.update(queue, config.with_fetch_cooldown(nudged(cooldown)));
}

/// `cooldown` one nanosecond away, up from an even count of nanoseconds
/// and down from an odd one: the value flips between two, never drifts.
fn nudged(cooldown: Duration) -> Duration {
    const NANOSECOND: Duration = Duration::from_nanos(1);
    if cooldown.subsec_nanos() % 2 == 0 {
        cooldown + NANOSECOND
    } else {
        cooldown - NANOSECOND
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::nudged;

    #[test]
    fn a_nudged_cooldown_flips_between_two_values() {
        let cooldown = Duration::from_millis(10);
        let once = nudged(cooldown);
        assert_ne!(once, cooldown);
        assert_eq!(nudged(once), cooldown);
        assert_eq!(once - cooldown, Duration::from_nanos(1));
    }
}
