//! Serving an app: the accept loop, HTTP/1.1 and HTTP/2 on one port, the
//! connection limits, and graceful shutdown that drains the background tasks.

mod body_deadline;
mod connection;
mod connections;
mod head_deadline;
mod limits;
mod signal;
mod timer;

pub(crate) use head_deadline::InProgress;
pub use limits::Limits;
pub(crate) use signal::Signals;
pub use signal::shutdown_signal;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::App;
use crate::lifecycle::Lifecycle;
use connection::ConnectionService;
use connections::Connections;

/// The address [`run`] listens on when `ATODE_ADDR` is not set: loopback
/// only, so a development server is not reachable from the network until
/// `ATODE_ADDR` (such as `0.0.0.0:8000`) says so.
///
/// ```
/// use std::net::SocketAddr;
///
/// let addr: SocketAddr = atode::DEFAULT_ADDR.parse().unwrap();
/// assert!(addr.ip().is_loopback());
/// assert_eq!(addr.port(), 8000);
/// ```
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// Serves `app` on `$ATODE_ADDR` (default `127.0.0.1:8000`), printing the
/// address it listens on, until Ctrl-C or SIGTERM; then shuts down
/// gracefully: stops accepting, finishes in-flight responses, and waits for
/// every background task, or for `$ATODE_SHUTDOWN_DEADLINE` seconds when
/// set, after which what is still pending is abandoned and counted in the log.
/// A second Ctrl-C or SIGTERM during the shutdown abandons what is left at
/// once, counted in the log the same way.
///
/// The app's start-up hooks ([`App::on_startup`]) run before the address
/// is bound: if one fails, `run` returns its error and nothing ever
/// listened. The shutdown hooks ([`App::on_shutdown`]) run last, within
/// the deadline.
///
/// ```no_run
/// use atode::{get, routes, App};
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "Hello, World!"
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     atode::run(App::new().routes(routes![index])).await
/// }
/// ```
pub async fn run(app: App) -> io::Result<()> {
    let addr = std::env::var("ATODE_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let deadline = shutdown_deadline_from_env()?;
    // Listening for the signal from here on: one that arrives during the
    // start-up hooks, or before the server's first poll, shuts it down
    // gracefully instead of killing the process. A second one abandons
    // what is left of the shutdown.
    let signals = Signals::listen();
    // Start-up hooks first: a failure should not leave a port bound, even
    // for a moment.
    let app = start(&app).await?;
    let listener = match TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(error) => {
            // The hooks succeeded, so what they opened is closed.
            let _ = app.shut_down(None).await;
            return Err(io::Error::new(
                error.kind(),
                format!("cannot listen on {addr}: {error}"),
            ));
        }
    };
    println!("atode listening on http://{}", listener.local_addr()?);
    let mut server = serve(listener, app)
        .with_graceful_shutdown(signals.nth(1))
        .abandon_on(signals.nth(2));
    server.started = true;
    match deadline {
        Some(deadline) => server.shutdown_deadline(deadline).await,
        None => server.await,
    }
}

/// Checks `app` and runs its start-up hooks: the app to serve, or why it
/// cannot start.
async fn start(app: &App) -> io::Result<App> {
    app.check()
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
    for warning in app.start_warnings() {
        tracing::warn!(target: "atode::app", "{warning}");
    }
    app.start().await.map_err(io::Error::other)
}

/// `$ATODE_SHUTDOWN_DEADLINE`, in seconds (`30`, `0.5`), if set; an error
/// for a value that is not a finite, non-negative number.
pub(crate) fn shutdown_deadline_from_env() -> io::Result<Option<Duration>> {
    crate::time::seconds_from_env("ATODE_SHUTDOWN_DEADLINE")
}

