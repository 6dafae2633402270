//! `Recent`: how many in-process tasks completed and failed over the last
//! minutes, for the task dashboard's rates. A ring of per-minute slots of
//! atomics, so a task's end costs two relaxed atomic operations and takes
//! no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The minutes a window may cover, and the one being counted.
const SLOTS: usize = 6;

pub(crate) struct Recent {
    start: Instant,
    slots: [Slot; SLOTS],
}

#[derive(Default)]
struct Slot {
    /// The minute (since `start`) the counts are of.
    minute: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
}

impl Recent {
    pub(crate) fn new() -> Self {
        Recent {
            start: Instant::now(),
            slots: Default::default(),
        }
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_secs() / 60
    }

    /// Counts one task's end: failed (an `Err`, a panic, a timeout) or not.
    pub(crate) fn count(&self, failed: bool) {
        self.count_at(self.now(), failed);
    }

    fn count_at(&self, minute: u64, failed: bool) {
        let slot = &self.slots[(minute % SLOTS as u64) as usize];
        let seen = slot.minute.load(Ordering::Acquire);
        if seen != minute
            && slot
                .minute
                .compare_exchange(seen, minute, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // The slot's counts were of a minute that has left the window.
            // An end counted by another thread between the exchange and
            // these stores is lost: these are rates for a page; the totals
            // are the runner's.
            slot.completed.store(0, Ordering::Relaxed);
            slot.failed.store(0, Ordering::Relaxed);
        }
        let counter = if failed {
            &slot.failed
        } else {
            &slot.completed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The tasks completed and failed in the last `minutes` minutes, this
    /// one included (at most `SLOTS`).
    pub(crate) fn over(&self, minutes: u64) -> (u64, u64) {
        self.over_at(self.now(), minutes)
    }

    fn over_at(&self, now: u64, minutes: u64) -> (u64, u64) {
        let minutes = minutes.min(SLOTS as u64);
        self.slots
            .iter()
            .filter(|slot| now.wrapping_sub(slot.minute.load(Ordering::Acquire)) < minutes)
            .fold((0, 0), |(completed, failed), slot| {
                (
                    completed + slot.completed.load(Ordering::Relaxed),
                    failed + slot.failed.load(Ordering::Relaxed),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_its_minutes_only() {
        let recent = Recent::new();
        recent.count_at(0, false);
        recent.count_at(0, true);
        recent.count_at(3, false);
        recent.count_at(4, false);
        assert_eq!(recent.over_at(4, 5), (3, 1));
        // Minute 0 has left a 2-minute window at minute 4.
        assert_eq!(recent.over_at(4, 2), (2, 0));
        // Minute 6 reuses minute 0's slot: its old counts are gone.
        recent.count_at(6, true);
        assert_eq!(recent.over_at(6, 5), (2, 1));
        assert_eq!(recent.over_at(6, 1), (0, 1));
    }
}
