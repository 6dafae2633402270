//! Keep-alive pings: a socket whose client has gone quiet is pinged, and
//! one that does not answer in time is closed, so a client that vanished
//! without a close frame (a laptop lid shut, a phone off the network) does
//! not hold its socket, and its place under the connection limit, forever.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, Sleep};

/// The payload of atode's own pings, so their pongs are told apart from
/// the answers to pings the app sent.
pub(crate) const PAYLOAD: &[u8] = b"atode-keepalive";

/// How often to ping a quiet client, and how long to wait for a word back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
}

/// What the keep-alive asks of the socket on a poll.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Send a ping now.
    Ping,
    /// The client did not answer the last ping in time: close.
    TimedOut,
}

/// One socket's keep-alive. Hearing from the client only notes the time
/// (no timer work per message); the timer is re-armed when it fires.
pub(crate) struct KeepAlive {
    settings: Settings,
    timer: Pin<Box<Sleep>>,
    last_heard: Instant,
    /// A ping is out and nothing has been heard since it went.
    awaiting: bool,
}

impl KeepAlive {
    pub(crate) fn new(settings: Settings) -> Self {
        let now = Instant::now();
        KeepAlive {
            settings,
            timer: Box::pin(tokio::time::sleep_until(crate::time::after_tokio(
                now,
                settings.interval,
            ))),
            last_heard: now,
            awaiting: false,
        }
    }

    /// The client sent something (any frame): it is alive.
    pub(crate) fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.awaiting = false;
    }

    /// Whether the payload of a pong is the answer to atode's own ping.
    pub(crate) fn is_own_pong(payload: &Bytes) -> bool {
        payload.as_ref() == PAYLOAD
    }

    /// Polls the timer: `Ready` when a ping is due or the client timed out;
    /// `Pending` (with the waker registered) otherwise.
    pub(crate) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<Due> {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if self.awaiting {
                return Poll::Ready(Due::TimedOut);
            }
            let now = Instant::now();
            let due = crate::time::after_tokio(self.last_heard, self.settings.interval);
            if now < due {
                // Heard from the client since the timer was set.
                self.timer.as_mut().reset(due);
                continue;
            }
            self.awaiting = true;
            let timeout = crate::time::after_tokio(now, self.settings.timeout);
            self.timer.as_mut().reset(timeout);
            // Register the new deadline before asking for the ping.
            let _ = self.timer.as_mut().poll(cx);
            return Poll::Ready(Due::Ping);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    fn settings() -> Settings {
        Settings {
            interval: Duration::from_secs(20),
            timeout: Duration::from_secs(10),
        }
    }

    async fn due(keepalive: &mut KeepAlive) -> Due {
        poll_fn(|cx| keepalive.poll_due(cx)).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_client_is_pinged_then_timed_out() {
        let start = Instant::now();
        let mut keepalive = KeepAlive::new(settings());
        assert_eq!(due(&mut keepalive).await, Due::Ping);
        assert_eq!(start.elapsed(), Duration::from_secs(20));
        assert_eq!(due(&mut keepalive).await, Due::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn hearing_from_the_client_puts_the_ping_off_and_answers_it() {
        let start = Instant::now();
        let mut keepalive = KeepAlive::new(settings());
        tokio::time::sleep(Duration::from_secs(15)).await;
        keepalive.heard();
        // The next ping is 20 s after the client was last heard.
        assert_eq!(due(&mut keepalive).await, Due::Ping);
        assert_eq!(start.elapsed(), Duration::from_secs(35));
        // An answer within the timeout: no time-out, the next ping 20 s on.
        tokio::time::sleep(Duration::from_secs(1)).await;
        keepalive.heard();
        assert_eq!(due(&mut keepalive).await, Due::Ping);
        assert_eq!(start.elapsed(), Duration::from_secs(56));
    }

    #[test]
    fn only_its_own_pongs_are_its_own() {
        assert!(KeepAlive::is_own_pong(&Bytes::from_static(PAYLOAD)));
        assert!(!KeepAlive::is_own_pong(&Bytes::from_static(b"app")));
    }
}
