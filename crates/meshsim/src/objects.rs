//! Kubernetes objects → the routing model. Conversion happens once per watch event, so routing a
//! request never re-reads JSON.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::DynamicObject;

use crate::colour::colour_of;
use crate::model::{Labels, Pod, Service, VirtualService};
use crate::routes::{RouteError, parse_http_routes};

/// Label keys whose value ends a ReplicaSet's name: Deployments set the first, Argo Rollouts the
/// second.
const HASH_LABELS: &[&str] = &["pod-template-hash", "rollouts-pod-template-hash"];

/// Istio's sidecar answers no application requests.
const SIDECAR: &str = "istio-proxy";

pub fn pod(obj: &core::Pod) -> Pod {
    let labels: Labels = obj.metadata.labels.clone().unwrap_or_default();
    let name = obj.metadata.name.clone().unwrap_or_default();
    let terminating = obj.metadata.deletion_timestamp.is_some();
    let ready = !terminating
        && obj
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let images: Vec<&str> = obj
        .spec
        .iter()
        .flat_map(|s| &s.containers)
        .filter(|c| c.name != SIDECAR)
        .filter_map(|c| c.image.as_deref())
        .collect();
    let image = images
        .iter()
        .find(|i| colour_of(i).is_some())
        .or(images.first())
        .map(|i| (*i).to_owned());
    let owner = obj
        .metadata
        .owner_references
        .as_deref()
        .and_then(controller);
    let workload = workload_name(
        owner.map(|o| (o.kind.as_str(), o.name.as_str())),
        &labels,
        &name,
    );
    Pod {
        name,
        labels,
        ready,
        image,
        workload,
    }
}

pub fn service(obj: &core::Service) -> Service {
    Service {
        name: obj.metadata.name.clone().unwrap_or_default(),
        selector: obj
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default(),
    }
}

pub fn virtual_service(obj: &DynamicObject) -> Result<VirtualService, RouteError> {
    let spec = obj.data.get("spec").cloned().unwrap_or_default();
    Ok(VirtualService {
        name: obj.metadata.name.clone().unwrap_or_default(),
        created: obj.metadata.creation_timestamp.clone(),
        routes: parse_http_routes(&spec)?,
    })
}

/// The managing owner, or the only owner when none is marked as controller.
fn controller(owners: &[OwnerReference]) -> Option<&OwnerReference> {
    owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or(owners.first())
}

/// The workload Istio names for a pod: a ReplicaSet owner stands for the Deployment or Rollout that
/// made it (its name minus the template hash), which also keeps one metrics series per app rather than
/// one per revision. A pod without an owner is its own workload.
pub fn workload_name(owner: Option<(&str, &str)>, labels: &Labels, pod_name: &str) -> String {
    let Some((kind, name)) = owner else {
        return pod_name.to_owned();
    };
    if kind == "ReplicaSet" {
        for key in HASH_LABELS {
            if let Some(stripped) = labels
                .get(*key)
                .and_then(|hash| name.strip_suffix(hash.as_str()))
                .and_then(|rest| rest.strip_suffix('-'))
                .filter(|rest| !rest.is_empty())
            {
                return stripped.to_owned();
            }
        }
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn workload_names() {
        let rollout_hash = [("rollouts-pod-template-hash", "7f96d86486")];
        let deploy_hash = [("pod-template-hash", "5d4f9")];
        type Owner<'a> = Option<(&'a str, &'a str)>;
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Owner, Pairs, &str)] = &[
            (
                Some(("ReplicaSet", "istio-rollout-7f96d86486")),
                &rollout_hash,
                "istio-rollout",
            ),
            (Some(("ReplicaSet", "web-5d4f9")), &deploy_hash, "web"),
            (Some(("ReplicaSet", "blue-set")), &rollout_hash, "blue-set"),
            (
                Some(("ReplicaSet", "7f96d86486")),
                &rollout_hash,
                "7f96d86486",
            ),
            (Some(("StatefulSet", "db")), &[], "db"),
            (None, &[], "lonely-pod"),
        ];
        for (owner, pairs, want) in cases {
            assert_eq!(
                workload_name(*owner, &labels(pairs), "lonely-pod"),
                *want,
                "{owner:?}"
            );
        }
    }

    fn k8s_pod(value: serde_json::Value) -> core::Pod {
        serde_json::from_value(value).expect("a pod")
    }

    #[test]
    fn pods_from_the_simulator() {
        let ready = k8s_pod(json!({
            "metadata": {
                "name": "istio-rollout-7f96d86486-vpqvb",
                "labels": {"app": "istio-rollout", "rollouts-pod-template-hash": "7f96d86486"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "istio-rollout-7f96d86486", "uid": "u", "controller": true}],
            },
            "spec": {"containers": [
                {"name": "istio-proxy", "image": "istio/proxyv2:1.24"},
                {"name": "app", "image": "argoproj/rollouts-demo:blue"},
            ]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }));
        let got = pod(&ready);
        assert!(got.ready);
        assert_eq!(got.image.as_deref(), Some("argoproj/rollouts-demo:blue"));
        assert_eq!(got.workload, "istio-rollout");

        let mut terminating = ready.clone();
        terminating.metadata.deletion_timestamp = ready.metadata.creation_timestamp.clone().or(
            Some(serde_json::from_value(json!("2026-01-01T00:00:00Z")).expect("a time")),
        );
        assert!(!pod(&terminating).ready);

        let pending = k8s_pod(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1"}]},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]},
        }));
        let got = pod(&pending);
        assert!(!got.ready);
        assert_eq!(got.image.as_deref(), Some("nginx:1"));
        assert_eq!(got.workload, "p");
    }

    #[test]
    fn services_without_selectors_select_nothing() {
        let svc: core::Service =
            serde_json::from_value(json!({"metadata": {"name": "external"}, "spec": {}}))
                .expect("a service");
        assert!(service(&svc).selector.is_empty());
    }
}
