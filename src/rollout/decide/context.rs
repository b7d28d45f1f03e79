//! What one decision works with: the Rollout's strategy with defaults applied, the hashes, and the
//! ReplicaSets sorted into new / stable / others.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::super::hash::{pod_template_hash, step_hash, template_matches};
use super::super::observed::{Observed, ObservedReplicaSet};
use crate::api::{CanaryStep, CanaryStrategy, IstioTrafficRouting, Rollout};

/// Argo's default `progressDeadlineSeconds`.
pub const DEFAULT_PROGRESS_DEADLINE: i64 = 600;
/// Argo's default `revisionHistoryLimit`.
pub const DEFAULT_HISTORY_LIMIT: usize = 10;
/// Argo's default delays with traffic routing (`scaleDownDelaySeconds`, `abortScaleDownDelaySeconds`).
pub const DEFAULT_DELAY_SECONDS: i64 = 30;

pub struct Ctx<'a> {
    pub obs: &'a Observed,
    pub rollout: &'a Rollout,
    pub name: &'a str,
    pub canary: &'a CanaryStrategy,
    pub steps: &'a [CanaryStep],
    pub replicas: i32,
    pub template: &'a PodTemplateSpec,
    /// Hash of the current template: the label of an adopted ReplicaSet, else computed.
    pub current_hash: String,
    pub step_hash: String,
    pub istio: Option<&'a IstioTrafficRouting>,
    /// ReplicaSets not being deleted.
    pub replica_sets: Vec<&'a ObservedReplicaSet>,
    /// The ReplicaSet of the current template, if it exists.
    pub new_rs: Option<&'a ObservedReplicaSet>,
    /// Revision of the current template's ReplicaSet (existing or to be created).
    pub revision: i64,
}

impl<'a> Ctx<'a> {
    /// `None` when the Rollout has no canary strategy or template (validation reports both).
    pub fn new(obs: &'a Observed) -> Option<Self> {
        let rollout = &obs.rollout;
        let canary = rollout.canary()?;
        let template = rollout.spec.template.as_ref()?;
        let status = rollout.status.as_ref();
        let collision = status.and_then(|s| s.collision_count);
        let computed = pod_template_hash(template, collision);
        let replica_sets: Vec<&ObservedReplicaSet> =
            obs.replica_sets.iter().filter(|rs| !rs.deleting).collect();
        let new_rs = replica_sets
            .iter()
            .find(|rs| rs.pod_template_hash.as_deref() == Some(computed.as_str()))
            .or_else(|| {
                replica_sets.iter().find(|rs| {
                    rs.pod_template_hash.is_some()
                        && rs
                            .template
                            .as_ref()
                            .is_some_and(|t| template_matches(t, template))
                })
            })
            .copied();
        let current_hash = new_rs
            .and_then(|rs| rs.pod_template_hash.clone())
            .unwrap_or(computed);
        let max_old = replica_sets
            .iter()
            .filter(|rs| rs.pod_template_hash.as_deref() != Some(current_hash.as_str()))
            .filter_map(|rs| rs.revision)
            .max()
            .unwrap_or(0);
        let revision = match new_rs.and_then(|rs| rs.revision) {
            Some(own) if own > max_old => own,
            _ => max_old + 1,
        };
        Some(Ctx {
            obs,
            rollout,
            name: rollout.metadata.name.as_deref().unwrap_or_default(),
            canary,
            steps: canary.steps.as_slice(),
            replicas: rollout.replicas(),
            template,
            current_hash,
            step_hash: step_hash(&canary.steps),
            istio: canary
                .traffic_routing
                .as_ref()
                .and_then(|t| t.istio.as_ref()),
            replica_sets,
            new_rs,
            revision,
        })
    }

    pub fn routed(&self) -> bool {
        self.canary.has_traffic_routing()
    }

    pub fn rs_by_hash(&self, hash: Option<&str>) -> Option<&'a ObservedReplicaSet> {
        let hash = hash?;
        self.replica_sets
            .iter()
            .find(|rs| rs.pod_template_hash.as_deref() == Some(hash))
            .copied()
    }

    pub fn steps_len(&self) -> i32 {
        i32::try_from(self.steps.len()).unwrap_or(i32::MAX)
    }

    /// `currentStepIndex` of a fresh canary: 0, or none without steps.
    pub fn first_index(&self) -> Option<i32> {
        (!self.steps.is_empty()).then_some(0)
    }

    /// `currentStepIndex` once every step is done.
    pub fn last_index(&self) -> Option<i32> {
        (!self.steps.is_empty()).then(|| self.steps_len())
    }

    pub fn scale_down_delay(&self) -> i64 {
        let default = if self.routed() {
            DEFAULT_DELAY_SECONDS
        } else {
            0
        };
        self.canary
            .scale_down_delay_seconds
            .map_or(default, i64::from)
    }

    /// `abortScaleDownDelaySeconds`; `None` = 0 = scale the canary down at once.
    pub fn abort_delay(&self) -> Option<i64> {
        if !self.routed() {
            return None;
        }
        let delay = self
            .canary
            .abort_scale_down_delay_seconds
            .map_or(DEFAULT_DELAY_SECONDS, i64::from);
        (delay > 0).then_some(delay)
    }

    pub fn match_labels(&self) -> BTreeMap<String, String> {
        self.rollout
            .spec
            .selector
            .as_ref()
            .and_then(|s| s.match_labels.clone())
            .unwrap_or_default()
    }

    pub fn rs_name(&self) -> String {
        format!("{}-{}", self.name, self.current_hash)
    }
}
