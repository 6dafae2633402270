//! `CoarseTimer`: the clock behind the connection timeouts (the header
//! timeout of `head_deadline`, hyper's HTTP/2 pings), at a tenth of a
//! second's resolution.
//!
//! None of them needs precision, and on tokio's timer each sleep is a
//! registration in the timer wheel and its removal, plus reads of the
//! clock. Here a sleep is a deadline in ticks and, once polled, a slot in a
//! list that one ticker walks ten times a second; a connection's header
//! timeout is a slot of the same list for the connection's whole life. A
//! timeout fires between its duration and two ticks later, never early.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

use super::head_deadline::HeadWatch;

/// How often the ticker reads the clock and wakes what is due.
const TICK: Duration = Duration::from_millis(100);
// `ticks_in` counts whole ticks per second.
const _: () = assert!(TICK.as_secs() == 0 && 1_000_000_000 % TICK.subsec_nanos() == 0);

/// Ticks in a second.
pub(crate) const TICKS_PER_SECOND: u64 = 1_000_000_000 / TICK.subsec_nanos() as u64;

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
    due: Due,
    waker: Waker,
}

/// When an entry of the list is due.
enum Due {
    /// A sleep: at this tick.
    At(u64),
    /// A connection: once it has waited too long for a request head (see
    /// `head_deadline`).
    Head(HeadWatch),
}

impl Due {
    fn is_due(&self, now: u64) -> bool {
        match self {
            Due::At(deadline) => *deadline <= now,
            Due::Head(watch) => watch.expired(now),
        }
    }
}

impl CoarseTimer {
    /// The clock as the ticker last read it, in ticks since it started.
    pub(crate) fn ticks_now(&self) -> u64 {
        self.clock.ticks()
    }

    /// `duration` in ticks, rounded up, plus the tick the clock may lag
    /// by: a timeout of this many ticks never ends early.
    pub(crate) fn ticks(duration: Duration) -> u64 {
        ticks_in(duration).saturating_add(1)
    }

    /// A place in the ticker's list for a connection, woken once `watch`
    /// has waited too long for a request head.
    pub(crate) fn watch_heads(&self, watch: HeadWatch) -> Registration {
        self.clock.start_ticking();
        Registration {
            clock: Arc::clone(&self.clock),
            due: Some(Due::Head(watch)),
            slot: None,
        }
    }

    /// A sleep until tick `deadline`, unboxed.
    pub(crate) fn sleep_until_tick(&self, deadline: u64) -> CoarseSleep {
        self.clock.start_ticking();
        CoarseSleep {
            deadline,
            registration: Registration {
                clock: Arc::clone(&self.clock),
                due: Some(Due::At(deadline)),
                slot: None,
            },
        }
    }

    /// Wakes every connection in the list (at shutdown).
    pub(crate) fn wake_connections(&self) {
        let wakers: Vec<Waker> = {
            let slots = self.clock.lock();
            slots
                .entries
                .iter()
                .flatten()
                .filter(|sleeper| matches!(sleeper.due, Due::Head(_)))
                .map(|sleeper| sleeper.waker.clone())
                .collect()
        };
        // Woken outside the lock, as by the ticker.
        for waker in wakers {
            waker.wake();
        }
    }

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
        self.sleep_until(crate::time::after(self.now(), duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let deadline = Self::ticks(deadline.saturating_duration_since(self.clock.start));
        Box::pin(self.sleep_until_tick(deadline))
    }
}

/// `elapsed` in ticks, rounded up. In `u64`: hyper starts a sleep for every
/// request, and `u128` arithmetic on nanoseconds is a call into a
/// division routine.
fn ticks_in(elapsed: Duration) -> u64 {
    const TICK_NANOS: u32 = TICK.subsec_nanos();
    let whole = elapsed.as_secs().saturating_mul(TICKS_PER_SECOND);
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
                if sleeper.due.is_due(now) {
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

/// A sleep of the coarse timer, until a tick.
pub(crate) struct CoarseSleep {
    /// In ticks since the clock's start.
    deadline: u64,
    registration: Registration,
}

impl Future for CoarseSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.registration.clock.ticks() >= self.deadline {
            return Poll::Ready(());
        }
        self.registration.wake_with(cx.waker());
        Poll::Pending
    }
}

impl Sleep for CoarseSleep {}

impl CoarseSleep {
    /// The tick it ends at.
    pub(crate) fn deadline(&self) -> u64 {
        self.deadline
    }
}

/// An entry in the ticker's list: made on the first poll, removed on drop.
pub(crate) struct Registration {
    clock: Arc<Clock>,
    /// Until the first poll.
    due: Option<Due>,
    /// Its place in the list, once polled.
    slot: Option<usize>,
}

impl Registration {
    /// Makes the entry, or gives it `waker` when the task polling it is
    /// another than before.
    pub(crate) fn wake_with(&mut self, waker: &Waker) {
        let mut slots = self.clock.lock();
        match self.slot {
            Some(slot) => {
                if let Some(Some(sleeper)) = slots.entries.get_mut(slot) {
                    if !sleeper.waker.will_wake(waker) {
                        sleeper.waker = waker.clone();
                    }
                }
            }
            None => {
                let Some(due) = self.due.take() else { return };
                let sleeper = Some(Sleeper {
                    due,
                    waker: waker.clone(),
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
    }

    /// Whether the entry is in the list.
    pub(crate) fn is_registered(&self) -> bool {
        self.slot.is_some()
    }
}

impl Drop for Registration {
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
