//! A TCP proxy in front of a server (PostgreSQL, Redis), so a test can cut
//! a client's connections (and refuse new ones), or stall them, without
//! touching the shared server.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

/// A TCP proxy in front of the database, so a test can cut a worker's
/// connections (and refuse new ones), or stall them, without touching the
/// shared server.
pub struct Proxy {
    pub addr: SocketAddr,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
    stall: std::sync::Arc<Stall>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stall = std::sync::Arc::new(Stall::default());
        let accept = tokio::spawn({
            let cut = std::sync::Arc::clone(&cut);
            let connections = std::sync::Arc::clone(&connections);
            let stall = std::sync::Arc::clone(&stall);
            async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let upstream = upstream.clone();
                    let stall = std::sync::Arc::clone(&stall);
                    let task = tokio::spawn(async move {
                        if let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await {
                            let (from_client, to_client) = inbound.into_split();
                            let (from_server, to_server) = outbound.into_split();
                            tokio::join!(
                                pass(from_client, to_server, &stall, true),
                                pass(from_server, to_client, &stall, false),
                            );
                        }
                    });
                    connections.lock().unwrap().push(task.abort_handle());
                }
            }
        });
        Proxy {
            addr,
            cut,
            connections,
            accept,
            stall,
        }
    }

    /// Stalls every connection through the proxy once a client sends
    /// `needle` (one of its statements): that chunk still reaches the
    /// server, then nothing more passes either way, not even a close, and
    /// the connections stay open: the database and its client each wait
    /// on the other, as over a network that went silent. New connections
    /// are held the same way. [`restore`](Self::restore) lets it all through.
    pub fn stall_when_sent(&self, needle: &str) {
        *self.stall.needle.lock().unwrap() = Some(needle.as_bytes().to_vec());
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.stall.needle.lock().unwrap().take();
        self.stall.stalled.send_replace(false);
    }

    /// Whether a stall armed by [`stall_when_sent`](Self::stall_when_sent)
    /// has begun.
    pub fn stalled(&self) -> bool {
        *self.stall.stalled.borrow()
    }
}

/// What [`Proxy::stall_when_sent`] armed, and whether the stall began.
struct Stall {
    needle: std::sync::Mutex<Option<Vec<u8>>>,
    stalled: tokio::sync::watch::Sender<bool>,
}

impl Default for Stall {
    fn default() -> Self {
        Stall {
            needle: std::sync::Mutex::new(None),
            stalled: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl Stall {
    /// Whether `chunk` (following `tail`, the end of the chunk before it)
    /// holds the armed needle: then the stall begins, once.
    fn trips(&self, tail: &[u8], chunk: &[u8]) -> bool {
        let mut needle = self.needle.lock().unwrap();
        let Some(wanted) = needle.as_deref() else {
            return false;
        };
        let seen = [tail, chunk].concat();
        if !seen.windows(wanted.len()).any(|window| window == wanted) {
            return false;
        }
        needle.take();
        self.stalled.send_replace(true);
        true
    }
}

/// Passes bytes one way until end of stream, holding them while the proxy
/// is stalled; `watch` for the client's side, where the needle is looked for.
async fn pass(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stall: &Stall,
    watch: bool,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stalled = stall.stalled.subscribe();
    let mut buffer = vec![0; 16 * 1024];
    let mut tail = Vec::new();
    loop {
        let read = from.read(&mut buffer).await.unwrap_or(0);
        let chunk = &buffer[..read];
        // The chunk that trips the stall still passes; nothing after it.
        if !(watch && stall.trips(&tail, chunk)) {
            let _ = stalled.wait_for(|stalled| !stalled).await;
        }
        if read == 0 {
            let _ = to.shutdown().await;
            return;
        }
        if to.write_all(chunk).await.is_err() {
            return;
        }
        tail = chunk[chunk.len().saturating_sub(64)..].to_vec();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// The `host:port` of a `postgres://` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// `url` pointing at `addr` instead of its own host and port.
pub fn through(url: &str, addr: SocketAddr) -> String {
    url.replacen(&host_port(url), &addr.to_string(), 1)
}
