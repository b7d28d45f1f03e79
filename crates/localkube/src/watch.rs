//! Watches: ordered events from a resourceVersion on, resumable without gaps, 410 once compacted.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::ops::at_version;
use crate::resources::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{Event, EventType, Store};
use crate::table;

/// Everything a watch request asked for.
#[derive(Clone, Debug, Default)]
pub struct WatchParams {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub resource_version: Option<String>,
    pub send_initial_events: Option<bool>,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
    pub as_table: bool,
    pub drop_after: Option<u64>,
}

/// How often a watch that asked for bookmarks gets one.
const BOOKMARK_EVERY: Duration = Duration::from_secs(5);
/// Longest a watch stays open without a timeout of its own (the real server picks 30–60 min).
const MAX_WATCH: Duration = Duration::from_secs(1800);

enum Start {
    /// Replay these (already filtered) objects as ADDED, then go live.
    Initial(Vec<Arc<Value>>, u64),
    /// Replay these events from the log, then go live.
    Resume(Vec<Arc<Event>>),
    Gone(u64, u64),
}

struct Watcher {
    rt: Arc<ResourceType>,
    version: String,
    params: WatchParams,
}

impl Watcher {
    fn selects(&self, obj: &Value) -> bool {
        self.params.labels.matches_object(obj)
            && (self.params.fields.is_empty() || self.params.fields.matches(obj))
    }

    /// The event type this watcher sees, taking selectors into account ("left the selection" is a
    /// DELETED, "entered" an ADDED), or `None` when the event is not for it.
    fn view(&self, e: &Event) -> Option<EventType> {
        if e.gr != self.rt.group_resource() {
            return None;
        }
        if let Some(ns) = &self.params.namespace
            && &e.namespace != ns
        {
            return None;
        }
        let now = self.selects(&e.object);
        let before = e.prev.as_ref().is_some_and(|p| self.selects(p));
        match (e.kind, before, now) {
            (EventType::Deleted, _, true) => Some(EventType::Deleted),
            (EventType::Deleted, _, false) => None,
            (EventType::Added, _, true) => Some(EventType::Added),
            (EventType::Modified, true, true) => Some(EventType::Modified),
            (EventType::Modified, false, true) => Some(EventType::Added),
            (EventType::Modified, true, false) => Some(EventType::Deleted),
            _ => None,
        }
    }

    fn encode(&self, e: &Event, kind: EventType) -> Bytes {
        if !self.params.as_table && kind == e.kind && self.version == self.rt.storage_version() {
            return e.shared_encoding();
        }
        e.encoded(kind, &self.render(&e.object))
    }

    fn render(&self, obj: &Value) -> Value {
        let obj = at_version(&self.rt, &self.version, obj);
        if self.params.as_table {
            table::table(&self.rt, &[obj], false)
        } else {
            obj
        }
    }

    fn line(&self, kind: &str, object: &Value) -> Bytes {
        let mut buf =
            serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
        buf.push(b'\n');
        Bytes::from(buf)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(&self.version), "metadata": meta});
        self.line("BOOKMARK", &obj)
    }
}

/// Starts a watch; the returned channel yields newline-delimited JSON events until the watch ends.
pub fn start(
    store: &Arc<Store>,
    rt: Arc<ResourceType>,
    version: &str,
    params: WatchParams,
) -> mpsc::Receiver<Bytes> {
    let watcher = Watcher {
        rt,
        version: version.to_string(),
        params,
    };
    let (rx, start) = {
        let st = store.lock();
        let rx = store.subscribe();
        let rv_param = watcher.params.resource_version.clone().unwrap_or_default();
        let initial_wanted = watcher
            .params
            .send_initial_events
            .unwrap_or(rv_param.is_empty() || rv_param == "0");
        let start = if initial_wanted {
            let objs = st
                .list(
                    &watcher.rt.group_resource(),
                    watcher.params.namespace.as_deref(),
                )
                .into_iter()
                .map(|(_, o)| o)
                .filter(|o| watcher.selects(o))
                .collect();
            Start::Initial(objs, st.rv())
        } else {
            let from: u64 = rv_param.parse().unwrap_or(0);
            match st.events_since(from) {
                Some(events) => Start::Resume(events),
                None => Start::Gone(from, st.compacted_rv()),
            }
        };
        (rx, start)
    };
    let (tx, out) = mpsc::channel(256);
    tokio::spawn(run(watcher, start, rx, tx));
    out
}

async fn run(
    w: Watcher,
    start: Start,
    mut rx: broadcast::Receiver<Arc<Event>>,
    tx: mpsc::Sender<Bytes>,
) {
    let mut sent: u64 = 0;
    let mut last_rv: u64 = 0;
    let drop_after = w.params.drop_after;
    let over = |sent: u64| drop_after.is_some_and(|n| sent >= n);
    if over(sent) {
        return;
    }
    match start {
        Start::Gone(asked, oldest) => {
            let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {asked} ({oldest})"), "reason": "Expired", "code": 410});
            let _ = tx.send(w.line("ERROR", &status)).await;
            return;
        }
        Start::Initial(objs, rv) => {
            last_rv = rv;
            for o in objs {
                if tx.send(w.line("ADDED", &w.render(&o))).await.is_err() {
                    return;
                }
                sent += 1;
                if over(sent) {
                    return;
                }
            }
            if w.params.send_initial_events == Some(true)
                && w.params.bookmarks
                && tx.send(w.bookmark(rv, true)).await.is_err()
            {
                return;
            }
        }
        Start::Resume(events) => {
            for e in events {
                last_rv = e.rv;
                if let Some(kind) = w.view(&e) {
                    if tx.send(w.encode(&e, kind)).await.is_err() {
                        return;
                    }
                    sent += 1;
                    if over(sent) {
                        return;
                    }
                }
            }
        }
    }
    let deadline = tokio::time::sleep(w.params.timeout.unwrap_or(MAX_WATCH).min(MAX_WATCH));
    tokio::pin!(deadline);
    let mut bookmarks = tokio::time::interval(BOOKMARK_EVERY);
    bookmarks.tick().await;
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            _ = bookmarks.tick(), if w.params.bookmarks => {
                if last_rv > 0 && tx.send(w.bookmark(last_rv, false)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
            ev = rx.recv() => match ev {
                Ok(e) => {
                    if e.rv <= last_rv {
                        continue;
                    }
                    last_rv = e.rv;
                    if let Some(kind) = w.view(&e) {
                        if tx.send(w.encode(&e, kind)).await.is_err() {
                            return;
                        }
                        sent += 1;
                        if over(sent) {
                            return;
                        }
                    }
                }
                // A watcher too slow for the broadcast is closed; the client resumes from its last
                // resourceVersion and the event log fills the gap.
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
