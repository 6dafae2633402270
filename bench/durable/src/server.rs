//! An atode server on a loopback port of this process, stopped on demand.

use std::future::IntoFuture;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use atode::App;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Server {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    running: JoinHandle<io::Result<()>>,
}

/// Serves `app` on 127.0.0.1; its durable workers, if any, start with it.
pub async fn start(app: App) -> io::Result<Server> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = atode::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .shutdown_deadline(Duration::from_secs(10));
    let addr = server.local_addr()?;
    let running = tokio::spawn(server.into_future());
    Ok(Server {
        addr,
        stop,
        running,
    })
}

impl Server {
    /// Stops accepting, lets tasks finish, stops the durable workers.
    pub async fn stop(self) -> io::Result<()> {
        let _ = self.stop.send(());
        self.running.await.map_err(io::Error::other)?
    }
}
