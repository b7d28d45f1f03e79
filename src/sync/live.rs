//! What the cluster holds of the objects a source applied: one watch per kind, filtered by the source
//! label. It answers "what is live" without a request per object, and reports changes made by others
//! so drift is repaired within a second. Each kind is watched on the server that holds its group.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use serde_json::Value;
use tokio::sync::{Notify, watch};

use super::kinds::Kind;
use super::normalize::is_subset;
use super::ownership::Managed;
use super::plan::Desired;
use super::plan::SOURCE_LABEL;

/// Identity without version: (group, kind, namespace, name).
pub type Id = (String, String, Option<String>, String);

/// Per object: the desired object (unmasked, as compact JSON) and its namespace; plus the
/// rollout-owned fields. Kept as text because it is held between passes for every object a source
/// applies, and a parsed object costs many times its text; an event parses the one it concerns.
type Expected = (HashMap<Id, (Box<str>, String)>, Managed);

#[derive(Default)]
struct Shared {
    /// As compact JSON text without managedFields (never compared, and often half the bytes): held
    /// for every object a source applies, where a parsed object costs many times its text. A pass
    /// parses what it compares; a watch event is judged on the object it brought.
    objects: RwLock<BTreeMap<Id, Arc<str>>>,
    /// resourceVersions this process wrote itself; their watch events are not drift.
    own_writes: Mutex<HashSet<String>>,
    /// What the last pass wanted of each object (unmasked, with its namespace) and which fields the
    /// rollout controller owns: an event is drift only if the object no longer satisfies it, so the
    /// controller's weight and status writes never cost a sync pass.
    expected: Mutex<Expected>,
    /// Set by drift or a relist; cleared when a pass starts.
    dirty: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn drifted(&self, id: &Id, live: Option<&Value>) -> bool {
        let expected = self.expected.lock().unwrap_or_else(|p| p.into_inner());
        let Some((desired, ns)) = expected.0.get(id) else {
            return true;
        };
        let Some(live) = live else { return true };
        let Ok(desired) = serde_json::from_str::<Value>(desired) else {
            return true;
        };
        let (masked, _) = expected.1.mask(ns, &desired, Some(live));
        !is_subset(&masked, live)
    }

    fn mark_dirty(&self, drift: &Notify) {
        self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
        drift.notify_one();
    }
}

pub struct LiveCache {
    clusters: crate::cluster::Clusters,
    source: String,
    shared: Arc<Shared>,
    /// Fired when an object changes for a reason other than our own write.
    pub drift: Arc<Notify>,
    watching: Mutex<HashMap<(String, String), watch::Receiver<bool>>>,
}

fn id_of(group: &str, kind: &str, meta: &kube::core::ObjectMeta) -> Option<Id> {
    Some((
        group.to_string(),
        kind.to_string(),
        meta.namespace.clone(),
        meta.name.clone()?,
    ))
}

impl LiveCache {
    pub fn new(clusters: crate::cluster::Clusters, source: &str) -> Self {
        LiveCache {
            clusters,
            source: source.to_string(),
            shared: Arc::new(Shared::default()),
            drift: Arc::new(Notify::new()),
            watching: Mutex::new(HashMap::new()),
        }
    }

    /// Starts watching a kind (once) and waits until its initial list is in.
    pub async fn ensure(&self, kind: &Kind) {
        let key = (kind.resource.group.clone(), kind.resource.kind.clone());
        let mut ready = {
            let mut w = self.watching.lock().unwrap_or_else(|p| p.into_inner());
            match w.get(&key) {
                Some(rx) => rx.clone(),
                None => {
                    let rx = self.spawn_watch(kind);
                    w.insert(key, rx.clone());
                    rx
                }
            }
        };
        let _ = ready.wait_for(|r| *r).await;
    }

