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
