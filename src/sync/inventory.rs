//! The inventory: which objects a source applied, kept in the cluster (a ConfigMap) so pruning survives
//! restarts and never touches an object the source did not create.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};

use super::plan::ObjRef;
use super::retry::with_backoff;

const KEY: &str = "objects";
pub const INVENTORY_LABEL: &str = "gitcanary.dev/inventory";

/// ConfigMap names are DNS subdomains; a source name is already restricted to that alphabet.
pub fn configmap_name(source: &str) -> String {
    format!("gitcanary-inventory-{source}")
}

pub fn encode(objects: &BTreeSet<ObjRef>) -> String {
    serde_json::to_string(&objects.iter().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

pub fn decode(text: &str) -> Result<BTreeSet<ObjRef>, serde_json::Error> {
    let list: Vec<ObjRef> = serde_json::from_str(text)?;
    Ok(list.into_iter().collect())
}

pub struct Inventory {
    api: Api<ConfigMap>,
    name: String,
    pub objects: BTreeSet<ObjRef>,
}

impl Inventory {
    /// Reads the inventory (empty when it does not exist yet).
    pub async fn load(
        client: kube::Client,
        namespace: &str,
        source: &str,
    ) -> Result<Inventory, kube::Error> {
        let api: Api<ConfigMap> = Api::namespaced(client, namespace);
        let name = configmap_name(source);
        let existing = with_backoff(5, || api.get_opt(&name)).await?;
        let objects = existing
            .and_then(|cm| cm.data)
            .and_then(|d| d.get(KEY).cloned())
            .map(|t| {
                decode(&t).unwrap_or_else(|e| {
                    tracing::warn!(inventory = %name, error = %e, "inventory unreadable; starting empty (nothing will be pruned)");
                    BTreeSet::new()
                })
            })
            .unwrap_or_default();
        Ok(Inventory { api, name, objects })
    }

    /// Writes the inventory if it changed.
    pub async fn save(
        &mut self,
        objects: BTreeSet<ObjRef>,
        source: &str,
        commit: &str,
    ) -> Result<(), kube::Error> {
        if objects == self.objects {
            return Ok(());
        }
        let mut data = BTreeMap::new();
        data.insert(KEY.to_string(), encode(&objects));
        data.insert("commit".to_string(), commit.to_string());
        let cm = serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": self.name, "labels": {INVENTORY_LABEL: source}},
            "data": data,
        });
        let pp = PatchParams::apply("gitcanary").force();
        let patch = Patch::Apply(&cm);
        with_backoff(5, || self.api.patch(&self.name, &pp, &patch)).await?;
        self.objects = objects;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let objs: BTreeSet<ObjRef> = [
            ObjRef {
                api_version: "v1".into(),
                kind: "Service".into(),
                namespace: Some("d".into()),
                name: "s".into(),
            },
            ObjRef {
                api_version: "apiextensions.k8s.io/v1".into(),
                kind: "CustomResourceDefinition".into(),
                namespace: None,
                name: "x.y".into(),
            },
        ]
        .into_iter()
        .collect();
        let text = encode(&objs);
        assert!(text.contains("\"apiVersion\":\"v1\""));
        assert_eq!(decode(&text).unwrap(), objs);
    }
}
