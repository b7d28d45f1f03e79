//! Deployment controller, simplified: one ReplicaSet per pod template (named by a hash of it) at full
//! size, older ReplicaSets scaled to zero, status counts summed from the ReplicaSets.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{controller_of, opts, rt, str_at, update_status};
use crate::admit::WriteKind;
use crate::ops::Cluster;
use crate::store::{Event, EventType};

pub fn on_event(cluster: &Arc<Cluster>, e: &Event) {
    match (e.gr.group.as_str(), e.gr.resource.as_str()) {
        ("apps", "deployments") if e.kind != EventType::Deleted => {
            if let Some(name) = str_at(&e.object, "/metadata/name") {
                reconcile(cluster, &e.namespace, name);
            }
        }
        ("apps", "replicasets") => {
            if let Some((kind, name, _)) = controller_of(&e.object)
                && kind == "Deployment"
            {
                reconcile(cluster, &e.namespace, &name);
            }
        }
        _ => {}
    }
}

/// FNV-1a over the template's JSON, rendered in the alphabet Kubernetes uses for pod-template hashes.
pub fn template_hash(template: &Value) -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in serde_json::to_vec(template).unwrap_or_default() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    h.to_string()
        .bytes()
        .map(|c| ALPHABET[(c as usize) % ALPHABET.len()] as char)
        .collect()
}

fn reconcile(cluster: &Arc<Cluster>, ns: &str, name: &str) {
    let (Some(d_rt), Some(rs_rt)) = (
        rt(cluster, "apps", "deployments"),
        rt(cluster, "apps", "replicasets"),
    ) else {
        return;
    };
    let Ok(dep) = cluster.get(&d_rt, ns, name) else {
        return;
    };
    if dep.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let uid = str_at(&dep, "/metadata/uid")
        .unwrap_or_default()
        .to_string();
    let replicas = dep
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let template = dep.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = template_hash(&template);
    let rs_name = format!("{name}-{hash}");
    let owned: Vec<Arc<Value>> = cluster
        .store
        .lock()
        .list(&rs_rt.group_resource(), Some(ns))
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| controller_of(r).is_some_and(|(_, _, u)| u == uid))
        .collect();
    if !owned
        .iter()
        .any(|r| str_at(r, "/metadata/name") == Some(rs_name.as_str()))
    {
        let mut tmpl = template.clone();
        tmpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        let mut selector = dep.pointer("/spec/selector").cloned().unwrap_or(json!({}));
        selector["matchLabels"]["pod-template-hash"] = json!(hash);
        let rs = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "labels": tmpl["metadata"]["labels"].clone(),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": replicas, "selector": selector, "template": tmpl}
        });
        let _ = cluster.create(&rs_rt, "v1", ns, rs, &opts());
    }
    for r in &owned {
        let rn = str_at(r, "/metadata/name").unwrap_or_default();
        let want = if rn == rs_name { replicas } else { 0 };
        if r.pointer("/spec/replicas").and_then(Value::as_i64) != Some(want) {
            let mut new = (**r).clone();
            new["spec"]["replicas"] = json!(want);
            let _ = cluster.update(&rs_rt, "v1", ns, rn, new, WriteKind::Update, &opts());
        }
    }
    let sum = |ptr: &str| -> i64 {
        owned
            .iter()
            .filter_map(|r| r.pointer(ptr).and_then(Value::as_i64))
            .sum()
    };
    let updated = owned
        .iter()
        .find(|r| str_at(r, "/metadata/name") == Some(rs_name.as_str()))
        .and_then(|r| r.pointer("/status/replicas").and_then(Value::as_i64))
        .unwrap_or(0);
    let (total, ready, available) = (
        sum("/status/replicas"),
        sum("/status/readyReplicas"),
        sum("/status/availableReplicas"),
    );
    let _ = update_status(cluster, &d_rt, ns, name, |cur| {
        let now = crate::ops::now_rfc3339();
        let avail = available >= replicas;
        Some(json!({
            "observedGeneration": cur.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
            "replicas": total, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
            "unavailableReplicas": (total - available).max(0),
            "conditions": [
                {"type": "Available", "status": if avail { "True" } else { "False" }, "reason": if avail { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                 "message": if avail { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
                 "lastUpdateTime": keep(cur, "Available", &now), "lastTransitionTime": keep(cur, "Available", &now)},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                 "lastUpdateTime": keep(cur, "Progressing", &now), "lastTransitionTime": keep(cur, "Progressing", &now)}
            ]
        }))
    });
}

/// Keeps a condition's timestamp so an unchanged status is not rewritten.
fn keep(cur: &Value, ty: &str, now: &str) -> String {
    cur.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
        })
        .and_then(|c| c.get("lastTransitionTime").and_then(Value::as_str))
        .unwrap_or(now)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_hash_is_stable_and_safe() {
        let a = template_hash(&json!({"spec": {"containers": [{"image": "a"}]}}));
        let b = template_hash(&json!({"spec": {"containers": [{"image": "b"}]}}));
        assert_eq!(
            a,
            template_hash(&json!({"spec": {"containers": [{"image": "a"}]}}))
        );
        assert_ne!(a, b);
        assert!(a.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }
}
