//! `Rollout.status`: Argo Rollouts' field names and meanings, so that kubectl, Argo CD health checks
//! and dashboards read it naturally, plus gitcanary's own `status.gitcanary`. Everything the
//! controller needs to resume after a restart lives here.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AnalysisPhase;
use super::schema::{empty_as_none, is_false, is_zero, null_as_default};

/// Observed state of a Rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// Healthy, Progressing, Paused or Degraded; meaningful only when `observedGeneration` matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<RolloutPhase>,
    /// Why the Rollout is in its phase, e.g. `CanaryPauseStep`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `metadata.generation` the controller last acted on, as a decimal string (Argo's format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<String>,
    /// Index of the step being executed; the number of steps once all are done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step_index: Option<i32>,
    /// Hash of the steps; a change restarts the canary from step 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step_hash: Option<String>,
    /// Pod template hash of the desired (canary) ReplicaSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_pod_hash: Option<String>,
    /// Pod template hash of the stable ReplicaSet; equal to `currentPodHash` when fully promoted.
    #[serde(default, rename = "stableRS", skip_serializing_if = "Option::is_none")]
    pub stable_rs: Option<String>,
    /// Canary-specific state: traffic weights and running analyses.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "CanaryStatus::is_empty"
    )]
    pub canary: CanaryStatus,
    /// Why the controller paused; cleared by a promotion.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pause_conditions: Vec<PauseCondition>,
    /// The controller added a pause condition; with no conditions left it means "promoted, not yet acted on".
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub controller_pause: bool,
    /// The update is aborted: traffic and replicas go back to stable until a retry.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub abort: bool,
    /// When the abort was first acted on; a retry after it needs new AnalysisRuns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted_at: Option<Time>,
    /// One-shot request to skip the remaining steps; reset once promoted.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub promote_full: bool,
    /// Kubernetes-style conditions (Progressing, Available, Paused, Healthy, Completed, InvalidSpec, …).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<RolloutCondition>,
    /// Pods of all revisions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_zero"
    )]
    pub replicas: i32,
    /// Pods of the desired revision.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_zero"
    )]
    pub updated_replicas: i32,
    /// Ready pods of all revisions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_zero"
    )]
    pub ready_replicas: i32,
    /// Available pods of all revisions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_zero"
    )]
    pub available_replicas: i32,
    /// Pods receiving traffic, for an HorizontalPodAutoscaler.
    #[serde(default, rename = "HPAReplicas", skip_serializing_if = "is_zero")]
    pub hpa_replicas: i32,
    /// Label selector of the pods, as a string, for the scale subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Bumped when a ReplicaSet name collides, to change the next hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collision_count: Option<i32>,
    /// The `spec.restartAt` last honoured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_at: Option<Time>,
    /// gitcanary's own: the commit behind the current canary and the Git approvals already used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitcanary: Option<GitcanaryStatus>,
}

/// Argo's rollout phases.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum RolloutPhase {
    Healthy,
    Progressing,
    Paused,
    Degraded,
}

/// `status.canary`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStatus {
    /// The weights last written to the mesh; absent without traffic routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<TrafficWeights>,
    /// The AnalysisRun of the current analysis step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step_analysis_run_status: Option<RolloutAnalysisRunStatus>,
    /// The background AnalysisRun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_background_analysis_run_status: Option<RolloutAnalysisRunStatus>,
}

impl CanaryStatus {
    /// Nothing recorded: the field is then left out, as Argo does.
    pub fn is_empty(&self) -> bool {
        self == &CanaryStatus::default()
    }
}

/// How traffic is split right now.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficWeights {
    /// The canary's share.
    pub canary: WeightDestination,
    /// The stable share: 100 minus the canary and additional shares.
    pub stable: WeightDestination,
    /// Other destinations with weight (Argo's experiments).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional: Vec<WeightDestination>,
    /// Whether the provider confirmed the weights; Istio never does, so absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// One destination's weight and what it points at.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeightDestination {
    /// Percentage of traffic.
    pub weight: i32,
    /// The Service the traffic goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// The pods behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template_hash: Option<String>,
}

/// An AnalysisRun the Rollout is waiting on, mirrored so the decision needs no extra read.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutAnalysisRunStatus {
    /// AnalysisRun name.
    pub name: String,
    /// Its phase (absent until the run reports one).
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<AnalysisPhase>,
    /// Its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why and since when the Rollout is paused by the controller.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseCondition {
    /// What paused it.
    pub reason: PauseReason,
    /// When; a timed pause ends at this time plus its duration.
    pub start_time: Time,
}

/// Argo's pause reasons.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum PauseReason {
    /// A `pause` step.
    CanaryPauseStep,
    /// An AnalysisRun ended Inconclusive: a person decides.
    InconclusiveAnalysisRun,
    /// Argo's experiments; never written by gitcanary.
    InconclusiveExperiment,
    /// Argo's blue-green; never written by gitcanary.
    BlueGreenPause,
}

/// A Kubernetes-style condition with Argo's extra `lastUpdateTime`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutCondition {
    /// Progressing, Available, Paused, Healthy, Completed, InvalidSpec or ReplicaFailure.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// CamelCase reason, e.g. `RolloutAborted`.
    pub reason: String,
    /// Human-readable details.
    pub message: String,
    /// Last time the condition was refreshed (progress is measured from it).
    pub last_update_time: Time,
    /// Last time `status` changed.
    pub last_transition_time: Time,
}

/// `status.gitcanary`: what ties the current canary to Git, so that approvals given by commits are
/// counted once and only for the canary they were given for, across restarts.
///
/// A canary starts when a commit changes the pod template; `canaryCommit` and `canaryPodHash` record
/// that commit and the revision it produced. An approval trailer (`Promote:` …) in a later commit
/// applies to the canary only while `canaryPodHash` equals `currentPodHash` and the approving commit
/// descends from `canaryCommit`; once acted on it is appended to `approvals` and never acted on
/// again. A new canary revision replaces the whole object, which is how old approvals stop counting.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitcanaryStatus {
    /// Full hash of the commit whose manifests introduced the current canary revision; absent when
    /// the revision did not come from Git (e.g. `kubectl edit`), in which case no commit approves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_commit: Option<String>,
    /// Pod template hash that `canaryCommit` produced; approvals are void when it is no longer
    /// `status.currentPodHash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_pod_hash: Option<String>,
    /// Approvals already acted on for this canary, oldest first.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub approvals: Vec<Approval>,
}

/// One approval the controller acted on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// What was asked for.
    pub kind: ApprovalKind,
    /// Full hash of the commit carrying the trailer; absent when it came from an annotation on the
    /// live Rollout (annotations are removed once acted on, so they need no record to count once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// `currentStepIndex` when it was acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i32>,
    /// When it was acted on.
    pub at: Time,
    /// Verified signer of the commit, when allowed signers are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

/// The approvals people give through commit trailers and annotations.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ApprovalKind {
    /// `Promote:` / `gitcanary.dev/promote: step` — end the current pause or step.
    Promote,
    /// `Promote-Full:` / `gitcanary.dev/promote: full` — skip the remaining steps.
    PromoteFull,
    /// `Abort:` / `gitcanary.dev/abort` — go back to stable.
    Abort,
    /// `Retry:` / `gitcanary.dev/retry` — restart an aborted canary from step 0.
    Retry,
}
