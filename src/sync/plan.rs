//! The pure half of a sync pass: from desired objects, the live objects and the inventory to the list
//! of writes, prunes and ignored fields. Nothing here talks to a server.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::live::Id;
use super::normalize::is_subset;
use super::order;
use super::ownership::{Ignored, Managed};

/// Label naming the source that applied an object; also selects what sync watches.
pub const SOURCE_LABEL: &str = "gitcanary.dev/source";
/// Standard label saying who manages an object.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Hash of the object as written in Git: a field removed from Git changes it, so the removal is applied
/// even though what remains is still a subset of the live object.
pub const HASH_ANNOTATION: &str = "gitcanary.dev/hash";
/// `"false"` keeps an object in the cluster when it leaves Git.
pub const PRUNE_ANNOTATION: &str = "gitcanary.dev/prune";

/// A cluster object's identity, independent of the API version it is written in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjRef {
    /// Version used to talk to the server about it (the one written in Git, or recorded in the inventory).
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjRef {
    pub fn group(&self) -> &str {
        self.api_version
            .split_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }

    /// Identity without the version: `apps/v1` and `apps/v1beta1` name the same object.
    pub fn id(&self) -> (String, String, Option<String>, String) {
        (
            self.group().to_string(),
            self.kind.clone(),
            self.namespace.clone(),
            self.name.clone(),
        )
    }

    pub fn wave(&self) -> u8 {
        order::wave(&self.api_version, &self.kind)
    }
}

impl fmt::Display for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// An object from Git, resolved to its cluster identity and ready to be compared.
#[derive(Clone, Debug)]
pub struct Desired {
    pub obj_ref: ObjRef,
    /// `file:line (document n)`, for messages.
    pub origin: String,
    /// Shared with the drift check's expectations (a pass must not copy thousands of objects).
    pub object: std::sync::Arc<Value>,
}

/// One server-side apply to make.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyOp {
    pub obj_ref: ObjRef,
    pub origin: String,
    pub body: Arc<Value>,
    /// The live object the plan was made against (`None`: it does not exist yet), shared with the
    /// live cache: a commit touching every Rollout must not copy each of them.
    pub live: Option<Arc<Value>>,
}

impl ApplyOp {
    pub fn exists(&self) -> bool {
        self.live.is_some()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// In apply order (waves, then kind/namespace/name).
    pub apply: Vec<ApplyOp>,
    pub unchanged: Vec<ObjRef>,
    /// In prune order (reverse waves).
    pub prune: Vec<ObjRef>,
    /// Objects that left Git but carry `gitcanary.dev/prune: "false"`.
    pub kept: Vec<ObjRef>,
    pub ignored: Vec<(ObjRef, Ignored)>,
}

/// Adds the labels that say who applied the object and the annotation with its Git hash.
pub fn stamp(object: Value, source: &str, git_hash: &str) -> Value {
    let mut out = object;
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(l) = labels.as_object_mut() {
            l.insert(SOURCE_LABEL.into(), Value::String(source.to_string()));
            l.insert(MANAGED_BY_LABEL.into(), Value::String("gitcanary".into()));
        }
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = annotations.as_object_mut() {
            a.insert(HASH_ANNOTATION.into(), Value::String(git_hash.to_string()));
        }
    }
    out
}

