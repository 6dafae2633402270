//! The one task per process that holds the backend's listening connection:
//! it listens to every topic subscribers here want, hands what arrives to
//! the fan-out, and on a lost connection reconnects and listens to them all
//! again, so that subscriptions outlive the connection they began on.

use std::collections::HashSet;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::fanout::Fanout;
use super::{backend, envelope};
use crate::BoxError;

/// The first wait before reconnecting; doubled after each failure.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long one attempt to connect and listen may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the handles ask of the listening connection.
#[derive(Debug)]
pub(crate) enum Command {
    /// Listen to `topic`; `ready` is answered once the backend does.
    Listen {
        topic: String,
        ready: oneshot::Sender<()>,
    },
    /// Stop listening to `topic`, unless it has subscribers again.
    Unlisten { topic: String },
}

/// The task's state between connections.
pub(crate) struct Listener {
    pub(crate) connector: backend::Connector,
    pub(crate) fanout: Arc<Fanout>,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    /// Whether every topic subscribed here is listened to on a live
    /// connection ([`Broadcast::listening`](super::Broadcast::listening)).
    pub(crate) listening: watch::Sender<bool>,
    /// Subscribers waiting for their topic to be listened to, answered
    /// once a connection listens to every topic.
    waiting: Vec<oneshot::Sender<()>>,
}

impl Listener {
    pub(crate) fn new(
        connector: backend::Connector,
        fanout: Arc<Fanout>,
        commands: mpsc::UnboundedReceiver<Command>,
        listening: watch::Sender<bool>,
    ) -> Self {
        Listener {
            connector,
            fanout,
            commands,
            listening,
            waiting: Vec::new(),
        }
    }

    /// Runs until every [`Broadcast`](super::Broadcast) handle and
    /// subscription is gone, starting on `first`, the connection
    /// `connect` made so that a wrong URL fails there.
    pub(crate) async fn run(mut self, first: backend::Connection) {
        let mut connection = Some((first, HashSet::new()));
        loop {
            let Some((current, listened)) = connection.take() else {
                match self.reconnect().await {
                    Some(current) => connection = Some(current),
                    None => return,
                }
                continue;
            };
            if self.serve(current, listened).await.is_break() {
                return;
            }
            self.listening.send_replace(false);
            tracing::warn!(
                target: "atode::broadcast",
                "lost the broadcast backend's connection: reconnecting (messages published meanwhile are not delivered here)"
            );
        }
    }

    /// Connects again, with a growing wait between attempts, and listens to
    /// every topic subscribed meanwhile (returned with the connection);
    /// `None` once no handle is left.
    async fn reconnect(&mut self) -> Option<(backend::Connection, HashSet<String>)> {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let attempt = tokio::time::timeout(CONNECT_TIMEOUT, async {
                let mut connection = self.connector.connect().await?;
                let topics = self.fanout.topics();
                connection.listen(&topics).await?;
                Ok::<_, BoxError>((connection, topics.into_iter().collect()))
            });
            match attempt.await {
                Ok(Ok(connection)) => return Some(connection),
                Ok(Err(error)) => tracing::warn!(
                    target: "atode::broadcast",
                    %error,
                    "cannot reconnect to the broadcast backend yet; retrying in {backoff:?}"
                ),
                Err(_) => tracing::warn!(
                    target: "atode::broadcast",
                    "connecting to the broadcast backend took over {CONNECT_TIMEOUT:?}; retrying"
                ),
            }
            let mut wait = pin!(tokio::time::sleep(backoff));
            loop {
                tokio::select! {
                    () = &mut wait => break,
                    command = self.commands.recv() => match command {
                        None => return None,
                        // The topic is in the fan-out already: the next
                        // connection listens to it with the rest.
                        Some(Command::Listen { ready, .. }) => self.waiting.push(ready),
                        Some(Command::Unlisten { .. }) => {}
                    },
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Serves one connection, already listening to `listened`, until it
    /// is lost (`Continue`) or no handle is left (`Break`). A topic
    /// subscribed since has its `Listen` command queued, handled here.
    async fn serve(
        &mut self,
        mut connection: backend::Connection,
        mut listened: HashSet<String>,
    ) -> std::ops::ControlFlow<()> {
        use std::ops::ControlFlow::{Break, Continue};
        self.listening.send_replace(true);
        for ready in self.waiting.drain(..) {
            let _ = ready.send(());
        }
        loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    None => return Break(()),
                    Some(Command::Listen { topic, ready }) => {
                        if !listened.contains(&topic) {
                            if let Err(error) = connection.listen(std::slice::from_ref(&topic)).await {
                                tracing::warn!(target: "atode::broadcast", %error, topic, "cannot listen");
                                self.waiting.push(ready);
                                return Continue(());
                            }
                            listened.insert(topic);
                        }
                        let _ = ready.send(());
                    }
                    Some(Command::Unlisten { topic }) => {
                        // Subscribed again since: keep listening.
                        if !self.fanout.has(&topic) && listened.remove(&topic) {
                            if let Err(error) = connection.unlisten(&topic).await {
                                tracing::warn!(target: "atode::broadcast", %error, topic, "cannot unlisten");
                                return Continue(());
                            }
                        }
                    }
                },
                payload = connection.next() => match payload {
                    Some(payload) => self.deliver(&payload),
                    None => return Continue(()),
                },
            }
        }
    }

    fn deliver(&self, payload: &str) {
        match envelope::decode(payload) {
            Some((topic, delivery)) => self.fanout.deliver(&topic, delivery),
            None => tracing::debug!(
                target: "atode::broadcast",
                len = payload.len(),
                "ignored a payload that is not an atode broadcast message"
            ),
        }
    }
}
