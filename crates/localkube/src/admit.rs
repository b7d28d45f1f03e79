//! What the server does to an object between the request body and storage: namespace and identity
//! checks, defaulting, pruning, validation, and the system-owned metadata (uid, generation, timestamps).
//! Pure functions over JSON so every rule can be checked without a server.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::field_error::{FieldError, FieldErrorType};
use crate::meta;
use crate::resources::ResourceType;
use crate::schema;

/// What kind of write produced the candidate object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    /// Update or patch of the main resource.
    Update,
    /// Update or patch of the `status` subresource.
    Status,
}

/// Ensures apiVersion/kind/namespace agree with the URL the object was sent to.
pub fn check_identity(
    rt: &ResourceType,
    version: &str,
    namespace: &str,
    obj: &mut Value,
) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the object provided is not a JSON object",
        ));
    };
    let want_av = rt.api_version(version);
    match map.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("apiVersion".into(), Value::String(want_av));
        }
        Some(av) if av == want_av => {}
        Some(av) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({want_av})"
            )));
        }
    }
    match map.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("kind".into(), Value::String(rt.kind.clone()));
        }
        Some(k) if k == rt.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )));
        }
    }
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(meta) = meta.as_object_mut() else {
        return Err(ApiError::bad_request("metadata must be an object"));
    };
    if rt.namespaced {
        match meta.get("namespace").and_then(Value::as_str) {
            None | Some("") => {
                meta.insert("namespace".into(), Value::String(namespace.to_string()));
            }
            Some(ns) if ns == namespace => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
    } else {
        meta.remove("namespace");
    }
    Ok(())
}

/// Defaulting, pruning and validation; returns the field errors that make the write a 422.
pub fn default_and_validate(rt: &ResourceType, version: &str, obj: &mut Value) -> Vec<FieldError> {
    let mut errors = vec![];
    if rt.custom {
        if let Some(schema) = rt.schema(version) {
            schema::prune(obj, schema);
            schema::apply_defaults(obj, schema);
            errors.extend(schema::validate(obj, schema));
        }
    } else {
        meta::default_builtin(&rt.group, &rt.kind, obj);
        errors.extend(meta::validate_builtin(&rt.group, &rt.kind, obj));
    }
    let mut all = meta::validate_object_meta(obj, rt.namespaced, rt.name_rule);
    all.extend(errors);
    all
}