/// Serves `app` on a listener you bound, such as `127.0.0.1:0` in a test.
/// Await the result to run the server; it returns once the shutdown signal
/// set with [`Serve::with_graceful_shutdown`] has fired and everything has
/// drained. It checks the app ([`App::check`]) and runs its start-up hooks
/// ([`App::on_startup`]) before it accepts a connection, returning the
/// error of the first that fails (connections made meanwhile wait in the
/// listener's backlog, and are closed unanswered when it fails).
///
/// ```
/// use atode::{get, routes, App};
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "Hello, World!"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(
///     atode::serve(listener, App::new().routes(routes![index]))
///         .with_graceful_shutdown(async { stopped.await.ok(); })
///         .into_future(),
/// );
/// stop.send(()).ok();
/// server.await.expect("server task")?;
/// # Ok(()) }
/// # use std::future::IntoFuture;
/// ```
pub fn serve(listener: TcpListener, app: App) -> Serve {
    Serve {
        listener,
        app,
        signal: None,
        abandon: None,
        deadline: None,
        limits: Limits::default(),
        started: false,
    }
}

/// A server being set up; await it to run it. See [`serve`].
///
/// ```
/// use atode::{get, routes, App};
/// use std::future::IntoFuture;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "Hello, World!"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = atode::serve(listener, App::new().routes(routes![index]))
///     .with_graceful_shutdown(async { stopped.await.ok(); });
/// let addr = server.local_addr()?;
/// let running = tokio::spawn(server.into_future());
///
/// let mut stream = tokio::net::TcpStream::connect(addr).await?;
/// stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
/// let mut response = String::new();
/// stream.read_to_string(&mut response).await?;
/// assert!(response.starts_with("HTTP/1.1 200 OK"));
/// assert!(response.ends_with("Hello, World!"));
///
/// stop.send(()).ok();
/// running.await.expect("server task")?;
/// # Ok(()) }
/// ```
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: App,
    signal: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Ends the shutdown at once, as the deadline does.
    abandon: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    deadline: Option<Duration>,
    limits: Limits,
    /// Whether `app` is already checked and its start-up hooks ran ([`run`]
    /// does both before it binds).
    started: bool,
}

impl Serve {
    /// Shuts down gracefully once `signal` completes: stops accepting,
    /// lets in-flight responses finish, then waits for background tasks.
    /// Use [`shutdown_signal`] for Ctrl-C and SIGTERM, or any future of
    /// your own (a channel, in a test). Without it, the server runs forever.
    ///
    /// ```
    /// # use atode::App;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// // A signal that has already fired: the server stops at once.
    /// atode::serve(listener, App::new())
    ///     .with_graceful_shutdown(async {})
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// Bounds the graceful shutdown: whatever is still running `deadline`
    /// after the signal is abandoned, and the number of abandoned tasks is
    /// logged. Without a deadline, shutdown waits for every task. Either
    /// way a server drains and abandons only what came through it: another
    /// server of the same app (or a `TestClient` of it) keeps its tasks,
    /// and the app can be served again afterwards. The
    /// shutdown hooks ([`App::on_shutdown`]) get what is left of the
    /// deadline after the tasks, so the server returns by it.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks};
    /// use std::time::Duration;
    ///
    /// async fn stuck() {
    ///     std::future::pending::<()>().await;
    /// }
    ///
    /// #[post("/stuck")]
    /// async fn queue(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(stuck, ());
    ///     "queued"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let app = App::new().routes(routes![queue]);
    /// let monitor = app.task_monitor();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = atode::serve(listener, app)
    ///     .with_graceful_shutdown(async { stopped.await.ok(); })
    ///     .shutdown_deadline(Duration::from_millis(10));
    /// let running = tokio::spawn(server.into_future());
    ///
    /// post(addr, "/stuck").await?; // answered; its task never ends
    /// stop.send(()).ok();
    /// running.await.expect("server task")?; // returns although the task has not finished
    /// assert_eq!(monitor.stats().pending, 1);
    /// # Ok(()) }
    /// # use std::future::IntoFuture;
    /// # async fn post(addr: std::net::SocketAddr, path: &str) -> std::io::Result<()> {
    /// #     use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// #     let mut stream = tokio::net::TcpStream::connect(addr).await?;
    /// #     let head = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    /// #     stream.write_all(head.as_bytes()).await?;
    /// #     stream.read_to_end(&mut Vec::new()).await.map(drop)
    /// # }
    /// ```
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Abandons what is left of a graceful shutdown once `signal` completes
    /// (after the shutdown began), as the deadline would: no task starts
    /// from then on, and what is abandoned is counted in the log. [`run`]
    /// sets it to a second Ctrl-C or SIGTERM.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks};
    ///
    /// async fn stuck() {
    ///     std::future::pending::<()>().await;
    /// }
    ///
    /// #[post("/stuck")]
    /// async fn queue(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(stuck, ());
    ///     "queued"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let app = App::new().routes(routes![queue]);
    /// let monitor = app.task_monitor();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = atode::serve(listener, app)
    ///     .with_graceful_shutdown(async { stopped.await.ok(); })
    ///     .abandon_on(async {}); // no deadline, but told to give up
    /// let running = tokio::spawn(server.into_future());
    ///
    /// post(addr, "/stuck").await?; // answered; its task never ends
    /// stop.send(()).ok();
    /// running.await.expect("server task")?; // logs "...; 1 background task(s) abandoned"
    /// assert_eq!(monitor.stats().pending, 1);
    /// # Ok(()) }
    /// # use std::future::IntoFuture;
    /// # async fn post(addr: std::net::SocketAddr, path: &str) -> std::io::Result<()> {
    /// #     use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// #     let mut stream = tokio::net::TcpStream::connect(addr).await?;
    /// #     let head = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    /// #     stream.write_all(head.as_bytes()).await?;
    /// #     stream.read_to_end(&mut Vec::new()).await.map(drop)
    /// # }
    /// ```
    pub fn abandon_on(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.abandon = Some(Box::pin(signal));
        self
    }

