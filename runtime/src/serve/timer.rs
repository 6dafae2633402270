//! `CoarseTimer`: the clock behind the connection timeouts (header read,
//! HTTP/2 pings), at a tenth of a second's resolution.
//!
//! hyper starts a header-read timer for every request and drops it as soon
//! as the head is in. On tokio's timer each one is a registration in the
//! timer wheel and its removal, plus two reads of the clock: about 840
//! instructions a request, for a timeout of 30 s that needs no precision.
//! Here a sleep is a deadline in ticks and, once polled, a slot in a list
//! that one ticker walks ten times a second. A timeout fires between its
//! duration and two ticks later, never early.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// How often the ticker reads the clock and wakes what is due.
const TICK: Duration = Duration::from_millis(100);
// `ticks_in` counts whole ticks per second.
const _: () = assert!(TICK.as_secs() == 0 && 1_000_000_000 % TICK.subsec_nanos() == 0);

/// A [`hyper::rt::Timer`] whose sleeps cost a slot in a list rather than a
/// timer-wheel registration each.
#[derive(Clone)]
pub(crate) struct CoarseTimer {
    clock: Arc<Clock>,
}

struct Clock {
    start: Instant,
    /// Ticks since `start`, as the ticker last read the clock.
    ticks: AtomicU64,
    /// Whether the ticker task runs; started by the first sleep, inside the
    /// runtime.
    ticking: AtomicBool,
    sleepers: Mutex<Slots>,
}

/// The polled sleeps, by slot; freed slots are reused.
#[derive(Default)]
struct Slots {
    entries: Vec<Option<Sleeper>>,
    free: Vec<usize>,
}

struct Sleeper {
    deadline: u64,
    waker: Waker,
}

impl CoarseTimer {
    pub(crate) fn new() -> Self {
        CoarseTimer {
            clock: Arc::new(Clock {
                start: Instant::now(),
                ticks: AtomicU64::new(0),
                ticking: AtomicBool::new(false),
                sleepers: Mutex::new(Slots::default()),
            }),
        }
    }
}

impl Timer for CoarseTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.clock.start_ticking();
        // Rounded up, plus the tick the clock may lag by: never early.
        let deadline =
            ticks_in(deadline.saturating_duration_since(self.clock.start)).saturating_add(1);
        Box::pin(CoarseSleep {
            clock: Arc::clone(&self.clock),
            deadline,
            slot: None,
        })
    }
}

/// `elapsed` in ticks, rounded up. In `u64`: hyper starts a sleep for every
/// request, and `u128` arithmetic on nanoseconds is a call into a
/// division routine.
fn ticks_in(elapsed: Duration) -> u64 {
    const TICK_NANOS: u32 = TICK.subsec_nanos();
    const PER_SECOND: u64 = 1_000_000_000 / TICK_NANOS as u64;
    let whole = elapsed.as_secs().saturating_mul(PER_SECOND);
    whole.saturating_add(u64::from(elapsed.subsec_nanos().div_ceil(TICK_NANOS)))
}

impl Clock {
    fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        // Nothing that can panic runs under this lock.
        self.sleepers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn start_ticking(self: &Arc<Self>) {
        if self.ticking.load(Ordering::Relaxed) || self.ticking.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Outside a runtime nothing could be served anyway; try again
            // with the next sleep.
            self.ticking.store(false, Ordering::Release);
            return;
        };
        runtime.spawn(tick(Arc::downgrade(self), self.start));
    }

    /// Reads the clock, then wakes every sleep that is due.
    fn advance(&self, now: u64) {
        self.ticks.store(now, Ordering::Release);
        let mut due = Vec::new();
        {
            let slots = self.lock();
            for sleeper in slots.entries.iter().flatten() {
                if sleeper.deadline <= now {
                    due.push(sleeper.waker.clone());
                }
            }
        }
        // Woken outside the lock: a woken task may poll its sleep at once.
        for waker in due {
            waker.wake();
        }
    }
}

/// The ticker: ends once the timer and every sleep are gone.
async fn tick(clock: Weak<Clock>, start: Instant) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(clock) = clock.upgrade() else {
            return;
        };
        let now = start.elapsed().as_nanos() / TICK.as_nanos();
        clock.advance(u64::try_from(now).unwrap_or(u64::MAX));
    }
}

struct CoarseSleep {
    clock: Arc<Clock>,
    /// In ticks since the clock's start.
    deadline: u64,
    /// Its place in the list, once polled.
    slot: Option<usize>,
}

impl Future for CoarseSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.clock.ticks() >= self.deadline {
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let mut slots = self.clock.lock();
        match self.slot {
            Some(slot) => {
                if let Some(Some(sleeper)) = slots.entries.get_mut(slot) {
                    if !sleeper.waker.will_wake(cx.waker()) {
                        sleeper.waker = cx.waker().clone();
                    }
                }
            }
            None => {
                let sleeper = Some(Sleeper {
                    deadline,
                    waker: cx.waker().clone(),
                });
                let slot = match slots.free.pop() {
                    Some(slot) => {
                        slots.entries[slot] = sleeper;
                        slot
                    }
                    None => {
                        slots.entries.push(sleeper);
                        slots.entries.len() - 1
                    }
                };
                drop(slots);
                self.slot = Some(slot);
            }
        }
        Poll::Pending
    }
}

impl Sleep for CoarseSleep {}

impl Drop for CoarseSleep {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let mut slots = self.clock.lock();
            if let Some(entry) = slots.entries.get_mut(slot) {
                *entry = None;
                slots.free.push(slot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_whole_ticks() {
        let cases = [
            (Duration::ZERO, 0),
            (Duration::from_nanos(1), 1),
            (TICK, 1),
            (TICK + Duration::from_nanos(1), 2),
            (Duration::from_millis(1050), 11),
            (Duration::from_secs(30), 300),
            (Duration::MAX, u64::MAX),
        ];
        for (elapsed, ticks) in cases {
            assert_eq!(ticks_in(elapsed), ticks, "{elapsed:?}");
        }
    }

    #[tokio::test]
    async fn a_sleep_ends_no_earlier_than_its_duration() {
        let timer = CoarseTimer::new();
        let started = Instant::now();
        timer.sleep(Duration::from_millis(150)).await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(150), "{took:?}");
    }

    #[tokio::test]
    async fn a_dropped_sleep_frees_its_slot_for_the_next() {
        let timer = CoarseTimer::new();
        let mut first = timer.sleep(Duration::from_secs(60));
        let waker = std::task::Waker::noop();
        assert!(
            first
                .as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        drop(first);
        let mut second = timer.sleep(Duration::from_secs(60));
        assert!(
            second
                .as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        let slots = timer.clock.lock();
        assert_eq!((slots.entries.len(), slots.free.len()), (1, 0));
    }
}