    fn spawn_watch(&self, kind: &Kind) -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        let client = self.clusters.for_group(&kind.resource.group).clone();
        let server = self
            .clusters
            .name_of(&kind.resource.group)
            .unwrap_or_else(|| "API server".into());
        let api: Api<DynamicObject> = Api::all_with(client, &kind.resource);
        let cfg = watcher::Config::default().labels(&format!("{SOURCE_LABEL}={}", self.source));
        let shared = self.shared.clone();
        let drift = self.drift.clone();
        let group = kind.resource.group.clone();
        let kname = kind.resource.kind.clone();
        tokio::spawn(async move {
            let mut stream = watcher(api, cfg).boxed();
            let mut fresh: BTreeMap<Id, Arc<str>> = BTreeMap::new();
            while let Some(ev) = stream.next().await {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(e) => {
                        tracing::debug!(kind = %kname, %server, error = %e, "watch error; the watcher retries");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        continue;
                    }
                };
                match ev {
                    watcher::Event::Init => fresh.clear(),
                    watcher::Event::InitApply(mut o) => {
                        if let Some(id) = id_of(&group, &kname, &o.metadata)
                            && let Some(text) = slim(&mut o)
                        {
                            fresh.insert(id, text);
                        }
                    }
                    watcher::Event::InitDone => {
                        let mut objs = shared.objects.write().unwrap_or_else(|p| p.into_inner());
                        objs.retain(|id, _| id.0 != group || id.1 != kname);
                        objs.append(&mut fresh);
                        drop(objs);
                        let _ = tx.send(true);
                        shared.mark_dirty(&drift);
                    }
                    ev @ (watcher::Event::Apply(_) | watcher::Event::Delete(_)) => {
                        let (mut o, deleted) = match ev {
                            watcher::Event::Delete(o) => (o, true),
                            watcher::Event::Apply(o) => (o, false),
                            _ => continue,
                        };
                        let is_delete = deleted || o.metadata.deletion_timestamp.is_some();
                        let rv = o.metadata.resource_version.clone().unwrap_or_default();
                        let Some(id) = id_of(&group, &kname, &o.metadata) else {
                            continue;
                        };
                        {
                            let text = if is_delete { None } else { slim(&mut o) };
                            let mut objs =
                                shared.objects.write().unwrap_or_else(|p| p.into_inner());
                            match text {
                                Some(t) => objs.insert(id.clone(), t),
                                None => objs.remove(&id),
                            };
                        }
                        let ours = shared
                            .own_writes
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&rv);
                        if ours {
                            continue;
                        }
                        let live = if is_delete {
                            None
                        } else {
                            match serde_json::to_value(&o) {
                                Ok(v) => Some(v),
                                Err(_) => continue,
                            }
                        };
                        if shared.drifted(&id, live.as_ref()) {
                            shared.mark_dirty(&drift);
                        }
                    }
                }
            }
        });
        rx
    }

    /// Records a resourceVersion produced by our own write so its watch event is not taken for drift.
    pub fn own_write(&self, rv: Option<String>) {
        if let Some(rv) = rv {
            let mut w = self
                .shared
                .own_writes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if w.len() > 100_000 {
                w.clear();
            }
            w.insert(rv);
        }
    }

    /// Records what the last pass wanted, for the per-event drift check.
    pub fn set_expected(&self, desired: &[Desired], managed: Managed) {
        let map = desired
            .iter()
            .map(|d| {
                (
                    d.obj_ref.id(),
                    (
                        d.object.to_string().into_boxed_str(),
                        d.obj_ref.namespace.clone().unwrap_or_default(),
                    ),
                )
            })
            .collect();
        *self
            .shared
            .expected
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = (map, managed);
    }

    /// Whether anything drifted (or was relisted) since the last call.
    pub fn take_dirty(&self) -> bool {
        self.shared
            .dirty
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// The live object, parsed (for a pass, which keeps only those it is about to change). Text this
    /// cache wrote itself always parses; were it ever not to, the object counts as absent and the
    /// pass applies it, which is safe.
    pub fn get(&self, id: &Id) -> Option<Arc<Value>> {
        let text = self
            .shared
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()?;
        serde_json::from_str(&text).ok().map(Arc::new)
    }

    /// Replaces one cached object after a write's response (the watch will confirm it).
    pub fn put(&self, id: Id, object: Option<DynamicObject>) {
        let text = object.and_then(|mut o| slim(&mut o));
        let mut objs = self
            .shared
            .objects
            .write()
            .unwrap_or_else(|p| p.into_inner());
        match text {
            Some(t) => objs.insert(id, t),
            None => objs.remove(&id),
        };
    }
}

/// The object as stored: compact JSON without managedFields, which sync never compares and which
/// are often half an object's size.
fn slim(o: &mut DynamicObject) -> Option<Arc<str>> {
    o.metadata.managed_fields = None;
    serde_json::to_string(o).ok().map(Arc::from)
}