    /// Sets the connection limits and timeouts; see [`Limits`] for each
    /// one and its default.
    ///
    /// ```no_run
    /// # use atode::{App, Limits};
    /// # use std::time::Duration;
    /// # #[tokio::main] async fn main() -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    /// let mut limits = Limits::default();
    /// limits.max_connections = 512;
    /// limits.header_read_timeout = Duration::from_secs(10);
    /// atode::serve(listener, App::new()).limits(limits).await
    /// # }
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The address the server listens on: the port the OS picked, when the
    /// listener was bound to port `0`.
    ///
    /// ```
    /// # use atode::App;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = atode::serve(listener, App::new());
    /// let addr = server.local_addr()?;
    /// assert!(addr.ip().is_loopback());
    /// assert_ne!(addr.port(), 0);
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            app,
            signal,
            abandon,
            deadline,
            limits,
            started,
        } = self;
        let app = if started { app } else { start(&app).await? };
        // This server's life, apart from any other server of the app (or
        // any it had before): its requests' tasks, event streams and
        // sockets are what its shutdown drains, and all it abandons. The
        // requests reach it through the copy of the app served here.
        let lifecycle = Lifecycle::default();
        let app = app.with_lifecycle(lifecycle.clone());
        // The durable queue's workers run while the app serves.
        #[cfg(feature = "durable")]
        let durable = app.shared().runner.durable_queue();
        #[cfg(feature = "durable")]
        if let Some(queue) = &durable {
            if let Err(error) = queue.start_workers() {
                let _ = app.shut_down(None).await;
                return Err(io::Error::other(error));
            }
        }
        let signal = signal.unwrap_or_else(|| Box::pin(std::future::pending()));
        let served = accept_until(signal, &listener, &app, &limits).await;
        drop(listener);
        tracing::info!(target: "atode::serve", "shutting down: finishing in-flight responses and background tasks");
        let stop_by = drain(&lifecycle, &served, &limits, deadline, abandon).await;
        // Durable workers stop after the in-process tasks: a late one may
        // still have written a call, and a call they do not finish is
        // released for another worker, not lost.
        #[cfg(feature = "durable")]
        if let Some(queue) = durable {
            let left = stop_by
                .map(|stop_by| stop_by.saturating_duration_since(tokio::time::Instant::now()));
            queue.stop(left).await;
        }
        // Shutdown hooks run last: they close what tasks and workers use.
        // Each failure is logged there; the server's shutdown still succeeds.
        let _ = app.shut_down(stop_by).await;
        lifecycle.stop();
        Ok(())
    }
}

/// Accepts and serves connections until `signal`; returns the server's
/// connections, for the shutdown to reach.
async fn accept_until(
    mut signal: Pin<Box<dyn Future<Output = ()> + Send>>,
    listener: &TcpListener,
    app: &App,
    limits: &Limits,
) -> Connections {
    let (builder, served) = limits.builder();
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        // At the connection limit, new connections wait in the kernel's
        // backlog rather than being accepted and starved.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut signal => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut signal => break,
        };
        match accepted {
            Ok((stream, remote)) => {
                // Responses are written whole; Nagle would only delay them.
                let _ = stream.set_nodelay(true);
                #[cfg(feature = "ws")]
                let permit = crate::ws::ConnectionPlace::new(permit);
                let head = served.watch();
                let service = ConnectionService {
                    routes: app.service().clone(),
                    remote,
                    head: head.clone(),
                    #[cfg(feature = "ws")]
                    place: permit.clone(),
                    #[cfg(feature = "metrics")]
                    metrics: app.shared().metrics.clone(),
                };
                // With upgrades: a WebSocket handshake hands its
                // connection over (`atode::ws`); other requests are
                // served exactly as without.
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                tokio::spawn(served.task(connection, permit, remote, head));
            }
            Err(error) => accept_failed(error).await,
        }
    }
    served
}

