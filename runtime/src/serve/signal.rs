//! The shutdown signal: Ctrl-C, or SIGTERM where there is one.

/// Completes on Ctrl-C, or on SIGTERM where there is one: the signal
/// [`run`](crate::run) shuts down on, for a server set up with
/// [`serve`](crate::serve).
///
/// ```no_run
/// # use atode::App;
/// # use std::time::Duration;
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// atode::serve(listener, App::new())
///     .with_graceful_shutdown(atode::shutdown_signal())
///     .shutdown_deadline(Duration::from_secs(30))
///     .await
/// # }
/// ```
///
/// The signal handlers are installed when this is called, not when the
/// future is first polled: a SIGTERM that arrives between the two (while
/// start-up hooks run, say) still shuts the server down gracefully rather
/// than killing the process. Call it inside the Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = listeners();
    async move {
        #[cfg(unix)]
        tokio::select! {
            _ = next(&mut interrupt) => {},
            _ = next(&mut terminate) => {},
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(target: "atode::serve", %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!(target: "atode::serve", "shutdown signal received");
    }
}

/// A signal's listener, or why it could not be installed.
#[cfg(unix)]
type Listener = Result<tokio::signal::unix::Signal, (&'static str, std::io::Error)>;

/// Ctrl-C's and SIGTERM's listeners, installed now (outside a Tokio
/// runtime, none can be: each is then an error, logged when waited on).
#[cfg(unix)]
fn listeners() -> (Listener, Listener) {
    use tokio::signal::unix::{SignalKind, signal};
    let in_runtime = tokio::runtime::Handle::try_current().is_ok();
    let listen = |kind: SignalKind, name: &'static str| {
        let listener = if in_runtime {
            signal(kind)
        } else {
            Err(std::io::Error::other("not inside a Tokio runtime"))
        };
        listener.map_err(|error| (name, error))
    };
    (
        listen(SignalKind::interrupt(), "Ctrl-C"),
        listen(SignalKind::terminate(), "SIGTERM"),
    )
}

/// Waits for the listener's next signal: `true`, or `false` once no more
/// can come (the runtime's signal driver is gone). A listener that could
/// not be installed never completes.
#[cfg(unix)]
async fn next(listener: &mut Listener) -> bool {
    match listener {
        Ok(signal) => signal.recv().await.is_some(),
        Err((name, error)) => {
            tracing::error!(target: "atode::serve", %error, "cannot listen for {name}");
            std::future::pending().await
        }
    }
}

/// Ctrl-C and SIGTERM, counted: the first starts the graceful shutdown,
/// the second abandons what is left of it at once (uvicorn's behaviour), so
/// a server stuck without a deadline can still be stopped without SIGKILL.
pub(crate) struct Signals(tokio::sync::watch::Receiver<u32>);

impl Signals {
    /// Listens from now on; call it inside the Tokio runtime.
    pub(crate) fn listen() -> Self {
        let (count, received) = tokio::sync::watch::channel(0u32);
        #[cfg(unix)]
        let (mut interrupt, mut terminate) = listeners();
        tokio::spawn(async move {
            loop {
                #[cfg(unix)]
                let more = tokio::select! {
                    more = next(&mut interrupt) => more,
                    more = next(&mut terminate) => more,
                };
                #[cfg(not(unix))]
                let more = tokio::signal::ctrl_c().await.is_ok();
                if !more {
                    // No signal can come any more; waiters wait on.
                    return;
                }
                count.send_modify(|count| *count += 1);
                match *count.borrow() {
                    1 => tracing::info!(target: "atode::serve", "shutdown signal received"),
                    _ => {
                        tracing::warn!(target: "atode::serve", "second shutdown signal received; abandoning what is left")
                    }
                }
            }
        });
        Signals(received)
    }

    /// Completes at the `n`th signal.
    pub(crate) fn nth(&self, n: u32) -> impl Future<Output = ()> + Send + 'static {
        let mut received = self.0.clone();
        async move {
            // An error means the listener task is gone (the runtime is
            // ending): nothing more will come.
            if received.wait_for(|count| *count >= n).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
