//! Comparing what Git says with what the cluster has, ignoring what the server or other managers add.
//!
//! Git holds a partial object: server defaults (a Service's clusterIP, a port's protocol), status and
//! metadata the server owns are absent from it. "In sync" therefore means every field Git sets has the
//! same value live — the desired object is a *subset* of the live one — and a diff is shown between
//! Git and the live object projected onto the fields Git sets.

use serde_json::{Map, Value};

/// Metadata the server owns; never part of a comparison.
const SERVER_METADATA: &[&str] = &[
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Removes status and server-owned metadata, and the last-applied annotation kubectl leaves.
pub fn strip_server_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(m) = out.as_object_mut() {
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in SERVER_METADATA {
                meta.remove(*k);
            }
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
                if ann.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
    }
    out
}

/// True when every field `desired` sets is present in `live` with an equal value. Lists must have the
/// same length and match element by element (elements may carry server defaults).
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => is_subset(dv, lv),
            // An explicit null or empty map/list in Git matches an absent live field.
            None => is_empty_value(dv),
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| is_subset(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (d, l) => d == l || (is_empty_value(d) && is_empty_value(l)),
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `live` reduced to the fields `desired` sets (lists element by element), so a diff shows only what
/// Git cares about.
pub fn project(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = Map::new();
            for (k, dv) in d {
                if let Some(lv) = l.get(k) {
                    out.insert(k.clone(), project(lv, dv));
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(d)) if l.len() == d.len() => {
            Value::Array(l.iter().zip(d).map(|(a, b)| project(a, b)).collect())
        }
        (l, _) => l.clone(),
    }
}

/// A JSON merge patch that makes `live` agree with `desired` where server-side apply cannot: a list
/// whose element keys someone changed (SSA would keep the foreign element next to ours), a value
/// owned by an Update manager. Maps are patched key by key, everything else (lists included) whole.
/// `None` when `desired` is already a subset of `live`.
pub fn repair_patch(desired: &Value, live: &Value) -> Option<Value> {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            let mut out = Map::new();
            for (k, dv) in d {
                match l.get(k) {
                    Some(lv) => {
                        if let Some(p) = repair_patch(dv, lv) {
                            out.insert(k.clone(), p);
                        }
                    }
                    None if is_empty_value(dv) => {}
                    None => {
                        out.insert(k.clone(), dv.clone());
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (d, l) if is_subset(d, l) => None,
        (d, _) => Some(d.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_table() {
        let live = json!({
            "metadata": {"name": "s", "labels": {"a": "1", "b": "2"}},
            "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "x", "rollouts-pod-template-hash": "abc"}}
        });
        let cases = [
            (json!({"metadata": {"name": "s"}}), true),
            (json!({"spec": {"ports": [{"port": 80}]}}), true),
            (json!({"spec": {"ports": [{"port": 81}]}}), false),
            (
                json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}}),
                false,
            ),
            (json!({"spec": {"selector": {"app": "x"}}}), true),
            (json!({"spec": {"selector": {"app": "y"}}}), false),
            (json!({"metadata": {"labels": {"c": "3"}}}), false),
            (json!({"metadata": {"annotations": {}}}), true),
            (json!({"spec": {"ports": [{"port": 80.0}]}}), true),
        ];
        for (desired, want) in cases {
            assert_eq!(is_subset(&desired, &live), want, "{desired}");
        }
    }

    #[test]
    fn repair_patch_replaces_lists_whole_and_recurses_into_maps() {
        let live = json!({"metadata": {"labels": {"a": "1", "x": "y"}},
            "spec": {"clusterIP": "10.0.0.1", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}});
        let cases = [
            (
                json!({"spec": {"ports": [{"name": "http", "port": 80}]}}),
                Some(json!({"spec": {"ports": [{"name": "http", "port": 80}]}})),
            ),
            (
                json!({"spec": {"ports": [{"name": "http", "port": 8080}]}}),
                None,
            ),
            (
                json!({"metadata": {"labels": {"a": "2"}}}),
                Some(json!({"metadata": {"labels": {"a": "2"}}})),
            ),
            (
                json!({"metadata": {"labels": {"b": "3"}}}),
                Some(json!({"metadata": {"labels": {"b": "3"}}})),
            ),
            (json!({"metadata": {"annotations": {}}}), None),
        ];
        for (desired, want) in cases {
            assert_eq!(repair_patch(&desired, &live), want, "{desired}");
        }
    }

    #[test]
    fn projection_hides_server_defaults() {
        let live =
            json!({"spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80, "protocol": "TCP"}]}});
        let desired = json!({"spec": {"ports": [{"port": 81}]}});
        assert_eq!(
            project(&live, &desired),
            json!({"spec": {"ports": [{"port": 80}]}})
        );
    }

    #[test]
    fn strip_removes_server_metadata_and_status() {
        let o = json!({"metadata": {"name": "a", "uid": "u", "resourceVersion": "3", "managedFields": [],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}, "status": {"x": 1}, "spec": {}});
        assert_eq!(
            strip_server_fields(&o),
            json!({"metadata": {"name": "a"}, "spec": {}})
        );
    }
}
