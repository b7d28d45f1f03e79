//! The history of revisions: each ReplicaSet the Rollout still keeps, grouped by revision, newest
//! first, with the part it plays now.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::ResourceExt;
use serde::Serialize;

use super::objects::{Role, revision_of, role, rs_hash, rs_images, rs_status};
use crate::api::RolloutStatus;
use crate::rollout::time::from_time;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionView {
    pub revision: i64,
    /// Stable or canary now; absent for an older revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub images: Vec<String>,
    pub replica_sets: Vec<ReplicaSetView>,
    /// When its newest ReplicaSet was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSetView {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_hash: Option<String>,
    /// Healthy, Progressing or ScaledDown.
    pub status: &'static str,
    pub desired: i32,
    pub ready: i32,
    pub available: i32,
}

fn replica_set(rs: &ReplicaSet) -> ReplicaSetView {
    let status = rs.status.as_ref();
    ReplicaSetView {
        name: rs.name_any(),
        pod_hash: rs_hash(rs),
        status: rs_status(rs),
        desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
    }
}

/// Newest revision first.
pub fn revisions(replica_sets: &[ReplicaSet], status: &RolloutStatus) -> Vec<RevisionView> {
    let mut by_revision: BTreeMap<i64, Vec<&ReplicaSet>> = BTreeMap::new();
    for rs in replica_sets {
        by_revision
            .entry(revision_of(rs.annotations()))
            .or_default()
            .push(rs);
    }
    by_revision
        .into_iter()
        .rev()
        .map(|(revision, mut rss)| {
            rss.sort_by_key(|rs| rs.name_any());
            let mut images: Vec<String> = rss.iter().flat_map(|rs| rs_images(rs)).collect();
            images.dedup();
            RevisionView {
                revision,
                role: rss
                    .iter()
                    .find_map(|rs| role(rs_hash(rs).as_deref(), status)),
                images,
                created: rss
                    .iter()
                    .filter_map(|rs| rs.metadata.creation_timestamp.as_ref().map(from_time))
                    .max(),
                replica_sets: rss.into_iter().map(replica_set).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rs(hash: &str, revision: &str, image: &str, replicas: i32, available: i32) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": format!("app-{hash}"),
                "labels": {"rollouts-pod-template-hash": hash},
                "annotations": {"rollout.argoproj.io/revision": revision}},
            "spec": {"replicas": replicas, "selector": {},
                "template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
            "status": {"replicas": replicas, "availableReplicas": available, "readyReplicas": available},
        }))
        .expect("replica set")
    }

    #[test]
    fn newest_first_with_roles() {
        let status: RolloutStatus = serde_json::from_value(json!({
            "stableRS": "blue", "currentPodHash": "yellow"
        }))
        .expect("status");
        let all = [
            rs("old", "1", "app:red", 0, 0),
            rs("blue", "2", "app:blue", 1, 1),
            rs("yellow", "3", "app:yellow", 1, 0),
        ];
        let got: Vec<(i64, Option<Role>, Vec<String>, &str)> = revisions(&all, &status)
            .into_iter()
            .map(|r| (r.revision, r.role, r.images, r.replica_sets[0].status))
            .collect();
        assert_eq!(
            got,
            [
                (
                    3,
                    Some(Role::Canary),
                    vec!["app:yellow".to_string()],
                    "Progressing"
                ),
                (
                    2,
                    Some(Role::Stable),
                    vec!["app:blue".to_string()],
                    "Healthy"
                ),
                (1, None, vec!["app:red".to_string()], "ScaledDown"),
            ]
        );
    }
}
