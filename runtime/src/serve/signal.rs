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
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(target: "atode::serve", %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(error) => {
                tracing::error!(target: "atode::serve", %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(target: "atode::serve", "shutdown signal received");
}
