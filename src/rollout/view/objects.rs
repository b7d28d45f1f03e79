//! The live objects a view of one Rollout is made from, and the small readings of them that both
//! `gitcanary get rollout` and the dashboard need (which ReplicaSet is stable or canary, its
//! revision, its images).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;

use crate::api::{AnalysisRun, Rollout, RolloutStatus};
use crate::rollout::REVISION_ANNOTATION;
use crate::rollout::hash::HASH_LABEL;

/// Everything the views show of one Rollout.
pub struct RolloutObjects {
    pub rollout: Rollout,
    pub replica_sets: Vec<ReplicaSet>,
    /// Only the CLI's tree shows pods; the dashboard leaves this empty.
    pub pods: Vec<Pod>,
    pub analysis_runs: Vec<AnalysisRun>,
}

/// The part a ReplicaSet plays in the canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Stable,
    Canary,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Stable => "stable",
            Role::Canary => "canary",
        }
    }
}

/// Whether `refs` names the object with `uid` as an owner.
pub fn owned_by(refs: &Option<Vec<OwnerReference>>, uid: &str) -> bool {
    refs.as_ref()
        .is_some_and(|r| r.iter().any(|o| o.uid == uid))
}

pub fn rs_hash(rs: &ReplicaSet) -> Option<String> {
    rs.labels().get(HASH_LABEL).cloned()
}

/// Argo's ReplicaSet status words: ScaledDown, Healthy or Progressing.
pub fn rs_status(rs: &ReplicaSet) -> &'static str {
    let spec = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let available = rs
        .status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0);
    if spec == 0 {
        "ScaledDown"
    } else if available >= spec {
        "Healthy"
    } else {
        "Progressing"
    }
}

/// `rollout.argoproj.io/revision`, 0 when absent or unreadable.
pub fn revision_of(annotations: &BTreeMap<String, String>) -> i64 {
    annotations
        .get(REVISION_ANNOTATION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The canary's pod hash while a canary is in progress (it differs from the stable one).
pub fn canary_hash(status: &RolloutStatus) -> Option<String> {
    status
        .current_pod_hash
        .clone()
        .filter(|c| Some(c) != status.stable_rs.as_ref())
}

/// The role of the ReplicaSet with `hash`.
pub fn role(hash: Option<&str>, status: &RolloutStatus) -> Option<Role> {
    let hash = hash?;
    if status.stable_rs.as_deref() == Some(hash) {
        Some(Role::Stable)
    } else if canary_hash(status).as_deref() == Some(hash) {
        Some(Role::Canary)
    } else {
        None
    }
}

/// The container images of a ReplicaSet's pod template.
pub fn rs_images(rs: &ReplicaSet) -> Vec<String> {
    rs.spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Images of the ReplicaSets that have pods, each with the roles of the ReplicaSets running it
/// (canary first), as `kubectl argo rollouts get rollout` lists them.
pub fn images(replica_sets: &[ReplicaSet], status: &RolloutStatus) -> BTreeMap<String, Vec<Role>> {
    let mut out: BTreeMap<String, Vec<Role>> = BTreeMap::new();
    for rs in replica_sets
        .iter()
        .filter(|rs| rs.status.as_ref().is_some_and(|s| s.replicas > 0))
    {
        let role = role(rs_hash(rs).as_deref(), status);
        for image in rs_images(rs) {
            let entry = out.entry(image).or_default();
            if let Some(r) = role
                && !entry.contains(&r)
            {
                entry.push(r);
            }
        }
    }
    for roles in out.values_mut() {
        roles.sort_by_key(|r| match r {
            Role::Canary => 0,
            Role::Stable => 1,
        });
    }
    out
}
