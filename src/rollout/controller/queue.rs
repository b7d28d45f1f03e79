//! A work queue of rollouts to reconcile, each due at an instant; a key is held once (the earliest
//! due time wins), so a burst of watch events for one rollout costs one reconcile. Several workers
//! take keys at once, but never the same key twice: a key handed out is "running" until `done`,
//! and a push meanwhile waits for it (two reconciles of one rollout would race on its status).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::time::Instant;

/// (namespace, name)
pub type Key = (String, String);

#[derive(Default)]
pub struct Queue {
    state: Mutex<State>,
    notify: Notify,
}

#[derive(Default)]
struct State {
    due: BTreeMap<Key, Instant>,
    running: BTreeSet<Key>,
}

impl Queue {
    /// Schedules `key` at `at` (or earlier, if it is already scheduled earlier).
    pub fn push(&self, key: Key, at: Instant) {
        let mut st = self.lock();
        let entry = st.due.entry(key).or_insert(at);
        if at < *entry {
            *entry = at;
        }
        drop(st);
        self.notify.notify_waiters();
    }

    pub fn now(&self, key: Key) {
        self.push(key, Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the next due key that is not running, takes it off the queue and marks it
    /// running until `done`.
    pub async fn next(&self) -> Key {
        loop {
            // Registered before looking, so a push between the look and the wait is not missed.
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let earliest = {
                let mut st = self.lock();
                let first = st
                    .due
                    .iter()
                    .filter(|(k, _)| !st.running.contains(*k))
                    .min_by_key(|(_, at)| **at)
                    .map(|(k, at)| (k.clone(), *at));
                match first {
                    Some((k, at)) if at <= Instant::now() => {
                        st.due.remove(&k);
                        st.running.insert(k.clone());
                        return k;
                    }
                    other => other.map(|(_, at)| at),
                }
            };
            match earliest {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// Ends the run of a key handed out by `next`; a push made meanwhile becomes eligible.
    pub fn done(&self, key: &Key) {
        self.lock().running.remove(key);
        self.notify.notify_waiters();
    }

    pub fn len(&self) -> usize {
        self.lock().due.len()
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

    #[tokio::test(start_paused = true)]
    async fn a_running_key_waits_for_done() {
        let q = std::sync::Arc::new(Queue::default());
        let t = Instant::now();
        q.now(k("a"));
        assert_eq!(q.next().await, k("a"));
        q.now(k("a"));
        q.push(k("b"), t + Duration::from_secs(3));
        // "a" is due but running: "b" comes first, at its time.
        assert_eq!(q.next().await, k("b"));
        assert_eq!(Instant::now() - t, Duration::from_secs(3));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.next().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished());
        q.done(&k("a"));
        assert_eq!(waiter.await.unwrap(), k("a"));
        assert_eq!(Instant::now() - t, Duration::from_secs(4));
    }
}
