//! What a decision asks the I/O loop to do. Each action carries the complete value to write, so the
//! loop executes it with one server-side apply (field manager `gitcanary-rollout`) or one create,
//! delete or Event, without reading anything first.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use crate::api::{RolloutAnalysis, RolloutStatus};

/// The outcome of [`decide`](super::decide).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// In order: annotation removals first (an approval is then acted on at most once even if a
    /// later write fails), then ReplicaSets, Services, mesh objects, AnalysisRuns, Events.
    pub actions: Vec<Action>,
    /// The complete new status. Write it (after the actions) only when
    /// [`status_changed`](super::status_changed) says it differs from the live one.
    pub status: RolloutStatus,
    /// Reconcile again after this long even if nothing changes (a pause or delay expires);
    /// `None`: only when something is observed to change.
    pub requeue_after: Option<Duration>,
    /// Why the canary is not moving on yet (for logs and `get rollout`).
    pub waiting: Vec<super::Waiting>,
    /// What went wrong on the way; also reported as Warning Events.
    pub errors: Vec<super::RolloutError>,
}

/// One change to make in the cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create ReplicaSet `name`, controlled by the Rollout (ownerReference controller=true).
    CreateReplicaSet(Box<NewReplicaSet>),
    /// Set `spec.replicas`, the `rollout.argoproj.io/desired-replicas` annotation and the
    /// `scale-down-deadline` annotation (removed when `None`) of an existing ReplicaSet.
    ScaleReplicaSet {
        name: String,
        replicas: i32,
        desired_replicas_annotation: i32,
        scale_down_deadline: Option<String>,
    },
    /// Delete an old ReplicaSet beyond `revisionHistoryLimit`.
    DeleteReplicaSet { name: String },
    /// Apply `spec.selector` (the whole map: the server treats it as atomic) and the
    /// `argo-rollouts.argoproj.io/managed-by-rollouts: <managed_by>` annotation.
    SetServiceSelector {
        service: String,
        selector: BTreeMap<String, String>,
        managed_by: String,
    },
    /// Apply these route lists (each atomic on the server) to a VirtualService, only if it is still
    /// at `resource_version` (they were computed from that version). `None` lists are left alone.
    WriteVirtualService {
        name: String,
        namespace: Option<String>,
        resource_version: Option<String>,
        http: Option<Value>,
        tls: Option<Value>,
        tcp: Option<Value>,
    },
    /// Apply `spec.subsets` (atomic) and the managed-by annotation to a DestinationRule, only if it
    /// is still at `resource_version`.
    WriteDestinationRule {
        name: String,
        resource_version: Option<String>,
        subsets: Value,
        managed_by: String,
    },
    /// Create an AnalysisRun from the Rollout's analysis (the analysis layer resolves templates and
    /// arguments); AlreadyExists means an earlier attempt succeeded.
    CreateAnalysisRun(NewAnalysisRun),
    /// Set `spec.terminate: true` on a running AnalysisRun.
    TerminateAnalysisRun { name: String },
    /// Remove an annotation from the Rollout (a consumed `gitcanary.dev/*` request).
    RemoveRolloutAnnotation { key: String },
    /// Record a Kubernetes Event on the Rollout.
    RecordEvent(Event),
}

/// Everything needed to create a ReplicaSet for the current template.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReplicaSet {
    /// `<rollout>-<pod_template_hash>`.
    pub name: String,
    pub pod_template_hash: String,
    pub replicas: i32,
    pub min_ready_seconds: Option<i32>,
    /// Rollout selector plus the hash label.
    pub selector: LabelSelector,
    /// Template labels plus the hash label.
    pub labels: BTreeMap<String, String>,
    /// Rollout annotations (minus Argo's excluded ones) plus revision and desired-replicas.
    pub annotations: BTreeMap<String, String>,
    /// The Rollout's template with the hash label added to its labels.
    pub template: PodTemplateSpec,
}

/// An AnalysisRun the rollout needs, named as Argo names it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAnalysisRun {
    pub name: String,
    /// `rollouts-pod-template-hash`, `rollout-type`, `step-index` and the Rollout's match labels,
    /// plus `analysisRunMetadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `rollout.argoproj.io/revision` plus `analysisRunMetadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// Templates, arguments, dry-run and retention as the Rollout wrote them.
    pub analysis: RolloutAnalysis,
    /// For `valueFrom.podTemplateHashValue: Stable`.
    pub stable_pod_hash: Option<String>,
    /// For `valueFrom.podTemplateHashValue: Latest`.
    pub latest_pod_hash: String,
}

/// A Kubernetes Event on the Rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// Argo's reason where Argo has one (`RolloutStepCompleted`, `TrafficWeightUpdated`, …).
    pub reason: String,
    pub message: String,
    /// Set for once-only Events: the loop names the Event after the key (refused if it exists)
    /// and decisions skip keys listed in `Observed::reported_events`.
    pub key: Option<String>,
}

/// Event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Normal,
    Warning,
}

impl Event {
    pub fn normal(reason: &str, message: impl Into<String>) -> Self {
        Event {
            kind: EventKind::Normal,
            reason: reason.to_owned(),
            message: message.into(),
            key: None,
        }
    }

    pub fn warning(reason: &str, message: impl Into<String>) -> Self {
        Event {
            kind: EventKind::Warning,
            reason: reason.to_owned(),
            message: message.into(),
            key: None,
        }
    }

    /// Marks the Event as once-only.
    pub fn once(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}