/// Decides what a sync pass does. `live` looks up the current object by identity (absent = not
/// there): a lookup rather than a map, so a pass holds only the live objects it is about to change,
/// not every object at once; `inventory` is what this source applied before.
pub fn plan(
    desired: &[Desired],
    live: impl Fn(&Id) -> Option<Arc<Value>>,
    inventory: &BTreeSet<ObjRef>,
    managed: &Managed,
) -> Plan {
    let mut p = Plan::default();
    let mut wanted = BTreeSet::new();
    let mut sorted: Vec<&Desired> = desired.iter().collect();
    sorted.sort_by(|a, b| {
        let ka = (
            a.obj_ref.wave(),
            &a.obj_ref.kind,
            &a.obj_ref.namespace,
            &a.obj_ref.name,
        );
        let kb = (
            b.obj_ref.wave(),
            &b.obj_ref.kind,
            &b.obj_ref.namespace,
            &b.obj_ref.name,
        );
        ka.cmp(&kb)
    });
    for d in sorted {
        wanted.insert(d.obj_ref.id());
        let live_obj = live(&d.obj_ref.id());
        let ns = d.obj_ref.namespace.clone().unwrap_or_default();
        let (body, ignored) = managed.mask(&ns, &d.object, live_obj.as_deref());
        p.ignored
            .extend(ignored.into_iter().map(|i| (d.obj_ref.clone(), i)));
        if live_obj.as_deref().is_some_and(|l| is_subset(&body, l)) {
            p.unchanged.push(d.obj_ref.clone());
            continue;
        }
        // Unmasked, the body is the desired object itself: shared, not copied.
        let body = match body {
            Cow::Borrowed(_) => d.object.clone(),
            Cow::Owned(v) => Arc::new(v),
        };
        p.apply.push(ApplyOp {
            obj_ref: d.obj_ref.clone(),
            origin: d.origin.clone(),
            body,
            live: live_obj,
        });
    }
    let mut gone: Vec<&ObjRef> = inventory
        .iter()
        .filter(|r| !wanted.contains(&r.id()))
        .collect();
    gone.sort_by(|a, b| {
        (std::cmp::Reverse(a.wave()), &a.kind, &a.namespace, &a.name).cmp(&(
            std::cmp::Reverse(b.wave()),
            &b.kind,
            &b.namespace,
            &b.name,
        ))
    });
    for r in gone {
        match live(&r.id()).as_deref() {
            None => {}
            Some(l)
                if l.pointer(&format!(
                    "/metadata/annotations/{}",
                    PRUNE_ANNOTATION.replace('/', "~1")
                ))
                .and_then(Value::as_str)
                    == Some("false") =>
            {
                p.kept.push(r.clone())
            }
            Some(_) => p.prune.push(r.clone()),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn r(kind: &str, name: &str) -> ObjRef {
        let av = match kind {
            "Rollout" => "argoproj.io/v1alpha1",
            "VirtualService" => "networking.istio.io/v1alpha3",
            _ => "v1",
        };
        ObjRef {
            api_version: av.into(),
            kind: kind.into(),
            namespace: Some("default".into()),
            name: name.into(),
        }
    }

    fn d(kind: &str, name: &str, spec: Value) -> Desired {
        let rf = r(kind, name);
        let raw = json!({"apiVersion": rf.api_version, "kind": kind, "metadata": {"name": name, "namespace": "default"}, "spec": spec});
        let object = stamp(raw.clone(), "src", &format!("{:x}", raw.to_string().len()));
        Desired {
            obj_ref: rf,
            origin: format!("{name}.yaml:1 (document 1)"),
            object: std::sync::Arc::new(object),
        }
    }

    fn live_of(ds: &[Desired]) -> BTreeMap<(String, String, Option<String>, String), Value> {
        ds.iter()
            .map(|d| {
                let mut l = (*d.object).clone();
                l["metadata"]["uid"] = json!("u");
                l["metadata"]["resourceVersion"] = json!("9");
                (d.obj_ref.id(), l)
            })
            .collect()
    }

    fn arcs(live: BTreeMap<Id, Value>) -> impl Fn(&Id) -> Option<Arc<Value>> {
        move |id| live.get(id).cloned().map(Arc::new)
    }

    #[test]
    fn unchanged_objects_are_not_written() {
        let ds = vec![
            d("ConfigMap", "a", json!({})),
            d("Service", "s", json!({"ports": [{"port": 80}]})),
        ];
        let p = plan(
            &ds,
            arcs(live_of(&ds)),
            &BTreeSet::new(),
            &Managed::default(),
        );
        assert!(p.apply.is_empty());
        assert_eq!(p.unchanged.len(), 2);
    }

    #[test]
    fn new_and_changed_objects_are_applied_in_waves() {
        let ds = vec![
            d("Rollout", "ro", json!({"replicas": 1})),
            d("Service", "s", json!({"ports": [{"port": 81}]})),
            d("ConfigMap", "c", json!({})),
        ];
        let mut live = live_of(&ds[..1]);
        live.insert(
            r("Service", "s").id(),
            json!({"spec": {"ports": [{"port": 80}]}}),
        );
        let p = plan(&ds, arcs(live), &BTreeSet::new(), &Managed::default());
        let kinds: Vec<&str> = p.apply.iter().map(|a| a.obj_ref.kind.as_str()).collect();
        assert_eq!(kinds, vec!["ConfigMap", "Service"]);
        assert!(!p.apply[0].exists() && p.apply[1].exists());
    }

    #[test]
    fn a_field_removed_from_git_is_applied() {
        let before = d("ConfigMap", "c", json!({"a": 1, "b": 2}));
        let after = d("ConfigMap", "c", json!({"a": 1}));
        let p = plan(
            &[after],
            arcs(live_of(&[before])),
            &BTreeSet::new(),
            &Managed::default(),
        );
        assert_eq!(
            p.apply.len(),
            1,
            "the hash annotation differs, so the removal is applied"
        );
    }

    #[test]
    fn prune_only_what_the_inventory_holds_and_respect_prune_false() {
        let ds = vec![d("ConfigMap", "keep", json!({}))];
        let mut live = live_of(&ds);
        live.insert(
            r("ConfigMap", "gone").id(),
            json!({"metadata": {"name": "gone"}}),
        );
        live.insert(
            r("ConfigMap", "stays").id(),
            json!({"metadata": {"name": "stays", "annotations": {PRUNE_ANNOTATION: "false"}}}),
        );
        live.insert(
            r("ConfigMap", "unmanaged").id(),
            json!({"metadata": {"name": "unmanaged"}}),
        );
        live.insert(r("Rollout", "old").id(), json!({}));
        let inventory: BTreeSet<ObjRef> = [
            r("ConfigMap", "keep"),
            r("ConfigMap", "gone"),
            r("ConfigMap", "stays"),
            r("Rollout", "old"),
            r("ConfigMap", "already-gone"),
        ]
        .into_iter()
        .collect();
        let p = plan(&ds, arcs(live), &inventory, &Managed::default());
        let pruned: Vec<String> = p.prune.iter().map(|r| r.name.clone()).collect();
        assert_eq!(
            pruned,
            vec!["old", "gone"],
            "workloads first, nothing outside the inventory"
        );
        assert_eq!(p.kept, vec![r("ConfigMap", "stays")]);
    }

    #[test]
    fn rollout_owned_weights_are_masked_not_drift() {
        let ro = d(
            "Rollout",
            "ro",
            json!({"strategy": {"canary": {"canaryService": "c", "stableService": "s",
            "trafficRouting": {"istio": {"virtualService": {"name": "vs", "routes": ["primary"]}}}}}}),
        );
        let vs_spec = |s: i64, c: i64| {
            json!({"http": [{"name": "primary", "route": [
            {"destination": {"host": "s"}, "weight": s}, {"destination": {"host": "c"}, "weight": c}]}]})
        };
        let vs = d("VirtualService", "vs", vs_spec(100, 0));
        let managed = Managed::from_rollouts([("default", &*ro.object)]);
        let mut live = live_of(std::slice::from_ref(&ro));
        let mut live_vs = (*vs.object).clone();
        live_vs["spec"] = vs_spec(90, 10);
        live.insert(vs.obj_ref.id(), live_vs);
        let p = plan(&[ro, vs], arcs(live), &BTreeSet::new(), &managed);
        assert!(
            p.apply.is_empty(),
            "weights moved by the rollout controller are not drift: {:?}",
            p.apply
        );
        assert_eq!(p.ignored.iter().filter(|(_, i)| i.differs()).count(), 2);
    }
}
