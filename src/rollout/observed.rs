//! `Observed`: everything one decision needs, as plain data. The I/O loop fills it from its watch
//! caches (the `from_*` constructors do the field picking) and never has to interpret anything; the
//! decision never reads anything else, so a restarted daemon given the same objects decides the same.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{PodTemplateSpec, Service};
use serde_json::Value;

use super::hash::HASH_LABEL;
use super::time::{from_time, parse_rfc3339};
use crate::api::{AnalysisPhase, ApprovalKind, Rollout};

/// Annotation with a ReplicaSet's revision number (also on the Rollout).
pub const REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";
/// Annotation with `spec.replicas` of the Rollout when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS_ANNOTATION: &str = "rollout.argoproj.io/desired-replicas";
/// Annotation (bare key, as Argo's code has it) with the instant an old ReplicaSet goes to 0.
pub const SCALE_DOWN_DEADLINE_ANNOTATION: &str = "scale-down-deadline";
/// Annotation marking Services and DestinationRules whose hash fields a Rollout manages.
pub const MANAGED_BY_ANNOTATION: &str = "argo-rollouts.argoproj.io/managed-by-rollouts";

/// The world as one Rollout sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// The live Rollout, with its status and annotations.
    pub rollout: Rollout,
    /// ReplicaSets the Rollout controls (owner reference), any revision.
    pub replica_sets: Vec<ObservedReplicaSet>,
    /// The canary and stable Services by name; a missing entry means the Service does not exist.
    pub services: BTreeMap<String, ObservedService>,
    /// Referenced VirtualServices, keyed by the reference exactly as written in the Rollout
    /// (`name` or `name.namespace`); a missing entry means it does not exist.
    pub virtual_services: BTreeMap<String, ObservedObject>,
    /// The referenced DestinationRule, if the Rollout names one and it exists.
    pub destination_rule: Option<ObservedObject>,
    /// AnalysisRuns the Rollout owns.
    pub analysis_runs: Vec<ObservedAnalysisRun>,
    /// Names of AnalysisTemplates in the namespace; `None` when not looked up (checks skipped).
    pub analysis_templates: Option<BTreeSet<String>>,
    /// Names of ClusterAnalysisTemplates; `None` when not looked up.
    pub cluster_analysis_templates: Option<BTreeSet<String>>,
    /// The Git commit the running snapshot came from; `None` when the live template did not come
    /// from Git (then no commit can approve the canary it starts).
    pub current_commit: Option<String>,
    /// Approval trailers for this Rollout on the tracked branch, in any order.
    pub git_approvals: Vec<GitApproval>,
    /// Keys of once-only Events already recorded (see `Event::key`); may be left empty, the loop
    /// also names such Events after their key so a repeat is refused by the server.
    pub reported_events: BTreeSet<String>,
}

/// One ReplicaSet, reduced to what decisions use.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedReplicaSet {
    pub name: String,
    /// `rollouts-pod-template-hash` label.
    pub pod_template_hash: Option<String>,
    /// `rollout.argoproj.io/revision` annotation.
    pub revision: Option<i64>,
    /// `spec.replicas` (default 1, as the API server defaults it).
    pub replicas: i32,
    pub status_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    /// `scale-down-deadline` annotation exactly as written; see [`Self::deadline`].
    pub scale_down_deadline: Option<String>,
    pub created: Option<DateTime<Utc>>,
    /// Being deleted (`deletionTimestamp` set): neither counted nor touched.
    pub deleting: bool,
    /// `metadata.generation` == `status.observedGeneration`: its status can be trusted.
    pub generation_observed: bool,
    pub template: Option<PodTemplateSpec>,
}

impl ObservedReplicaSet {
    /// Picks the fields decisions need from a ReplicaSet.
    pub fn from_replica_set(rs: &ReplicaSet) -> Self {
        let meta = &rs.metadata;
        let annotations = meta.annotations.clone().unwrap_or_default();
        let status = rs.status.as_ref();
        ObservedReplicaSet {
            name: meta.name.clone().unwrap_or_default(),
            pod_template_hash: meta
                .labels
                .as_ref()
                .and_then(|l| l.get(HASH_LABEL))
                .cloned(),
            revision: annotations
                .get(REVISION_ANNOTATION)
                .and_then(|r| r.parse().ok()),
            replicas: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            status_replicas: status.map_or(0, |s| s.replicas),
            ready_replicas: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            available_replicas: status.and_then(|s| s.available_replicas).unwrap_or(0),
            scale_down_deadline: annotations.get(SCALE_DOWN_DEADLINE_ANNOTATION).cloned(),
            created: meta.creation_timestamp.as_ref().map(from_time),
            deleting: meta.deletion_timestamp.is_some(),
            generation_observed: status.and_then(|s| s.observed_generation) >= meta.generation,
            template: rs.spec.as_ref().and_then(|s| s.template.clone()),
        }
    }

