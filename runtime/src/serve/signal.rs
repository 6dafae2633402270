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
    let listeners = {
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
    };
    async move {
        #[cfg(unix)]
        {
            let (interrupt, terminate) = listeners;
            tokio::select! {
                () = wait_for(interrupt) => {},
                () = wait_for(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(target: "atode::serve", %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!(target: "atode::serve", "shutdown signal received");
    }
}

/// Waits for the signal, or forever if it cannot be listened for.
#[cfg(unix)]
async fn wait_for(listener: Result<tokio::signal::unix::Signal, (&'static str, std::io::Error)>) {
    match listener {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err((name, error)) => {
            tracing::error!(target: "atode::serve", %error, "cannot listen for {name}");
            std::future::pending::<()>().await;
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
        let listeners = {
            use tokio::signal::unix::{SignalKind, signal};
            (
                signal(SignalKind::interrupt()).map_err(|error| ("Ctrl-C", error)),
                signal(SignalKind::terminate()).map_err(|error| ("SIGTERM", error)),
            )
        };
        tokio::spawn(async move {
            #[cfg(unix)]
            let (mut interrupt, mut terminate) = listeners;
            loop {
                #[cfg(unix)]
                tokio::select! {
                    () = next(&mut interrupt) => {},
                    () = next(&mut terminate) => {},
                }
                #[cfg(not(unix))]
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
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

/// The next signal of a listener, or never if it could not be installed
/// (logged once, when first waited on).
#[cfg(unix)]
async fn next(listener: &mut Result<tokio::signal::unix::Signal, (&'static str, std::io::Error)>) {
    match listener {
        Ok(signal) => {
            if signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        Err((name, error)) => {
            tracing::error!(target: "atode::serve", %error, "cannot listen for {name}");
            std::future::pending::<()>().await;
        }
    }
}
