//! A work queue of rollouts to reconcile, each due at an instant; a key is held once (the earliest
//! due time wins), so a burst of watch events for one rollout costs one reconcile.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::time::Instant;

/// (namespace, name)
pub type Key = (String, String);

#[derive(Default)]
pub struct Queue {
    due: Mutex<BTreeMap<Key, Instant>>,
    notify: Notify,
}

impl Queue {
    /// Schedules `key` at `at` (or earlier, if it is already scheduled earlier).
    pub fn push(&self, key: Key, at: Instant) {
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        let entry = due.entry(key).or_insert(at);
        if at < *entry {
            *entry = at;
        }
        drop(due);
        self.notify.notify_one();
    }

    pub fn now(&self, key: Key) {
        self.push(key, Instant::now());
    }

    /// Waits for the next due key and takes it off the queue.
    pub async fn next(&self) -> Key {
        loop {
            let earliest = {
                let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
                let first = due
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(k, at)| (k.clone(), *at));
                match first {
                    Some((k, at)) if at <= Instant::now() => {
                        due.remove(&k);
                        return k;
                    }
                    other => other.map(|(_, at)| at),
                }
            };
            match earliest {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = self.notify.notified() => {}
                    }
                }
                None => self.notify.notified().await,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.due.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn k(n: &str) -> Key {
        ("ns".into(), n.into())
    }

    #[tokio::test(start_paused = true)]
    async fn earliest_first_and_deduplicated() {
        let q = Queue::default();
        let t = Instant::now();
        q.push(k("b"), t + Duration::from_secs(5));
        q.push(k("a"), t + Duration::from_secs(10));
        q.push(k("a"), t + Duration::from_secs(1));
        q.push(k("b"), t + Duration::from_secs(60));
        assert_eq!(q.len(), 2);
        assert_eq!(q.next().await, k("a"));
        assert_eq!(Instant::now() - t, Duration::from_secs(1));
        assert_eq!(q.next().await, k("b"));
        assert_eq!(Instant::now() - t, Duration::from_secs(5));
        assert!(q.is_empty());
    }
}
