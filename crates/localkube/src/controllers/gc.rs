//! Garbage collector: dependents follow their owners (background), owners wait for their dependents
//! (foreground), or dependents are released (orphan).

use std::sync::Arc;

use serde_json::Value;

use super::{opts, owner_uids, str_at};
use crate::admit::WriteKind;
use crate::ops::{Cluster, DeleteOpts, Propagation};
use crate::resources::GroupResource;
use crate::store::{Event, EventType, ObjKey};

pub fn on_event(cluster: &Arc<Cluster>, e: &Event) {
    let uid = str_at(&e.object, "/metadata/uid")
        .unwrap_or_default()
        .to_string();
    match e.kind {
        EventType::Deleted => {
            delete_dependents(cluster, &uid, Propagation::Background);
            // A dependent leaving may complete an owner's foreground deletion.
            for owner in owner_uids(&e.object) {
                finish_foreground(cluster, &owner);
            }
        }
        _ if e.object.pointer("/metadata/deletionTimestamp").is_some() => {
            let finalizers = finalizers(&e.object);
            if finalizers.iter().any(|f| f == "orphan") {
                orphan_dependents(cluster, &uid);
                remove_finalizer(cluster, &e.gr, &e.namespace, &e.object, "orphan");
            }
            if finalizers.iter().any(|f| f == "foregroundDeletion") {
                delete_dependents(cluster, &uid, Propagation::Foreground);
                finish_foreground(cluster, &uid);
            }
        }
        _ => {}
    }
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every stored object that names `uid` among its owners.
fn dependents(cluster: &Cluster, uid: &str) -> Vec<(GroupResource, ObjKey, Arc<Value>)> {
    if uid.is_empty() {
        return vec![];
    }
    cluster.store.lock().dependents_of(uid)
}

fn rt_for(cluster: &Cluster, gr: &GroupResource) -> Option<Arc<crate::resources::ResourceType>> {
    cluster.store.lock().registry.get(gr).cloned()
}

fn delete_dependents(cluster: &Cluster, uid: &str, how: Propagation) {
    for (gr, (ns, name), _) in dependents(cluster, uid) {
        if let Some(rt) = rt_for(cluster, &gr) {
            let _ = cluster.delete(
                &rt,
                &ns,
                &name,
                &DeleteOpts {
                    propagation: Some(how),
                    ..Default::default()
                },
            );
        }
    }
}

fn orphan_dependents(cluster: &Cluster, uid: &str) {
    for (gr, (ns, name), obj) in dependents(cluster, uid) {
        let Some(rt) = rt_for(cluster, &gr) else {
            continue;
        };
        let mut new = (*obj).clone();
        if let Some(refs) = new
            .pointer_mut("/metadata/ownerReferences")
            .and_then(Value::as_array_mut)
        {
            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid));
        }
        let _ = cluster.update(
            &rt,
            rt.storage_version(),
            &ns,
            &name,
            new,
            WriteKind::Update,
            &opts(),
        );
    }
}

/// Removes `foregroundDeletion` from the owner once nothing depends on it any more.
fn finish_foreground(cluster: &Cluster, owner_uid: &str) {
    if !dependents(cluster, owner_uid).is_empty() {
        return;
    }
    let found = cluster.store.lock().by_uid(owner_uid);
    if let Some((gr, (ns, _), obj)) = found
        && obj.pointer("/metadata/deletionTimestamp").is_some()
        && finalizers(&obj).iter().any(|f| f == "foregroundDeletion")
    {
        remove_finalizer(cluster, &gr, &ns, &obj, "foregroundDeletion");
    }
}

fn remove_finalizer(cluster: &Cluster, gr: &GroupResource, ns: &str, obj: &Value, finalizer: &str) {
    let Some(rt) = rt_for(cluster, gr) else {
        return;
    };
    let Some(name) = str_at(obj, "/metadata/name") else {
        return;
    };
    let mut new = obj.clone();
    if let Some(f) = new
        .pointer_mut("/metadata/finalizers")
        .and_then(Value::as_array_mut)
    {
        f.retain(|x| x.as_str() != Some(finalizer));
    }
    let _ = cluster.update(
        &rt,
        rt.storage_version(),
        ns,
        name,
        new,
        WriteKind::Update,
        &opts(),
    );
}
