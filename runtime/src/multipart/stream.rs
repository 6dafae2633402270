//! The request body as multer reads it, paced so that a hostile body costs
//! linear work.
//!
//! multer looks for a part's head (the boundary, then headers up to a blank
//! line) by searching its whole buffer again each time it is polled, and
//! buffers everything it is given until it finds it. Left alone, a body
//! whose boundary never comes is buffered whole and searched once per
//! chunk: quadratic in the body limit, which upload routes raise. So
//! [`BodyStream`] hands multer one chunk per poll (its buffer then never
//! holds more than about a chunk beyond what it is parsing), and while a
//! head is being looked for it hands over at most a budget of bytes:
//! [`HeadGuard`] then tells the caller that multer has seen them all and
//! still found no head, which is a `413`.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http_body::Body as _;

use crate::{Body, BoxError};

/// No head is being looked for: no budget.
const UNLIMITED: usize = usize::MAX;

/// Shared by [`BodyStream`] (which spends it) and the multipart reader
/// (which sets it around each search for a part's head).
#[derive(Debug)]
pub(crate) struct HeadGuard {
    /// Bytes the stream may still hand over; `UNLIMITED` outside a search.
    remaining: AtomicUsize,
    /// Bytes handed over since the stream started, to tell whether a poll
    /// gave multer anything new.
    delivered: AtomicUsize,
}

impl HeadGuard {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(HeadGuard {
            remaining: AtomicUsize::new(UNLIMITED),
            delivered: AtomicUsize::new(0),
        })
    }

    /// A search for a head starts: at most `limit` more bytes until `end`.
    pub(crate) fn start(&self, limit: usize) {
        self.remaining.store(limit, Ordering::Relaxed);
    }

    /// The search is over: the stream flows freely again.
    pub(crate) fn end(&self) {
        self.remaining.store(UNLIMITED, Ordering::Relaxed);
    }

    /// Whether the budget is spent: multer has every byte it may get.
    pub(crate) fn spent(&self) -> bool {
        self.remaining.load(Ordering::Relaxed) == 0
    }

    pub(crate) fn delivered(&self) -> usize {
        self.delivered.load(Ordering::Relaxed)
    }

    /// How much of a chunk of `len` bytes may go now; counts it as handed over.
    fn take(&self, len: usize) -> usize {
        let remaining = self.remaining.load(Ordering::Relaxed);
        let allowed = len.min(remaining);
        if remaining != UNLIMITED {
            self.remaining.store(remaining - allowed, Ordering::Relaxed);
        }
        self.delivered.fetch_add(allowed, Ordering::Relaxed);
        allowed
    }
}

/// The body's data frames as a stream, one chunk per poll, within the
/// [`HeadGuard`]'s budget.
pub(crate) struct BodyStream {
    body: Body,
    /// What is left of a chunk the budget cut.
    held: Bytes,
    guard: Arc<HeadGuard>,
    /// A chunk went out on the last poll: let multer parse it first.
    just_delivered: bool,
}

impl BodyStream {
    pub(crate) fn new(body: Body, guard: Arc<HeadGuard>) -> Self {
        BodyStream {
            body,
            held: Bytes::new(),
            guard,
            just_delivered: false,
        }
    }

    fn deliver(&mut self, mut chunk: Bytes) -> Poll<Option<Result<Bytes, BoxError>>> {
        let allowed = self.guard.take(chunk.len());
        self.held = chunk.split_off(allowed);
        self.just_delivered = true;
        Poll::Ready(Some(Ok(chunk)))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.guard.spent() {
            // No waker: the reader notices the spent budget and stops.
            return Poll::Pending;
        }
        if self.just_delivered {
            // multer pulls until the stream is pending before it parses;
            // one chunk at a time keeps its buffer, and each search, small.
            self.just_delivered = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            return self.deliver(held);
        }
        loop {
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => return self.deliver(data),
                    // Trailers: no data, and nothing a form needs.
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    /// One poll, as multer makes it.
    fn poll(stream: &mut BodyStream) -> Poll<Option<Bytes>> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(stream)
            .poll_next(&mut cx)
            .map(|item| item.map(|chunk| chunk.expect("a chunk")))
    }

    #[test]
    fn a_head_budget_cuts_a_chunk_and_hands_over_the_rest_once_lifted() {
        let guard = HeadGuard::new();
        let mut stream = BodyStream::new(Body::from("0123456789"), guard.clone());
        guard.start(4);
        assert_eq!(poll(&mut stream), Poll::Ready(Some(Bytes::from("0123"))));
        assert!(guard.spent());
        assert_eq!(poll(&mut stream), Poll::Pending, "nothing past the budget");
        guard.end();
        assert_eq!(poll(&mut stream), Poll::Pending, "a pause after each chunk");
        assert_eq!(poll(&mut stream), Poll::Ready(Some(Bytes::from("456789"))));
        assert_eq!(poll(&mut stream), Poll::Pending);
        assert_eq!(poll(&mut stream), Poll::Ready(None));
        assert_eq!(guard.delivered(), 10);
    }
}
