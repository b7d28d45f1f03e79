//! CustomResourceDefinitions: a stored CRD becomes a served resource, as on the real server.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::field_error::{FieldError, FieldErrorType};
use crate::meta::NameRule;
use crate::ops::{Cluster, now_rfc3339};
use crate::resources::{GroupResource, PrinterColumn, ResourceType, ScaleSpec, version_priority};
use crate::schema;
use crate::store::object_rv;
use crate::typeinfo::TypeInfo;

fn err(field: &str, reason: FieldErrorType, message: impl Into<String>) -> FieldError {
    FieldError {
        reason,
        field: field.to_string(),
        message: message.into(),
    }
}

/// Checks that the API server itself makes before accepting a CRD.
pub fn validate(crd: &Value) -> Result<(), Vec<FieldError>> {
    let mut errors = vec![];
    let spec = crd.get("spec").cloned().unwrap_or(Value::Null);
    let group = spec
        .get("group")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let plural = spec
        .pointer("/names/plural")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if group.is_empty() {
        errors.push(err(
            "spec.group",
            FieldErrorType::Required,
            "Required value",
        ));
    }
    if plural.is_empty() {
        errors.push(err(
            "spec.names.plural",
            FieldErrorType::Required,
            "Required value",
        ));
    }
    if spec
        .pointer("/names/kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        errors.push(err(
            "spec.names.kind",
            FieldErrorType::Required,
            "Required value",
        ));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        errors.push(err(
            "metadata.name",
            FieldErrorType::Invalid,
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    match spec.get("scope").and_then(Value::as_str) {
        Some("Namespaced") | Some("Cluster") => {}
        other => errors.push(err(
            "spec.scope",
            FieldErrorType::NotSupported,
            format!(
                "Unsupported value: {}: supported values: \"Cluster\", \"Namespaced\"",
                json!(other.unwrap_or(""))
            ),
        )),
    }
    let versions = spec
        .get("versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if versions.is_empty() {
        errors.push(err(
            "spec.versions",
            FieldErrorType::Invalid,
            "Invalid value: null: must have exactly one version marked as storage version",
        ));
    }
    let storage = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .count();
    if !versions.is_empty() && storage != 1 {
        errors.push(err(
            "spec.versions",
            FieldErrorType::Invalid,
            format!(
                "Invalid value: {}: must have exactly one version marked as storage version",
                json!(
                    versions
                        .iter()
                        .map(|v| v.get("name").cloned().unwrap_or(Value::Null))
                        .collect::<Vec<_>>()
                )
            ),
        ));
    }
    for (i, v) in versions.iter().enumerate() {
        if let Some(s) = v.pointer("/schema/openAPIV3Schema") {
            for mut e in schema::validate_crd_schema(s) {
                e.field = format!(
                    "spec.versions[{i}].schema.openAPIV3Schema{}",
                    prefixed(&e.field)
                );
                errors.push(e);
            }
        } else {
            errors.push(err(
                &format!("spec.versions[{i}].schema.openAPIV3Schema"),
                FieldErrorType::Required,
                "Required value: schemas are required",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn prefixed(f: &str) -> String {
    if f.is_empty() {
        String::new()
    } else {
        format!(".{f}")
    }
}

/// Builds the served resource a CRD describes (served versions only, preferred first).
pub fn resource_type(crd: &Value) -> Option<ResourceType> {
    let spec = crd.get("spec")?;
    let group = spec.get("group")?.as_str()?.to_string();
    let names = spec.get("names")?;
    let kind = names.get("kind")?.as_str()?.to_string();
    let plural = names.get("plural")?.as_str()?.to_string();
    let singular = names
        .get("singular")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let strs = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions_json = spec.get("versions")?.as_array()?;
    let mut served: Vec<&Value> = versions_json
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .collect();
    if served.is_empty() {
        return None;
    }
    let storage = versions_json
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name")?.as_str())
        .unwrap_or_default()
        .to_string();
    served.sort_by(|a, b| {
        let an = a.get("name").and_then(Value::as_str).unwrap_or_default();
        let bn = b.get("name").and_then(Value::as_str).unwrap_or_default();
        (bn == storage, version_priority(bn)).cmp(&(an == storage, version_priority(an)))
    });
    let mut schemas = BTreeMap::new();
    let mut versions = vec![];
    let mut status_sub = false;
    let mut scale = None;
    let mut columns = vec![];
    for v in &served {
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(s) = v.pointer("/schema/openAPIV3Schema") {
            schemas.insert(name.clone(), s.clone());
        }
        if name == storage || versions.is_empty() {
            status_sub = v.pointer("/subresources/status").is_some();
            scale = v.pointer("/subresources/scale").map(|s| ScaleSpec {
                spec_replicas_path: s
                    .get("specReplicasPath")
                    .and_then(Value::as_str)
                    .unwrap_or(".spec.replicas")
                    .into(),
                status_replicas_path: s
                    .get("statusReplicasPath")
                    .and_then(Value::as_str)
                    .unwrap_or(".status.replicas")
                    .into(),
                label_selector_path: s
                    .get("labelSelectorPath")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
            columns = v
                .get("additionalPrinterColumns")
                .and_then(Value::as_array)
                .map(|cols| {
                    cols.iter()
                        .map(|c| PrinterColumn {
                            name: c
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .into(),
                            type_: c
                                .get("type")
                                .and_then(Value::as_str)
                                .unwrap_or("string")
                                .into(),
                            json_path: c
                                .get("jsonPath")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .into(),
                            description: c
                                .get("description")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .into(),
                            priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        versions.push(name);
    }
    let types = schemas
        .get(&storage)
        .or_else(|| schemas.values().next())
        .map(TypeInfo::from_openapi_v3)
        .unwrap_or_else(TypeInfo::schemaless)
        .with_status_subresource(status_sub);
    Some(ResourceType {
        group,
        versions,
        kind,
        plural,
        singular,
        short_names: strs(names.get("shortNames")),
        categories: strs(names.get("categories")),
        namespaced: spec.get("scope").and_then(Value::as_str) == Some("Namespaced"),
        status_subresource: status_sub,
        scale_subresource: scale,
        has_generation: true,
        name_rule: NameRule::DnsSubdomain,
        schemas,
        printer_columns: columns,
        types: Arc::new(types),
        custom: true,
    })
}

/// Registers (or unregisters) the resource of a CRD that was just written, and marks it Established.
pub fn sync_registration(cluster: &Cluster, crd: &Arc<Value>) {
    let crd_gr = GroupResource {
        group: "apiextensions.k8s.io".into(),
        resource: "customresourcedefinitions".into(),
    };
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let deleted = cluster
        .store
        .get(&crd_gr, &(String::new(), name.clone()))
        .is_none();
    let Some(rt) = resource_type(crd) else { return };
    let gr = rt.group_resource();
    if deleted {
        cluster.store.lock().registry.remove(&gr);
        let objects = cluster.store.lock().list(&gr, None);
        for (key, _) in objects {
            let _ = cluster.store.commit(&gr, &key, None, false, None);
        }
        return;
    }
    let accepted = crd.pointer("/spec/names").cloned().unwrap_or(Value::Null);
    cluster.store.lock().registry.insert(rt);
    let mut new = (**crd).clone();
    let now = now_rfc3339();
    let keep_time = |t: &str| -> String {
        crd.pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some(t))
            })
            .and_then(|c| c.get("lastTransitionTime").and_then(Value::as_str))
            .map(str::to_string)
            .unwrap_or_else(|| now.clone())
    };
    let storage: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    let mut accepted_names = accepted.clone();
    if let Some(m) = accepted_names.as_object_mut()
        && !m.contains_key("singular")
        && let Some(k) = accepted.get("kind").and_then(Value::as_str)
    {
        m.insert("singular".into(), Value::String(k.to_lowercase()));
    }
    new["status"] = json!({
        "acceptedNames": accepted_names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": keep_time("NamesAccepted")},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": keep_time("Established")},
        ],
        "storedVersions": storage,
    });
    if new.get("status") != crd.get("status") {
        let _ = cluster.store.commit(
            &crd_gr,
            &(String::new(), name),
            Some(object_rv(crd)),
            false,
            Some(new),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn istio_like() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "virtualservices.networking.istio.io"},
            "spec": {"group": "networking.istio.io", "scope": "Namespaced",
                "names": {"kind": "VirtualService", "plural": "virtualservices", "shortNames": ["vs"]},
                "versions": [
                    {"name": "v1alpha3", "served": true, "storage": false, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                    {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}, "subresources": {"status": {}}},
                    {"name": "v1beta1", "served": true, "storage": false, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                    {"name": "v0", "served": false, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}
                ]}
        })
    }

    #[test]
    fn served_versions_storage_first() {
        let rt = resource_type(&istio_like()).unwrap();
        assert_eq!(rt.versions, vec!["v1", "v1beta1", "v1alpha3"]);
        assert!(rt.status_subresource);
        assert!(rt.namespaced);
        assert_eq!(rt.singular, "virtualservice");
        assert_eq!(rt.short_names, vec!["vs"]);
    }

    #[test]
    fn name_must_match_plural_and_group() {
        let mut crd = istio_like();
        assert!(validate(&crd).is_ok());
        crd["metadata"]["name"] = json!("wrong.example.com");
        let errs = validate(&crd).unwrap_err();
        assert_eq!(errs[0].field, "metadata.name");
    }

    #[test]
    fn exactly_one_storage_version() {
        let mut crd = istio_like();
        crd["spec"]["versions"][0]["storage"] = json!(true);
        assert!(
            validate(&crd)
                .unwrap_err()
                .iter()
                .any(|e| e.field == "spec.versions")
        );
    }
}