/// The graceful shutdown of what this server served: in-flight responses,
/// WebSockets and background tasks, until they are done, the deadline
/// passes or `abandon` says to give up. Returns by when what follows
/// (durable workers, shutdown hooks) must be done, if anything bounds it.
async fn drain(
    lifecycle: &Lifecycle,
    served: &Connections,
    #[cfg_attr(not(feature = "ws"), allow(unused_variables))] limits: &Limits,
    deadline: Option<Duration>,
    abandon: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
) -> Option<tokio::time::Instant> {
    // Streams that would never end (server-sent events) end now, so
    // their responses complete and their tasks start; WebSockets are
    // told to close; tasks added to a list whose batches have ended are
    // refused from now on.
    lifecycle.begin_drain();
    let stop_by = deadline.map(|deadline| {
        (
            deadline,
            crate::time::after_tokio(tokio::time::Instant::now(), deadline),
        )
    });
    // Upgraded WebSockets left hyper's graceful shutdown: they are told
    // to close alongside it, within their own bound.
    #[cfg(feature = "ws")]
    let sessions = lifecycle.sessions();
    #[cfg(feature = "ws")]
    let sessions_by = {
        let by =
            crate::time::after_tokio(tokio::time::Instant::now(), limits.websocket_close_timeout);
        stop_by.map_or(by, |(_, stop_by)| by.min(stop_by))
    };
    let drain = async {
        #[cfg(feature = "ws")]
        {
            let (dropped, ()) = tokio::join!(sessions.close_all(sessions_by), served.shut_down());
            // A handshake answered during the shutdown joined after the
            // call above began.
            let dropped = dropped + sessions.close_all(sessions_by).await;
            if dropped > 0 {
                tracing::warn!(
                    target: "atode::serve",
                    dropped,
                    "{dropped} WebSocket(s) did not close within {:?} of being told to; dropped",
                    limits.websocket_close_timeout
                );
            }
        }
        #[cfg(not(feature = "ws"))]
        served.shut_down().await;
        // Every response is out, so every request's tasks are handed
        // over: this server's batches running finish.
        lifecycle.wait_idle().await;
    };
    let deadline_passed = async {
        match stop_by {
            Some((_, stop_by)) => tokio::time::sleep_until(stop_by).await,
            None => std::future::pending().await,
        }
    };
    let told_to_abandon = async {
        match abandon {
            Some(signal) => signal.await,
            None => std::future::pending().await,
        }
    };
    // Why the drain was given up on, if it was, and whether the user
    // said so (then what follows gets no time at all).
    let gave_up = tokio::select! {
        () = drain => None,
        () = deadline_passed => Some((
            format!(
                "shutdown deadline of {:?} passed",
                stop_by.map(|(deadline, _)| deadline).unwrap_or_default()
            ),
            false,
        )),
        () = told_to_abandon => Some(("told to abandon the shutdown".to_owned(), true)),
    };
    let mut stop_by = stop_by.map(|(_, stop_by)| stop_by);
    if let Some((why, told)) = gave_up {
        if told {
            // Durable workers and shutdown hooks get no more time.
            stop_by = Some(tokio::time::Instant::now());
        }
        abandon_what_is_left(lifecycle, &why);
    }
    stop_by
}

/// Gives up on the drain, for `why`: no task of this server starts from now
/// on, its sockets are dropped, and what it abandons is counted in the log.
fn abandon_what_is_left(lifecycle: &Lifecycle, why: &str) {
    // No task starts from now on; a regular `fn` still running is
    // on a thread of the app's own, which does not hold the
    // process once `main` returns.
    #[cfg(feature = "ws")]
    lifecycle.sessions().abort();
    let abandoned = lifecycle.abandon();
    tracing::warn!(
        target: "atode::serve",
        abandoned,
        "{why}; {abandoned} background task(s) abandoned"
    );
    // An abandoned task running on a thread of its own never
    // drops its uploads: their temporary files go now.
    #[cfg(feature = "multipart")]
    {
        let removed = lifecycle.uploads().remove_left_over();
        if removed > 0 {
            tracing::warn!(
                target: "atode::serve",
                removed,
                "{removed} uploaded file(s) of abandoned tasks deleted"
            );
        }
    }
}

/// An accept error is about one connection (reset before accept) or about
/// the process (out of file descriptors); in the second case, pausing lets
/// connections close before trying again instead of spinning.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::*;
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) {
        return;
    }
    tracing::error!(target: "atode::serve", %error, "accept failed; retrying shortly");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
