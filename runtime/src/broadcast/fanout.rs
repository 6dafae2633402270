//! The process's side of every topic: one bounded tokio broadcast channel
//! per topic with subscribers here, fed by the backend's one connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use super::envelope::Delivery;

pub(crate) type Receiver = broadcast::Receiver<Arc<Delivery>>;

/// The topics this process listens to, each with its channel. A channel
/// holds at most `capacity` messages, whatever its subscribers do: one
/// that falls further behind loses the oldest and is told how many.
#[derive(Debug)]
pub(crate) struct Fanout {
    topics: Mutex<HashMap<String, broadcast::Sender<Arc<Delivery>>>>,
    capacity: usize,
}

impl Fanout {
    pub(crate) fn new(capacity: usize) -> Self {
        Fanout {
            topics: Mutex::default(),
            capacity,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// A receiver of `topic`'s messages from now on.
    pub(crate) fn subscribe(&self, topic: &str) -> Receiver {
        let mut topics = self.lock();
        match topics.get(topic) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = broadcast::channel(self.capacity);
                topics.insert(topic.to_owned(), sender);
                receiver
            }
        }
    }

    /// Drops `held` (what holds a subscriber's receiver), and the topic
    /// with it if that was the last receiver: whether the process should
    /// stop listening to `topic`. Under the lock, so a subscriber arriving
    /// at the same time either keeps the topic or makes it anew.
    pub(crate) fn release<H>(&self, topic: &str, held: H) -> bool {
        let mut topics = self.lock();
        drop(held);
        let unused = topics
            .get(topic)
            .is_some_and(|sender| sender.receiver_count() == 0);
        if unused {
            topics.remove(topic);
        }
        unused
    }

    /// Whether someone in this process listens to `topic`.
    #[cfg_attr(
        not(any(feature = "broadcast-postgres", feature = "broadcast-redis")),
        allow(dead_code)
    )]
    pub(crate) fn has(&self, topic: &str) -> bool {
        self.lock().contains_key(topic)
    }

    /// Every topic listened to, for a new backend connection to listen to.
    #[cfg_attr(
        not(any(feature = "broadcast-postgres", feature = "broadcast-redis")),
        allow(dead_code)
    )]
    pub(crate) fn topics(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// How many messages `topic`'s channel holds in memory now: at most
    /// its capacity, whatever its subscribers do.
    pub(crate) fn held(&self, topic: &str) -> usize {
        self.lock().get(topic).map_or(0, broadcast::Sender::len)
    }

    /// Hands `delivery` to `topic`'s subscribers here, if any. Never waits:
    /// a full channel drops its oldest message for the slowest subscriber.
    pub(crate) fn deliver(&self, topic: &str, delivery: Arc<Delivery>) {
        if let Some(sender) = self.lock().get(topic) {
            // No receiver left (one being released) is no error.
            let _ = sender.send(delivery);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<Arc<Delivery>>>> {
        // Each critical section leaves the map whole: a panic elsewhere
        // is no reason to stop delivering.
        self.topics
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
