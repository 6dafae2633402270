//! The connection limits and timeouts, with their defaults.

use std::time::Duration;

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;

use super::connections::Connections;
use super::timer::CoarseTimer;

/// What a server allows each client, so a slow or hostile one cannot hold
/// it: set with [`Serve::limits`](crate::Serve::limits). Request bodies are
/// limited per app and per route instead ([`App::body_limit`](crate::App::body_limit)).
///
/// ```
/// use atode::Limits;
/// use std::time::Duration;
///
/// let defaults = Limits::default();
/// assert_eq!(defaults.header_read_timeout, Duration::from_secs(30));
/// assert_eq!(defaults.max_header_size, 64 * 1024);
/// assert_eq!(defaults.max_connections, 10_000);
/// assert_eq!(defaults.keep_alive_timeout, Duration::from_secs(60));
/// assert!(!defaults.half_close);
/// assert_eq!(defaults.websocket_close_timeout, Duration::from_secs(5));
/// assert_eq!(defaults.body_read_timeout, Duration::from_secs(30));
/// assert_eq!(defaults.min_body_rate, 1024);
/// assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
/// ```
///
/// Every duration may be as long as `Duration::MAX`, which means "never"
/// (it saturates rather than overflowing a clock).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// How long a client may take to send a request's head, counted from
    /// when the server starts waiting for it (slowloris). Past it the
    /// connection is closed. The wait starts when the connection is
    /// accepted, so a client that sends nothing is closed too, and again
    /// when a response's body is done: on HTTP/1.1 this also bounds an
    /// idle keep-alive connection. Handlers and bodies that take longer
    /// are not cut. An HTTP/2 connection is exempt from its first request
    /// on (`idle_timeout` bounds it). Checked ten times a second: a
    /// connection is closed up to 0.2 s after its time, never before.
    /// Default 30 s.
    pub header_read_timeout: Duration,
    /// How long a request body may go without a byte arriving while the
    /// app reads it; also the grace before `min_body_rate` applies. Past
    /// it, reading the body fails and body extractors answer `408` (and
    /// close an HTTP/1.1 connection). Default 30 s, as the header timeout.
    pub body_read_timeout: Duration,
    /// The average rate, in bytes a second since the request's head, that
    /// a body must keep up once it has been read for `body_read_timeout`
    /// (`0` for no minimum). With the idle bound above, this stops a client
    /// that trickles a byte every few seconds: a body of `n` bytes gets at
    /// most `body_read_timeout + n / min_body_rate`, e.g. 30 s + 34 min
    /// for the default 2 MiB limit. Kestrel's rule, with a floor (1 KiB/s)
    /// that a phone on a 2G link clears twentyfold. Default 1,024.
    pub min_body_rate: u64,
    /// HTTP/2: a connection with no stream open for this long is sent
    /// `GOAWAY` and closed, however faithfully it answers pings (HTTP/1.1's
    /// idle connections are bounded by `header_read_timeout`). Default 60 s.
    pub idle_timeout: Duration,
    /// The largest request head (request line and headers), in bytes.
    /// HTTP/1.1 past it gets `431`; HTTP/2 past it gets a `431` for the
    /// stream, and past four times it `GOAWAY` for the connection.
    /// Default 64 KiB.
    pub max_header_size: usize,
    /// The most connections served at once; more wait in the listen backlog
    /// until one closes. Default 10,000.
    pub max_connections: usize,
    /// HTTP/2: the server pings a connection this often, and closes it when
    /// a ping goes unanswered this long (a client that vanished without
    /// closing). Idle connections are bounded by `idle_timeout` (HTTP/2)
    /// and `header_read_timeout` (HTTP/1.1). Default 60 s.
    pub keep_alive_timeout: Duration,
    /// HTTP/1.1: keep serving a client that shuts its sending side after
    /// its request (`nc -N`, some HTTP/1.0 clients). Off by default: with
    /// it on, the server cannot tell such a client from one that went
    /// away, so a vanished client's handler and streamed body keep
    /// running (and holding their connection and their place under the
    /// task cap) until they end by themselves. Default `false`.
    pub half_close: bool,
    /// At shutdown, how long open WebSockets get to finish after they are
    /// sent their close frame (1001 Going Away); those still open then are
    /// dropped, so a client that never answers cannot hold the shutdown.
    /// The shutdown deadline, when set, bounds it too. Default 5 s.
    #[cfg(feature = "ws")]
    pub websocket_close_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            min_body_rate: 1024,
            idle_timeout: Duration::from_secs(60),
            max_header_size: 64 * 1024,
            max_connections: 10_000,
            keep_alive_timeout: Duration::from_secs(60),
            half_close: false,
            #[cfg(feature = "ws")]
            websocket_close_timeout: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// hyper's connection builder, set to these limits, and the server's
    /// connections, which keep the header timeout (per connection, rather
    /// than hyper's per request: `head_deadline.rs`).
    pub(crate) fn builder(&self) -> (auto::Builder<TokioExecutor>, Connections) {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // One clock for all the timeouts: they need no precision, and a
        // timer-wheel entry per request would cost more than routing.
        let timer = CoarseTimer::new();
        builder
            .http1()
            .timer(timer.clone())
            .header_read_timeout(None)
            .half_close(self.half_close)
            // hyper's read buffer bounds the head; it cannot go below 8 KiB.
            .max_buf_size(self.max_header_size.max(8192));
        builder
            .http2()
            .timer(timer.clone())
            .max_header_list_size(u32::try_from(self.max_header_size).unwrap_or(u32::MAX))
            // hyper's defaults, stated so an upgrade cannot move them
            // unseen: scripts/http2_conformance.sh's floods rely on them.
            .max_concurrent_streams(200)
            .max_pending_accept_reset_streams(20)
            .max_local_error_reset_streams(1024)
            .keep_alive_interval(Some(crate::time::bounded(self.keep_alive_timeout)))
            .keep_alive_timeout(crate::time::bounded(self.keep_alive_timeout));
        let connections = Connections::new(timer, self);
        // RFC 8441, for WebSockets over HTTP/2.
        #[cfg(feature = "ws")]
        builder.http2().enable_connect_protocol();
        (builder, connections)
    }
}
