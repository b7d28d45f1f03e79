//! Object storage with one global resourceVersion counter, an event log for resumable watches, and a
//! broadcast of every change.
//!
//! Writers compute the new object outside the lock and commit it with the resourceVersion they read, so
//! the lock is held only for the map update; a lost race is retried by the caller (patches) or reported as
//! 409 (updates that carried a resourceVersion), which is what the real server does.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::resources::{GroupResource, Registry};

/// (namespace, name); namespace is empty for cluster-scoped objects.
pub type ObjKey = (String, String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as delivered to watchers.
#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub kind: EventType,
    pub gr: GroupResource,
    pub namespace: String,
    pub object: Arc<Value>,
    /// The object before the change, so selector-filtered watches can tell "left the selection".
    pub prev: Option<Arc<Value>>,
    /// `{"type":…,"object":…}` serialised once and shared by every watcher at the storage version.
    encoded: OnceLock<Bytes>,
}

impl Event {
    /// An event for an object as it is now, used when a consumer has to resync.
    pub fn synthetic(gr: GroupResource, namespace: String, object: Arc<Value>) -> Event {
        Event {
            rv: object_rv(&object),
            kind: EventType::Modified,
            gr,
            namespace,
            object,
            prev: None,
            encoded: OnceLock::new(),
        }
    }

    pub fn encoded(&self, kind: EventType, object: &Value) -> Bytes {
        let line = serde_json::json!({"type": kind.as_str(), "object": object});
        let mut buf = serde_json::to_vec(&line).unwrap_or_default();
        buf.push(b'\n');
        Bytes::from(buf)
    }

    /// The default encoding, computed once for all watchers that need no rewriting.
    pub fn shared_encoding(&self) -> Bytes {
        self.encoded
            .get_or_init(|| self.encoded(self.kind, &self.object))
            .clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("object already exists")]
    AlreadyExists,
    #[error("object not found")]
    NotFound,
    #[error("resourceVersion changed")]
    Conflict,
}

pub struct State {
    pub registry: Registry,
    rv: u64,
    objects: HashMap<GroupResource, BTreeMap<ObjKey, Arc<Value>>>,
    log: VecDeque<Arc<Event>>,
    log_capacity: usize,
    /// Oldest resourceVersion a watch may resume from; older ones get 410 Gone.
    compacted_rv: u64,
    /// The garbage collector's graph, as kube-controller-manager keeps one: owner uid → the objects
    /// naming it, and uid → object. Scanning every stored object per deletion instead made each
    /// Pod deletion cost O(objects) once thousands of Events were stored.
    dependents: HashMap<String, BTreeSet<(GroupResource, ObjKey)>>,
    by_uid: HashMap<String, (GroupResource, ObjKey)>,
}

/// The uid and owner uids of an object.
fn identity(obj: &Value) -> (Option<&str>, Vec<&str>) {
    let uid = obj.pointer("/metadata/uid").and_then(Value::as_str);
    let owners = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    (uid, owners)
}

pub struct Store {
    state: Mutex<State>,
    events: broadcast::Sender<Arc<Event>>,
}