/// Fills the metadata the server owns on create.
pub fn init_system_fields(rt: &ResourceType, obj: &mut Value, uid: &str, now: &str) {
    if rt.status_subresource && rt.custom {
        // The status subresource owns status: a create cannot set it.
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    meta.insert("uid".into(), Value::String(uid.to_string()));
    meta.insert("creationTimestamp".into(), Value::String(now.to_string()));
    meta.remove("resourceVersion");
    meta.remove("deletionTimestamp");
    meta.remove("deletionGracePeriodSeconds");
    meta.remove("selfLink");
    if rt.has_generation || rt.custom {
        meta.insert("generation".into(), Value::from(1));
    } else {
        meta.remove("generation");
    }
}

/// Carries over from the stored object what a write of this kind may not change, and bumps the
/// generation when the spec (anything but metadata and status) changed.
pub fn carry_over(
    rt: &ResourceType,
    kind: WriteKind,
    old: &Value,
    new: &mut Value,
) -> Result<(), Vec<FieldError>> {
    let mut errors = vec![];
    for (field, path) in [
        ("metadata.name", "/metadata/name"),
        ("metadata.namespace", "/metadata/namespace"),
    ] {
        if let (Some(a), Some(b)) = (old.pointer(path), new.pointer(path))
            && a != b
        {
            errors.push(FieldError {
                reason: FieldErrorType::Invalid,
                field: field.into(),
                message: format!("Invalid value: {b}: field is immutable"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match kind {
        WriteKind::Create => {}
        WriteKind::Status => {
            // Only status moves; spec and metadata come from storage (except managedFields, tracked later).
            let status = new.get("status").cloned();
            let managed = new.pointer("/metadata/managedFields").cloned();
            *new = old.clone();
            set_or_remove(new, "status", status);
            if let (Some(m), Some(meta)) = (
                managed,
                new.get_mut("metadata").and_then(Value::as_object_mut),
            ) {
                meta.insert("managedFields".into(), m);
            }
        }
        WriteKind::Update => {
            if rt.status_subresource {
                let status = old.get("status").cloned();
                set_or_remove(new, "status", status);
            }
            let generation = old.pointer("/metadata/generation").and_then(Value::as_i64);
            let old_meta = old.get("metadata").cloned().unwrap_or(Value::Null);
            if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
                for key in [
                    "uid",
                    "creationTimestamp",
                    "deletionTimestamp",
                    "deletionGracePeriodSeconds",
                ] {
                    match old_meta.get(key) {
                        Some(v) => meta.insert(key.into(), v.clone()),
                        None => meta.remove(key),
                    };
                }
            }
            if let Some(g) = generation {
                let bumped = if spec_changed(old, new) { g + 1 } else { g };
                if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.insert("generation".into(), Value::from(bumped));
                }
            }
        }
    }
    Ok(())
}

fn set_or_remove(obj: &mut Value, key: &str, v: Option<Value>) {
    if let Some(map) = obj.as_object_mut() {
        match v {
            Some(v) => map.insert(key.into(), v),
            None => map.remove(key),
        };
    }
}

/// True when anything other than metadata and status differs: what bumps `metadata.generation`.
pub fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        let mut m = v.as_object().cloned().unwrap_or_default();
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
        m
    };
    strip(old) != strip(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Registry;
    use serde_json::json;

    fn rs() -> std::sync::Arc<ResourceType> {
        Registry::with_builtins()
            .lookup("apps", "v1", "replicasets")
            .cloned()
            .unwrap()
    }

    #[test]
    fn identity_fills_and_rejects() {
        let rt = rs();
        let mut obj = json!({"metadata": {"name": "x"}});
        check_identity(&rt, "v1", "ns", &mut obj).unwrap();
        assert_eq!(obj["apiVersion"], "apps/v1");
        assert_eq!(obj["kind"], "ReplicaSet");
        assert_eq!(obj["metadata"]["namespace"], "ns");
        let mut other_ns = json!({"metadata": {"name": "x", "namespace": "b"}});
        assert_eq!(
            check_identity(&rt, "v1", "a", &mut other_ns)
                .unwrap_err()
                .code,
            400
        );
        let mut wrong_kind = json!({"kind": "Pod", "metadata": {"name": "x"}});
        assert_eq!(
            check_identity(&rt, "v1", "a", &mut wrong_kind)
                .unwrap_err()
                .code,
            400
        );
    }

    #[test]
    fn generation_moves_with_spec_only() {
        let rt = rs();
        let old = json!({"metadata": {"name": "x", "generation": 3, "uid": "u"}, "spec": {"replicas": 1}, "status": {"replicas": 1}});
        let cases = [
            (
                json!({"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"replicas": 1}}),
                3,
            ),
            (
                json!({"metadata": {"name": "x"}, "spec": {"replicas": 2}}),
                4,
            ),
            (
                json!({"metadata": {"name": "x"}, "spec": {"replicas": 1}, "status": {"replicas": 9}}),
                3,
            ),
        ];
        for (mut new, want) in cases {
            carry_over(&rt, WriteKind::Update, &old, &mut new).unwrap();
            assert_eq!(new["metadata"]["generation"], want, "{new}");
            assert_eq!(new["metadata"]["uid"], "u");
            assert_eq!(
                new["status"]["replicas"], 1,
                "status comes from storage on a main-resource write"
            );
        }
    }

    #[test]
    fn status_write_changes_only_status() {
        let rt = rs();
        let old = json!({"metadata": {"name": "x", "generation": 3}, "spec": {"replicas": 1}});
        let mut new = json!({"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"replicas": 5}, "status": {"replicas": 2}});
        carry_over(&rt, WriteKind::Status, &old, &mut new).unwrap();
        assert_eq!(new["spec"]["replicas"], 1);
        assert_eq!(new["status"]["replicas"], 2);
        assert!(new["metadata"].get("labels").is_none());
        assert_eq!(new["metadata"]["generation"], 3);
    }

    #[test]
    fn renames_are_refused() {
        let rt = rs();
        let old = json!({"metadata": {"name": "x"}});
        let mut new = json!({"metadata": {"name": "y"}});
        assert!(carry_over(&rt, WriteKind::Update, &old, &mut new).is_err());
    }
}
