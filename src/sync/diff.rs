//! `gitcanary diff`: what a sync would change, as unified diffs of the live objects (reduced to the
//! fields Git sets, without server-owned fields or defaults) against Git.

use serde_json::Value;

use super::normalize::{is_subset, project, strip_server_fields};
use super::plan::{HASH_ANNOTATION, MANAGED_BY_LABEL, ObjRef, SOURCE_LABEL};

/// gitcanary's own bookkeeping labels and annotation, left out of what a person compares.
fn without_bookkeeping(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for (key, field) in [
            ("labels", SOURCE_LABEL),
            ("labels", MANAGED_BY_LABEL),
            ("annotations", HASH_ANNOTATION),
        ] {
            if let Some(m) = meta.get_mut(key).and_then(Value::as_object_mut) {
                m.remove(field);
                if m.is_empty() {
                    meta.remove(key);
                }
            }
        }
    }
    v
}

fn yaml(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap_or_default()
}

/// The diff for one object, or `None` when Git and the cluster agree. `live` is the live object,
/// `desired` what sync would apply (rollout-owned fields already replaced by their live values).
pub fn object_diff(obj_ref: &ObjRef, live: Option<&Value>, desired: &Value) -> Option<String> {
    let desired = without_bookkeeping(desired);
    let (old, new) = match live {
        Some(l) => {
            let l = without_bookkeeping(&strip_server_fields(l));
            if is_subset(&desired, &l) {
                return None;
            }
            (yaml(&project(&l, &desired)), yaml(&desired))
        }
        None => (String::new(), yaml(&desired)),
    };
    Some(unified(obj_ref, &old, &new))
}

/// The diff of an object sync would prune (it left Git).
pub fn prune_diff(obj_ref: &ObjRef, live: &Value) -> String {
    unified(
        obj_ref,
        &yaml(&without_bookkeeping(&strip_server_fields(live))),
        "",
    )
}

fn unified(obj_ref: &ObjRef, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{obj_ref}"), &format!("git/{obj_ref}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r() -> ObjRef {
        ObjRef {
            api_version: "v1".into(),
            kind: "Service".into(),
            namespace: Some("d".into()),
            name: "s".into(),
        }
    }

    #[test]
    fn equal_objects_have_no_diff_even_with_defaults_and_bookkeeping() {
        let desired = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "labels": {SOURCE_LABEL: "x"}}, "spec": {"ports": [{"port": 80}]}});
        let live = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "uid": "u", "resourceVersion": "3"},
            "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80, "protocol": "TCP"}]}, "status": {}});
        assert_eq!(object_diff(&r(), Some(&live), &desired), None);
    }

    #[test]
    fn a_changed_port_shows_both_lines() {
        let desired = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}});
        let live = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 8080, "protocol": "TCP"}]}});
        let d = object_diff(&r(), Some(&live), &desired).unwrap();
        assert!(
            d.contains("--- live/Service/d/s") && d.contains("+++ git/Service/d/s"),
            "{d}"
        );
        assert!(
            d.contains("-  - port: 8080") && d.contains("+  - port: 80"),
            "{d}"
        );
        assert!(
            !d.contains("clusterIP"),
            "server defaults are not shown: {d}"
        );
    }

    #[test]
    fn new_and_pruned_objects() {
        let desired = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}});
        let d = object_diff(&r(), None, &desired).unwrap();
        assert!(
            d.lines()
                .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
                .count()
                >= 3,
            "{d}"
        );
        let p = prune_diff(&r(), &desired);
        assert!(p.contains("-kind: Service"), "{p}");
    }
}