    /// The scale-down deadline, if set and readable.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        self.scale_down_deadline.as_deref().and_then(parse_rfc3339)
    }

    /// Every pod asked for is available (and at least one is asked for).
    pub fn fully_available(&self) -> bool {
        self.replicas > 0 && self.available_replicas >= self.replicas
    }
}

/// A Service's live selector and ownership mark.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedService {
    pub name: String,
    /// `spec.selector`, written back whole because the server treats it as one atomic value.
    pub selector: BTreeMap<String, String>,
    /// `argo-rollouts.argoproj.io/managed-by-rollouts` annotation.
    pub managed_by: Option<String>,
}

impl ObservedService {
    /// Picks the fields decisions need from a Service.
    pub fn from_service(service: &Service) -> Self {
        ObservedService {
            name: service.metadata.name.clone().unwrap_or_default(),
            selector: service
                .spec
                .as_ref()
                .and_then(|s| s.selector.clone())
                .unwrap_or_default(),
            managed_by: service
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(MANAGED_BY_ANNOTATION))
                .cloned(),
        }
    }

    /// The revision the Service points at.
    pub fn hash(&self) -> Option<&str> {
        self.selector.get(HASH_LABEL).map(String::as_str)
    }
}

/// An Istio object kept as JSON (its schema is Istio's business), with the version it was read at
/// so a write computed from it can be refused if someone changed it meanwhile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedObject {
    pub name: String,
    pub namespace: Option<String>,
    pub resource_version: Option<String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: Value,
}

impl ObservedObject {
    /// Picks name, namespace, resourceVersion, annotations and spec from any object as JSON.
    pub fn from_json(object: &Value) -> Self {
        let text = |ptr: &str| {
            object
                .pointer(ptr)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        ObservedObject {
            name: text("/metadata/name").unwrap_or_default(),
            namespace: text("/metadata/namespace"),
            resource_version: text("/metadata/resourceVersion"),
            annotations: object
                .pointer("/metadata/annotations")
                .and_then(|a| serde_json::from_value(a.clone()).ok())
                .unwrap_or_default(),
            spec: object.get("spec").cloned().unwrap_or(Value::Null),
        }
    }
}

/// An AnalysisRun as the rollout reacts to it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedAnalysisRun {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `status.phase`; `None` before the analysis controller reported one.
    pub phase: Option<AnalysisPhase>,
    pub message: Option<String>,
    /// `spec.terminate` was set.
    pub terminating: bool,
}

impl ObservedAnalysisRun {
    /// Picks the fields the rollout needs from an AnalysisRun as JSON.
    pub fn from_json(object: &Value) -> Self {
        let text = |ptr: &str| {
            object
                .pointer(ptr)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        ObservedAnalysisRun {
            name: text("/metadata/name").unwrap_or_default(),
            labels: object
                .pointer("/metadata/labels")
                .and_then(|a| serde_json::from_value(a.clone()).ok())
                .unwrap_or_default(),
            phase: object
                .pointer("/status/phase")
                .filter(|p| p.as_str().is_some_and(|s| !s.is_empty()))
                .and_then(|p| serde_json::from_value(p.clone()).ok()),
            message: text("/status/message").filter(|m| !m.is_empty()),
            terminating: object
                .pointer("/spec/terminate")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }
}

/// A `Promote:`/`Promote-Full:`/`Abort:`/`Retry:` trailer naming this Rollout.
#[derive(Clone, Debug, PartialEq)]
pub struct GitApproval {
    pub kind: ApprovalKind,
    /// Full hash of the commit carrying the trailer.
    pub commit: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// Committer time: orders approvals.
    pub committed_at: DateTime<Utc>,
    pub verdict: Verdict,
    /// Whether `commit` descends from (and is not) `status.gitcanary.canaryCommit` of the live
    /// Rollout, as computed by the I/O layer with git; `None` when it could not tell.
    pub descends_from_canary_commit: Option<bool>,
}

/// Whether the signature policy allows the approval.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Allowed; `signer` is the verified signer when signers are configured.
    Accepted { signer: Option<String> },
    /// Refused, e.g. unsigned while signers are configured.
    Rejected { reason: String },
}
