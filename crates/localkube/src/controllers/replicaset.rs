//! ReplicaSet controller: keeps the number of owned Pods equal to `spec.replicas` and the status counts
//! true.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{controller_of, opts, rt, str_at, update_status};
use crate::ops::{Cluster, DeleteOpts};
use crate::store::{Event, EventType};

pub fn on_event(cluster: &Arc<Cluster>, e: &Event) {
    match (e.gr.group.as_str(), e.gr.resource.as_str()) {
        ("apps", "replicasets") if e.kind != EventType::Deleted => {
            if let Some(name) = str_at(&e.object, "/metadata/name") {
                reconcile(cluster, &e.namespace, name);
            }
        }
        ("", "pods") => {
            if let Some((kind, name, _)) = controller_of(&e.object)
                && kind == "ReplicaSet"
            {
                reconcile(cluster, &e.namespace, &name);
            }
        }
        _ => {}
    }
}

/// Whether a Pod counts as Ready (its Ready condition is True).
pub fn pod_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// Ready for at least `min_ready` seconds.
pub fn pod_available(pod: &Value, min_ready: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
    if !pod_ready(pod) {
        return false;
    }
    if min_ready <= 0 {
        return true;
    }
    let since = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("lastTransitionTime").and_then(Value::as_str))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    since.is_some_and(|t| (now - t.with_timezone(&chrono::Utc)).num_seconds() >= min_ready)
}

pub fn reconcile(cluster: &Arc<Cluster>, ns: &str, name: &str) {
    let (Some(rs_rt), Some(pod_rt)) = (rt(cluster, "apps", "replicasets"), rt(cluster, "", "pods"))
    else {
        return;
    };
    let Ok(rs) = cluster.get(&rs_rt, ns, name) else {
        return;
    };
    let uid = str_at(&rs, "/metadata/uid").unwrap_or_default().to_string();
    let pods: Vec<Arc<Value>> = cluster
        .store
        .lock()
        .list(&pod_rt.group_resource(), Some(ns))
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| controller_of(p).is_some_and(|(_, _, u)| u == uid))
        .collect();
    let active: Vec<&Arc<Value>> = pods
        .iter()
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .collect();
    let deleting = rs.pointer("/metadata/deletionTimestamp").is_some();
    let want = if deleting {
        0
    } else {
        rs.pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0) as usize
    };
    if active.len() < want {
        for _ in active.len()..want {
            if let Err(e) = create_pod(cluster, &pod_rt, &rs, ns) {
                tracing::warn!(replicaset = name, error = %e.message, "creating pod failed");
            }
        }
    } else if active.len() > want {
        let mut victims = active.clone();
        // Not-ready pods go first, then the newest, as the real controller prefers.
        victims.sort_by_key(|p| {
            (
                pod_ready(p),
                std::cmp::Reverse(
                    str_at(p, "/metadata/creationTimestamp")
                        .unwrap_or("")
                        .to_string(),
                ),
            )
        });
        for p in victims.into_iter().take(active.len() - want) {
            if let Some(pn) = str_at(p, "/metadata/name") {
                let _ = cluster.delete(&pod_rt, ns, pn, &DeleteOpts::default());
            }
        }
    }
    let min_ready = rs
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let now = chrono::Utc::now();
    let pods_now: Vec<Arc<Value>> = cluster
        .store
        .lock()
        .list(&pod_rt.group_resource(), Some(ns))
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| {
            controller_of(p).is_some_and(|(_, _, u)| u == uid)
                && p.pointer("/metadata/deletionTimestamp").is_none()
        })
        .collect();
    let ready = pods_now.iter().filter(|p| pod_ready(p)).count();
    let available = pods_now
        .iter()
        .filter(|p| pod_available(p, min_ready, now))
        .count();
    if ready > available {
        // Availability depends on time passing: look again once minReadySeconds has elapsed.
        let c = cluster.clone();
        let (ns2, name2) = (ns.to_string(), name.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(min_ready.max(1) as u64)).await;
            reconcile(&c, &ns2, &name2);
        });
    }
    let replicas = pods_now.len();
    let _ = update_status(cluster, &rs_rt, ns, name, |cur| {
        let mut status = json!({
            "replicas": replicas,
            "fullyLabeledReplicas": replicas,
            "observedGeneration": cur.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        });
        if ready > 0 {
            status["readyReplicas"] = json!(ready);
        }
        if available > 0 {
            status["availableReplicas"] = json!(available);
        }
        Some(status)
    });
}

fn create_pod(
    cluster: &Cluster,
    pod_rt: &crate::resources::ResourceType,
    rs: &Value,
    ns: &str,
) -> Result<Value, crate::error::ApiError> {
    let rs_name = str_at(rs, "/metadata/name").unwrap_or_default();
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    meta["generateName"] = json!(format!("{rs_name}-"));
    meta["namespace"] = json!(ns);
    meta["ownerReferences"] = json!([{
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
        "uid": str_at(rs, "/metadata/uid").unwrap_or_default(), "controller": true, "blockOwnerDeletion": true
    }]);
    if let Some(m) = meta.as_object_mut() {
        m.remove("name");
        m.remove("creationTimestamp");
    }
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec").cloned().unwrap_or(json!({}))});
    cluster.create(pod_rt, "v1", ns, pod, &opts())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_waits_for_min_ready_seconds() {
        let now = chrono::Utc::now();
        let since = (now - chrono::Duration::seconds(5)).to_rfc3339();
        let pod = json!({"status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": since}]}});
        assert!(pod_ready(&pod));
        assert!(pod_available(&pod, 0, now));
        assert!(pod_available(&pod, 5, now));
        assert!(!pod_available(&pod, 10, now));
        assert!(!pod_available(&json!({"status": {}}), 0, now));
    }
}
