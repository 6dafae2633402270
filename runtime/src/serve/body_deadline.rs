//! The slow-body defence: [`Limits::body_read_timeout`](crate::Limits) and
//! [`Limits::min_body_rate`](crate::Limits), kept on the request body as
//! the app reads it.
//!
//! The header timeout ends once a head is in, so without this a client
//! could send a head and then one byte of body every 29 s and hold its
//! connection, its handler and its place under the task cap forever. Here
//! the body must keep arriving: a byte at least every `body_read_timeout`,
//! and, once it has been read for `body_read_timeout`, `min_body_rate`
//! bytes a second on average since its head (Kestrel's rule). Past either,
//! reading it fails with [`BodyTimedOut`], which body extractors answer
//! `408`. The rate bounds what the whole body may take: a body of `n`
//! bytes gets at most `body_read_timeout + n / min_body_rate`.
//!
//! Only a body being read is timed: the deadline is checked when a read
//! finds nothing ready. It costs nothing per request without a body, and
//! a body read at the speed of the network never arms the timer.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::timer::{CoarseSleep, CoarseTimer, TICKS_PER_SECOND};
use crate::body::{BodyTimedOut, BoxError, IntoBody};
use crate::{Body, Limits};

/// The limits a connection's request bodies are read under.
#[derive(Clone, Copy)]
pub(crate) struct BodyLimits {
    /// `body_read_timeout`, in ticks.
    timeout: u64,
    /// Bytes a second; `0` when there is no minimum.
    min_rate: u64,
}

impl BodyLimits {
    pub(crate) fn new(limits: &Limits) -> Self {
        BodyLimits {
            timeout: CoarseTimer::ticks(limits.body_read_timeout),
            min_rate: limits.min_body_rate,
        }
    }
}

/// A request body from hyper, failing with [`BodyTimedOut`] when it comes
/// too slowly.
pub(crate) struct TimedBody {
    inner: hyper::body::Incoming,
    timer: CoarseTimer,
    limits: BodyLimits,
    /// The tick its head arrived at.
    start: u64,
    /// The tick its last frame arrived at (or `start`).
    last: u64,
    received: u64,
    /// Armed when a read finds nothing ready; re-armed when it fires early
    /// because bytes came meanwhile and moved the deadline on.
    sleep: Option<CoarseSleep>,
}

impl TimedBody {
    pub(crate) fn new(
        inner: hyper::body::Incoming,
        timer: CoarseTimer,
        limits: BodyLimits,
    ) -> Self {
        let start = timer.ticks_now();
        TimedBody {
            inner,
            timer,
            limits,
            start,
            last: start,
            received: 0,
            sleep: None,
        }
    }

    /// The tick by which more of the body must have arrived.
    fn deadline(&self) -> u64 {
        deadline(self.limits, self.start, self.last, self.received)
    }
}

/// The tick by which more of a body must have arrived: its head came at
/// `start`, its last frame at `last`, and `received` bytes so far.
fn deadline(limits: BodyLimits, start: u64, last: u64, received: u64) -> u64 {
    let idle = last.saturating_add(limits.timeout);
    if limits.min_rate == 0 {
        return idle;
    }
    // What `received` bytes pay for at the minimum rate, after the grace
    // of one timeout.
    let earned = received.saturating_mul(TICKS_PER_SECOND) / limits.min_rate;
    let rate = start.saturating_add(limits.timeout).saturating_add(earned);
    idle.min(rate)
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                }
                this.last = this.timer.ticks_now();
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(other) => {
                return Poll::Ready(other.map(|result| result.map_err(Into::into)));
            }
            Poll::Pending => {}
        }
        loop {
            let deadline = this.deadline();
            if this.timer.ticks_now() >= deadline {
                this.sleep = None;
                return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
            }
            let sleep = match &mut this.sleep {
                // Still armed for a deadline that has not moved back: the
                // deadline only moves on as bytes come.
                Some(sleep) if sleep.deadline() <= deadline => sleep,
                slot => slot.insert(this.timer.sleep_until_tick(deadline)),
            };
            if Pin::new(sleep).poll(cx).is_pending() {
                return Poll::Pending;
            }
            // Fired: loop to check whether bytes came meanwhile.
            this.sleep = None;
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl IntoBody for TimedBody {
    fn into_body(self) -> Body {
        Body::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickle_is_cut_by_the_rate_and_a_stall_by_the_timeout() {
        // 30 s (301 ticks), 1,024 bytes a second.
        let limits = BodyLimits {
            timeout: 301,
            min_rate: 1024,
        };
        // One byte 29 s in: the rate's deadline, not 29 s more.
        assert_eq!(deadline(limits, 0, 290, 1), 301);
        // 1 MiB fast, then silence: the idle timeout.
        assert_eq!(deadline(limits, 0, 10, 1 << 20), 311);
        // No minimum rate: only the idle timeout.
        let idle_only = BodyLimits {
            timeout: 301,
            min_rate: 0,
        };
        assert_eq!(deadline(idle_only, 0, 290, 1), 591);
        // Nothing overflows, whatever the limits.
        let longest = BodyLimits {
            timeout: u64::MAX,
            min_rate: 1,
        };
        assert_eq!(deadline(longest, 5, 5, u64::MAX), u64::MAX);
    }
}
