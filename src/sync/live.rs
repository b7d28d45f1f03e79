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

/// Per object: the desired object (unmasked) and its namespace; plus the rollout-owned fields.
type Expected = (HashMap<Id, (Arc<Value>, String)>, Managed);

#[derive(Default)]
struct Shared {
    /// Shared, and without managedFields (never compared, and half the bytes): passes read
    /// thousands of them.
    objects: RwLock<BTreeMap<Id, Arc<Value>>>,
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
        let (masked, _) = expected.1.mask(ns, desired, Some(live));
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

fn id_of(group: &str, kind: &str, obj: &Value) -> Option<Id> {
    let name = obj.pointer("/metadata/name")?.as_str()?.to_string();
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((group.to_string(), kind.to_string(), ns, name))
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
            let mut fresh: BTreeMap<Id, Arc<Value>> = BTreeMap::new();
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
                    watcher::Event::InitApply(o) => {
                        if let Ok(v) = serde_json::to_value(&o)
                            && let Some(id) = id_of(&group, &kname, &v)
                        {
                            fresh.insert(id, slim(v));
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
                        let (o, deleted) = match ev {
                            watcher::Event::Delete(o) => (o, true),
                            watcher::Event::Apply(o) => (o, false),
                            _ => continue,
                        };
                        let is_delete = deleted || o.metadata.deletion_timestamp.is_some();
                        let rv = o.metadata.resource_version.clone().unwrap_or_default();
                        let Ok(v) = serde_json::to_value(&o) else {
                            continue;
                        };
                        let Some(id) = id_of(&group, &kname, &v) else {
                            continue;
                        };
                        {
                            let mut objs =
                                shared.objects.write().unwrap_or_else(|p| p.into_inner());
                            if is_delete {
                                objs.remove(&id);
                            } else {
                                objs.insert(id.clone(), slim(v.clone()));
                            }
                        }
                        let ours = shared
                            .own_writes
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&rv);
                        let live = (!is_delete).then_some(&v);
                        if !ours && shared.drifted(&id, live) {
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
                        d.object.clone(),
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

    pub fn get(&self, id: &Id) -> Option<Arc<Value>> {
        self.shared
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Every live object with these ids (shared, not copied).
    pub fn snapshot(&self, ids: impl IntoIterator<Item = Id>) -> BTreeMap<Id, Arc<Value>> {
        let objs = self
            .shared
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner());
        ids.into_iter()
            .filter_map(|id| objs.get(&id).map(|v| (id, v.clone())))
            .collect()
    }

    /// Replaces one cached object after a direct read (the watch will confirm it).
    pub fn put(&self, id: Id, value: Option<Value>) {
        let mut objs = self
            .shared
            .objects
            .write()
            .unwrap_or_else(|p| p.into_inner());
        match value {
            Some(v) => objs.insert(id, slim(v)),
            None => objs.remove(&id),
        };
    }
}

/// Drops managedFields: sync never compares them, and they are often half an object's size.
fn slim(mut v: Value) -> Arc<Value> {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    Arc::new(v)
}
