//! Live updates for the dashboard: watch events and source state changes are collected, and at most
//! a few times a second one notice naming what changed goes to every open page over server-sent
//! events. Pages then fetch what they show; a notice carries no objects, so a slow page never holds
//! up the others and a missed notice only delays a refresh.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::{Notify, broadcast};

use super::dashboard::Dashboard;

/// How often notices go out at most: four a second keeps pages current without redrawing on every
/// one of a rollout step's dozen writes.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// What changed since the last notice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub seq: u64,
    /// A source's sync state changed.
    pub sources: bool,
    /// `namespace/name` of each Rollout whose objects changed.
    pub rollouts: Vec<String>,
}

#[derive(Default)]
struct Pending {
    rollouts: BTreeSet<String>,
    sources: bool,
    seq: u64,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.rollouts.is_empty() && !self.sources
    }

    fn take(&mut self) -> Notice {
        self.seq += 1;
        Notice {
            seq: self.seq,
            sources: std::mem::take(&mut self.sources),
            rollouts: std::mem::take(&mut self.rollouts).into_iter().collect(),
        }
    }
}

/// The collector: watches report into it, the debouncer empties it.
pub struct Changes {
    pending: Mutex<Pending>,
    notify: Notify,
    tx: broadcast::Sender<Notice>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            pending: Mutex::default(),
            notify: Notify::new(),
            tx: broadcast::channel(16).0,
        }
    }
}

impl Changes {
    pub fn rollout(&self, namespace: &str, name: &str) {
        if let Ok(mut p) = self.pending.lock() {
            p.rollouts.insert(format!("{namespace}/{name}"));
        }
        self.notify.notify_one();
    }

    pub fn sources(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.sources = true;
        }
        self.notify.notify_one();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }

    /// The next notice: waits for a change, lets more arrive for `period`, sends what gathered.
    async fn next(&self, period: Duration) -> Option<Notice> {
        self.notify.notified().await;
        tokio::time::sleep(period).await;
        let mut p = self.pending.lock().ok()?;
        (!p.is_empty()).then(|| p.take())
    }

    /// Sends notices until the task is aborted.
    pub async fn run(self: Arc<Self>, period: Duration) {
        loop {
            if let Some(notice) = self.next(period).await {
                // No page listening is fine.
                let _ = self.tx.send(notice);
            }
        }
    }
}

/// `GET /api/v1/events`: `event: change` with a [`Notice`] as data; a comment every 15s keeps
/// proxies from closing the stream. A page that fell behind gets `event: resync` (fetch everything).
pub async fn events(
    State(d): State<Arc<Dashboard>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    d.live().await;
    let rx = d.changes.subscribe();
    let hello = futures::stream::once(async { Ok(Event::default().event("hello").data("{}")) });
    let notices = tokio_stream::wrappers::BroadcastStream::new(rx).map(|item| {
        Ok(match item {
            Ok(notice) => Event::default()
                .event("change")
                .json_data(&notice)
                .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
            Err(_) => Event::default().event("resync").data("{}"),
        })
    });
    Sse::new(hello.chain(notices)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn changes_within_a_period_make_one_notice() {
        let changes = Arc::new(Changes::default());
        let mut rx = changes.subscribe();
        let task = tokio::spawn(changes.clone().run(DEBOUNCE));
        tokio::task::yield_now().await;
        changes.rollout("default", "b");
        changes.rollout("default", "a");
        changes.rollout("default", "b");
        tokio::time::sleep(Duration::from_millis(100)).await;
        changes.sources();
        let first = rx.recv().await.expect("a notice");
        assert_eq!(
            first,
            Notice {
                seq: 1,
                sources: true,
                rollouts: vec!["default/a".into(), "default/b".into()]
            }
        );
        let started = tokio::time::Instant::now();
        changes.rollout("apps", "c");
        let second = rx.recv().await.expect("a second notice");
        assert_eq!((second.seq, second.sources), (2, false));
        assert_eq!(second.rollouts, ["apps/c"]);
        assert!(started.elapsed() >= DEBOUNCE, "{:?}", started.elapsed());
        task.abort();
    }
}