impl Store {
    pub fn new(registry: Registry, log_capacity: usize) -> Self {
        let (events, _) = broadcast::channel(16_384);
        Store {
            state: Mutex::new(State {
                registry,
                rv: 1,
                objects: HashMap::new(),
                log: VecDeque::new(),
                log_capacity: log_capacity.max(1),
                compacted_rv: 1,
                dependents: HashMap::new(),
                by_uid: HashMap::new(),
            }),
            events,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent (every mutation is a single insert or
        // remove), so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    pub fn get(&self, gr: &GroupResource, key: &ObjKey) -> Option<Arc<Value>> {
        self.lock().get(gr, key)
    }

    /// Writes `new` (or deletes when `None`), checking the stored object's resourceVersion first when
    /// `expected_rv` is given. `create` demands that nothing is stored under the key yet.
    pub fn commit(
        &self,
        gr: &GroupResource,
        key: &ObjKey,
        expected_rv: Option<u64>,
        create: bool,
        new: Option<Value>,
    ) -> Result<Arc<Value>, CommitError> {
        let mut st = self.lock();
        let prev = st.get(gr, key);
        match (&prev, create) {
            (Some(_), true) => return Err(CommitError::AlreadyExists),
            (None, false) => return Err(CommitError::NotFound),
            _ => {}
        }
        if let (Some(want), Some(p)) = (expected_rv, &prev)
            && object_rv(p) != want
        {
            return Err(CommitError::Conflict);
        }
        st.rv += 1;
        let rv = st.rv;
        if let Some(p) = &prev {
            st.unindex(gr, key, p);
        }
        if let Some(n) = &new {
            st.index(gr, key, n);
        }
        let (kind, object) = match new {
            Some(mut obj) => {
                set_rv(&mut obj, rv);
                let obj = Arc::new(obj);
                st.objects
                    .entry(gr.clone())
                    .or_default()
                    .insert(key.clone(), obj.clone());
                (
                    if prev.is_some() {
                        EventType::Modified
                    } else {
                        EventType::Added
                    },
                    obj,
                )
            }
            None => {
                let Some(p) = prev.clone() else {
                    return Err(CommitError::NotFound);
                };
                if let Some(m) = st.objects.get_mut(gr) {
                    m.remove(key);
                }
                // A deleted object is reported with the resourceVersion of its deletion.
                let mut gone = (*p).clone();
                set_rv(&mut gone, rv);
                (EventType::Deleted, Arc::new(gone))
            }
        };
        let event = Arc::new(Event {
            rv,
            kind,
            gr: gr.clone(),
            namespace: key.0.clone(),
            object: object.clone(),
            prev,
            encoded: OnceLock::new(),
        });
        st.log.push_back(event.clone());
        while st.log.len() > st.log_capacity {
            if let Some(old) = st.log.pop_front() {
                st.compacted_rv = old.rv;
            }
        }
        // Sending under the lock keeps the broadcast in resourceVersion order.
        let _ = self.events.send(event);
        Ok(object)
    }
}

impl State {
    pub fn rv(&self) -> u64 {
        self.rv
    }

    pub fn compacted_rv(&self) -> u64 {
        self.compacted_rv
    }

    pub fn get(&self, gr: &GroupResource, key: &ObjKey) -> Option<Arc<Value>> {
        self.objects.get(gr).and_then(|m| m.get(key)).cloned()
    }

    /// Objects of one resource, optionally in one namespace, in (namespace, name) order.
    pub fn list(&self, gr: &GroupResource, namespace: Option<&str>) -> Vec<(ObjKey, Arc<Value>)> {
        let Some(m) = self.objects.get(gr) else {
            return vec![];
        };
        match namespace {
            Some(ns) => m
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }

    pub fn all_resources(&self) -> Vec<GroupResource> {
        self.objects.keys().cloned().collect()
    }

    /// Events newer than `rv`, oldest first; `None` if the log no longer reaches back that far.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<Event>>> {
        if rv < self.compacted_rv {
            return None;
        }
        let start = self.log.partition_point(|e| e.rv <= rv);
        Some(self.log.iter().skip(start).cloned().collect())
    }

    pub fn count(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// Every stored object that names `uid` among its owners.
    pub fn dependents_of(&self, uid: &str) -> Vec<(GroupResource, ObjKey, Arc<Value>)> {
        self.dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|(gr, key)| Some((gr.clone(), key.clone(), self.get(gr, key)?)))
            .collect()
    }

    /// The stored object with this uid.
    pub fn by_uid(&self, uid: &str) -> Option<(GroupResource, ObjKey, Arc<Value>)> {
        let (gr, key) = self.by_uid.get(uid)?;
        Some((gr.clone(), key.clone(), self.get(gr, key)?))
    }

    fn index(&mut self, gr: &GroupResource, key: &ObjKey, obj: &Value) {
        let (uid, owners) = identity(obj);
        if let Some(uid) = uid {
            self.by_uid
                .insert(uid.to_string(), (gr.clone(), key.clone()));
        }
        for owner in owners {
            self.dependents
                .entry(owner.to_string())
                .or_default()
                .insert((gr.clone(), key.clone()));
        }
    }

    fn unindex(&mut self, gr: &GroupResource, key: &ObjKey, obj: &Value) {
        let (uid, owners) = identity(obj);
        if let Some(uid) = uid {
            self.by_uid.remove(uid);
        }
        for owner in owners {
            if let Some(set) = self.dependents.get_mut(owner) {
                set.remove(&(gr.clone(), key.clone()));
                if set.is_empty() {
                    self.dependents.remove(owner);
                }
            }
        }
    }
}

pub fn object_rv(obj: &Value) -> u64 {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn set_rv(obj: &mut Value, rv: u64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gr() -> GroupResource {
        GroupResource {
            group: String::new(),
            resource: "configmaps".into(),
        }
    }

    fn key(n: &str) -> ObjKey {
        ("default".into(), n.into())
    }

    #[test]
    fn commit_assigns_increasing_versions_and_checks_them() {
        let store = Store::new(Registry::with_builtins(), 100);
        let a = store
            .commit(
                &gr(),
                &key("a"),
                None,
                true,
                Some(json!({"metadata": {"name": "a"}})),
            )
            .unwrap();
        let rv = object_rv(&a);
        assert!(matches!(
            store.commit(&gr(), &key("a"), None, true, Some(json!({"metadata": {}}))),
            Err(CommitError::AlreadyExists)
        ));
        assert!(matches!(
            store.commit(
                &gr(),
                &key("a"),
                Some(rv - 1),
                false,
                Some(json!({"metadata": {}}))
            ),
            Err(CommitError::Conflict)
        ));
        let b = store
            .commit(
                &gr(),
                &key("a"),
                Some(rv),
                false,
                Some(json!({"metadata": {"name": "a"}})),
            )
            .unwrap();
        assert!(object_rv(&b) > rv);
    }

    #[test]
    fn event_log_reports_compaction() {
        let store = Store::new(Registry::with_builtins(), 3);
        for i in 0..10 {
            store
                .commit(
                    &gr(),
                    &key(&format!("o{i}")),
                    None,
                    true,
                    Some(json!({"metadata": {}})),
                )
                .unwrap();
        }
        let st = store.lock();
        assert!(st.events_since(1).is_none());
        let recent = st.events_since(st.rv() - 2).unwrap();
        assert_eq!(recent.len(), 2);
        assert!(recent[0].rv < recent[1].rv);
    }

    #[test]
    fn list_is_scoped_to_a_namespace() {
        let store = Store::new(Registry::with_builtins(), 100);
        for (ns, n) in [("a", "1"), ("b", "2"), ("a", "3"), ("ab", "4")] {
            store
                .commit(
                    &gr(),
                    &(ns.into(), n.into()),
                    None,
                    true,
                    Some(json!({"metadata": {}})),
                )
                .unwrap();
        }
        let st = store.lock();
        let names: Vec<String> = st
            .list(&gr(), Some("a"))
            .into_iter()
            .map(|(k, _)| k.1)
            .collect();
        assert_eq!(names, vec!["1", "3"]);
        assert_eq!(st.list(&gr(), None).len(), 4);
    }

    #[test]
    fn the_owner_index_follows_every_write_and_delete() {
        let store = Store::new(Registry::with_builtins(), 100);
        let obj = |name: &str, uid: &str, owners: &[&str]| {
            let refs: Vec<Value> = owners.iter().map(|o| json!({"uid": o})).collect();
            Some(json!({"metadata": {"name": name, "uid": uid, "ownerReferences": refs}}))
        };
        let names = |v: Vec<(GroupResource, ObjKey, Arc<Value>)>| -> Vec<String> {
            v.into_iter().map(|(_, k, _)| k.1).collect()
        };
        store
            .commit(&gr(), &key("owner"), None, true, obj("owner", "u-o", &[]))
            .unwrap();
        store
            .commit(&gr(), &key("a"), None, true, obj("a", "u-a", &["u-o"]))
            .unwrap();
        store
            .commit(
                &gr(),
                &key("b"),
                None,
                true,
                obj("b", "u-b", &["u-o", "u-a"]),
            )
            .unwrap();
        let st = store.lock();
        assert_eq!(names(st.dependents_of("u-o")), vec!["a", "b"]);
        assert_eq!(names(st.dependents_of("u-a")), vec!["b"]);
        assert_eq!(st.by_uid("u-a").map(|(_, k, _)| k.1), Some("a".into()));
        drop(st);
        // b drops one owner; a goes away.
        store
            .commit(&gr(), &key("b"), None, false, obj("b", "u-b", &["u-a"]))
            .unwrap();
        store.commit(&gr(), &key("a"), None, false, None).unwrap();
        let st = store.lock();
        assert!(st.dependents_of("u-o").is_empty());
        assert_eq!(
            names(st.dependents_of("u-a")),
            vec!["b"],
            "dangling until the GC acts"
        );
        assert!(st.by_uid("u-a").is_none());
        assert!(
            !st.dependents.contains_key("u-o"),
            "empty entries are dropped"
        );
    }
}
