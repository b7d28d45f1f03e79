//! A minimal OpenAPI v3 publication. kubectl reads it to learn that the server validates fields itself
//! (the `fieldValidation` query parameter on PATCH); without it kubectl refuses to apply at all unless
//! told `--validate=false`. Schemas are not published, so kubectl falls back to its compiled-in types
//! for strategic merge patches and to JSON merge patches for custom resources — as it does on a real
//! cluster for custom resources.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::resources::{Registry, ResourceType};

/// `group/version` → the path under `/openapi/v3/` (`api/v1`, `apis/apps/v1`).
fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn params() -> Value {
    json!([
        {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
        {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
        {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
        {"name": "force", "in": "query", "schema": {"type": "boolean"}}
    ])
}

fn operations(rt: &ResourceType, version: &str) -> Value {
    let gvk = json!({"group": rt.group, "version": version, "kind": rt.kind});
    let op = |action: &str| {
        json!({
            "operationId": format!("{action}{}", rt.kind),
            "parameters": params(),
            "responses": {"200": {"description": "OK"}},
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        })
    };
    json!({"get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete")})
}

/// The document for one group/version, or `None` if nothing is served there.
pub fn group_version_doc(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut paths = BTreeMap::new();
    for rt in reg
        .all()
        .filter(|rt| rt.group == group && rt.serves(version))
    {
        let prefix = format!("/{}", gv_path(group, version));
        let item = if rt.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
        } else {
            format!("{prefix}/{}/{{name}}", rt.plural)
        };
        paths.insert(item, operations(rt, version));
        if rt.status_subresource {
            let status = if rt.namespaced {
                format!(
                    "{prefix}/namespaces/{{namespace}}/{}/{{name}}/status",
                    rt.plural
                )
            } else {
                format!("{prefix}/{}/{{name}}/status", rt.plural)
            };
            paths.insert(status, operations(rt, version));
        }
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": {}}
    }))
}

/// The `/openapi/v3` index: one entry per served group/version, with a hash that changes with the document
/// so kubectl's cache notices new CRDs.
pub fn index(reg: &Registry) -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs: Vec<(String, String)> = vec![];
    for rt in reg.all() {
        for v in &rt.versions {
            let gv = (rt.group.clone(), v.clone());
            if !gvs.contains(&gv) {
                gvs.push(gv);
            }
        }
    }
    for (g, v) in gvs {
        let Some(doc) = group_version_doc(reg, &g, &v) else {
            continue;
        };
        let hash = hex(&Sha256::digest(
            serde_json::to_vec(&doc).unwrap_or_default(),
        ));
        let p = gv_path(&g, &v);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={}", &hash[..32])}),
        );
    }
    json!({"paths": paths})
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_patch_declares_field_validation() {
        let reg = Registry::with_builtins();
        let doc = group_version_doc(&reg, "", "v1").unwrap();
        let op = &doc["paths"]["/api/v1/namespaces/{namespace}/services/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Service");
        assert!(
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        let idx = index(&reg);
        assert!(
            idx["paths"]["apis/apps/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .starts_with("/openapi/v3/apis/apps/v1?hash=")
        );
    }
}
