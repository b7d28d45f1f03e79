//! The dashboard's JSON of a Rollout: a summary for the list, and the detail of one (steps,
//! weights, images, replicas, pause and how to approve it, analysis runs, revisions).

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use serde::Serialize;

use super::analysis::{AnalysisRunView, runs};
use super::objects::{Role, RolloutObjects, canary_hash, images, rs_hash};
use super::revisions::{RevisionView, revisions};
use super::step_position;
use super::steps::{StepView, steps};
use super::traffic::{LiveVirtualService, VirtualServiceView, virtual_services};
use crate::api::{Approval, PauseReason, RolloutPhase, RolloutStatus};
use crate::rollout::request::{Request, trailer_target};
use crate::rollout::steps::{current_step, pause_duration};
use crate::rollout::time::from_time;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSummary {
    pub namespace: String,
    pub name: String,
    /// Argo's phase as `get rollout` computes it: Healthy, Progressing, Paused or Degraded.
    pub phase: RolloutPhase,
    pub message: String,
    /// `i/n` as `get rollout` prints it; empty without steps.
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_step_index: Option<i32>,
    pub step_count: usize,
    /// The weight the current step asks for.
    pub set_weight: i32,
    /// The weight the mesh was given (with traffic routing), or the canary's share of pods.
    pub actual_weight: i32,
    pub stable_images: Vec<String>,
    pub canary_images: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<PauseReason>,
    pub aborted: bool,
    pub replicas: Replicas,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    pub desired: i32,
    pub current: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutDetail {
    #[serde(flatten)]
    pub summary: RolloutSummary,
    pub steps: Vec<StepView>,
    pub weights: Weights,
    pub virtual_services: Vec<VirtualServiceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause: Option<PauseView>,
    pub approve: ApproveHints,
    pub actions: Actions,
    /// Full hash of the commit that introduced the current canary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_commit: Option<String>,
    /// Approvals already acted on for the current canary, oldest first.
    pub approvals: Vec<Approval>,
    pub analysis_runs: Vec<AnalysisRunView>,
    pub revisions: Vec<RevisionView>,
}

/// Set and actual weights, and the split the controller last wrote (`status.canary.weights`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Weights {
    pub set: i32,
    pub actual: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable_service: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PauseView {
    pub reason: PauseReason,
    pub since: DateTime<Utc>,
    /// When a timed pause step ends by itself; absent for a pause that waits for a promotion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
}

/// The ways to approve (promote) the current pause outside the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproveHints {
    /// `kubectl annotate rollout NAME -n NS gitcanary.dev/promote=step`.
    pub annotation: String,
    /// `gitcanary promote NAME -n NS`.
    pub cli: String,
    /// The commit trailer, `Promote: NS/NAME`.
    pub trailer: String,
    /// A whole `git commit` that carries the trailer.
    pub commit: String,
}

/// Which requests make sense now (the buttons the page enables).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actions {
    pub promote: bool,
    pub promote_full: bool,
    pub abort: bool,
    pub retry: bool,
}

/// A canary in progress can be promoted or aborted; an aborted one retried (or promoted fully,
/// which leaves the abort, as Argo's `promote --full` does).
pub fn actions(status: &RolloutStatus) -> Actions {
    let canary = canary_hash(status).is_some();
    Actions {
        promote: canary && !status.abort,
        promote_full: canary,
        abort: canary && !status.abort,
        retry: status.abort,
    }
}

pub fn approve_hints(namespace: &str, name: &str) -> ApproveHints {
    let trailer = format!(
        "{}: {}",
        Request::Promote.trailer(),
        trailer_target(Some(namespace), name)
    );
    ApproveHints {
        annotation: Request::Promote.kubectl(namespace, name),
        cli: format!("gitcanary promote {name} -n {namespace}"),
        commit: format!("git commit --allow-empty -m 'Promote {name}' -m '{trailer}'"),
        trailer,
    }
}

fn pause(o: &RolloutObjects, status: &RolloutStatus) -> Option<PauseView> {
    let condition = status.pause_conditions.first()?;
    let since = from_time(&condition.start_time);
    let ends_at = match condition.reason {
        PauseReason::CanaryPauseStep => current_step(o.rollout.steps(), status.current_step_index)
            .and_then(|(i, step)| pause_duration(step, i).flatten())
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| since + d),
        _ => None,
    };
    Some(PauseView {
        reason: condition.reason,
        since,
        ends_at,
    })
}

fn canary_available(o: &RolloutObjects, status: &RolloutStatus) -> i32 {
    let canary = canary_hash(status);
    o.replica_sets
        .iter()
        .find(|rs| canary.is_some() && rs_hash(rs) == canary)
        .and_then(|rs| rs.status.as_ref()?.available_replicas)
        .unwrap_or(0)
}

pub fn summary(o: &RolloutObjects) -> RolloutSummary {
    let r = &o.rollout;
    let status = r.status.clone().unwrap_or_default();
    let (phase, message) = crate::rollout::phase::phase(r, &status);
    let position = step_position(r, canary_available(o, &status));
    let by_role = |role: Role| -> Vec<String> {
        images(&o.replica_sets, &status)
            .into_iter()
            .filter(|(_, roles)| roles.contains(&role))
            .map(|(image, _)| image)
            .collect()
    };
    RolloutSummary {
        namespace: r.namespace().unwrap_or_default(),
        name: r.name_any(),
        phase,
        message,
        step: position.text(),
        current_step_index: position.index,
        step_count: position.count,
        set_weight: position.set_weight,
        actual_weight: position.actual_weight,
        stable_images: by_role(Role::Stable),
        canary_images: by_role(Role::Canary),
        pause_reason: status.pause_conditions.first().map(|p| p.reason),
        aborted: status.abort,
        replicas: Replicas {
            desired: r.replicas(),
            current: status.replicas,
            updated: status.updated_replicas,
            ready: status.ready_replicas,
            available: status.available_replicas,
        },
    }
}

pub fn detail(o: &RolloutObjects, live: &[LiveVirtualService]) -> RolloutDetail {
    let r = &o.rollout;
    let status = r.status.clone().unwrap_or_default();
    let summary = summary(o);
    let written = status.canary.weights.as_ref();
    let canary = r.canary();
    RolloutDetail {
        steps: steps(r.steps(), status.current_step_index),
        weights: Weights {
            set: summary.set_weight,
            actual: summary.actual_weight,
            canary: written.map(|w| w.canary.weight),
            stable: written.map(|w| w.stable.weight),
            canary_service: canary.and_then(|c| c.canary_service.clone()),
            stable_service: canary.and_then(|c| c.stable_service.clone()),
        },
        virtual_services: virtual_services(r, live),
        pause: pause(o, &status),
        approve: approve_hints(&summary.namespace, &summary.name),
        actions: actions(&status),
        canary_commit: status
            .gitcanary
            .as_ref()
            .and_then(|g| g.canary_commit.clone()),
        approvals: status
            .gitcanary
            .as_ref()
            .map(|g| g.approvals.clone())
            .unwrap_or_default(),
        analysis_runs: runs(&o.analysis_runs),
        revisions: revisions(&o.replica_sets, &status),
        summary,
    }
}

#[cfg(test)]
mod tests;
