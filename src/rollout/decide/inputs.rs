//! The inputs of a pass that change the status before anything is computed from it: a new
//! template or steps, the first deploy, approvals, and abort/retry bookkeeping.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::super::actions::{Action, Event};
use super::super::approvals::{self, Effect};
use super::super::phase::reason;
use super::super::time::to_time;
use super::context::Ctx;
use super::{Draft, progress};
use crate::api::{AnalysisPhase, GitcanaryStatus, PauseReason, RolloutStatus};

/// A new template or new steps restart the canary (§2.3): back to step 0, pauses, abort and
/// one-shot requests cleared, and — for a new template — a fresh `status.gitcanary`.
pub(super) fn reset_on_change(ctx: &Ctx<'_>, live: &RolloutStatus, draft: &mut Draft) {
    let template_changed = live.current_pod_hash.as_deref() != Some(ctx.current_hash.as_str());
    let steps_changed = live.current_step_hash.as_deref() != Some(ctx.step_hash.as_str());
    let status = &mut draft.status;
    if template_changed || steps_changed {
        status.pause_conditions.clear();
        status.controller_pause = false;
        status.abort = false;
        status.aborted_at = None;
        status.promote_full = false;
        status.canary.current_step_analysis_run_status = None;
        status.canary.current_background_analysis_run_status = None;
        status.current_step_index = ctx.first_index();
        status.current_step_hash = Some(ctx.step_hash.clone());
    }
    if template_changed {
        status.current_pod_hash = Some(ctx.current_hash.clone());
        let stable_exists = ctx.rs_by_hash(status.stable_rs.as_deref()).is_some();
        if stable_exists && status.stable_rs.as_deref() == Some(ctx.current_hash.as_str()) {
            status.current_step_index = ctx.last_index();
            draft.events.push(Event::normal(
                reason::SKIP_STEPS,
                "Rollback to stable ReplicaSets",
            ));
        }
        if live.current_pod_hash.is_some() {
            let message = format!("Rollout updated to revision {}", ctx.revision);
            draft.events.push(Event::normal(reason::UPDATED, message));
        }
    }
    let fresh = status
        .gitcanary
        .as_ref()
        .is_none_or(|g| g.canary_pod_hash.as_deref() != Some(ctx.current_hash.as_str()));
    if fresh {
        status.gitcanary = Some(GitcanaryStatus {
            canary_commit: ctx.obs.current_commit.clone(),
            canary_pod_hash: Some(ctx.current_hash.clone()),
            approvals: vec![],
        });
    }
}

/// Without a stable ReplicaSet there is nothing to compare a canary with: the first template is
/// promoted at once, skipping the steps (Argo's "Initial deploy").
pub(super) fn promote_initial_deploy(ctx: &Ctx<'_>, draft: &mut Draft) {
    if ctx.rs_by_hash(draft.status.stable_rs.as_deref()).is_some() {
        return;
    }
    progress::promote(ctx, draft, "Initial deploy");
}

/// Turns the approval that acts now into the status change Argo's kubectl plugin would patch.
pub(super) fn apply_approvals(ctx: &Ctx<'_>, draft: &mut Draft, now: DateTime<Utc>) {
    let empty = BTreeMap::new();
    let annotations = ctx.rollout.metadata.annotations.as_ref().unwrap_or(&empty);
    let status = &draft.status;
    let gitcanary = status.gitcanary.clone().unwrap_or_default();
    let state = approvals::State {
        gitcanary: &gitcanary,
        current_pod_hash: &ctx.current_hash,
        at_pause: status.pause_conditions.iter().any(|p| {
            matches!(
                p.reason,
                PauseReason::CanaryPauseStep | PauseReason::InconclusiveAnalysisRun
            )
        }),
        aborted: status.abort,
        fully_promoted: status.stable_rs.as_deref() == Some(ctx.current_hash.as_str()),
        step: status.current_step_index,
    };
    let outcome = approvals::evaluate(
        &state,
        annotations,
        &ctx.obs.git_approvals,
        &ctx.obs.reported_events,
        now,
    );
    let status = &mut draft.status;
    match outcome.effect {
        Some(Effect::PromoteStep) => {
            let step_inconclusive = status
                .canary
                .current_step_analysis_run_status
                .as_ref()
                .is_some_and(|r| r.status == Some(AnalysisPhase::Inconclusive));
            if step_inconclusive {
                status.controller_pause = false;
                status.current_step_index = status
                    .current_step_index
                    .map(|i| (i + 1).min(ctx.steps_len()));
                status.canary.current_step_analysis_run_status = None;
            }
            status.pause_conditions.clear();
        }
        Some(Effect::PromoteFull) => status.promote_full = true,
        Some(Effect::Abort) => status.abort = true,
        Some(Effect::Retry) => status.abort = false,
        None => {}
    }
    if let Some(gitcanary) = status.gitcanary.as_mut() {
        gitcanary.approvals.extend(outcome.recorded);
    }
    draft.removals.extend(
        outcome
            .remove_annotations
            .into_iter()
            .map(|key| Action::RemoveRolloutAnnotation { key }),
    );
    draft.events.extend(outcome.events);
}

/// Abort and retry bookkeeping (§2.4): an abort is stamped once, sends the step back to 0 and
/// clears pauses; clearing it (retry) restarts from step 0 with fresh analysis; full promotion
/// leaves an abort; a fully promoted rollout has nothing to abort.
pub(super) fn settle_abort(ctx: &Ctx<'_>, draft: &mut Draft, now: DateTime<Utc>) {
    let status = &mut draft.status;
    let fully_promoted = status.stable_rs.as_deref() == Some(ctx.current_hash.as_str());
    if status.abort && fully_promoted {
        status.abort = false;
        status.aborted_at = None;
    }
    if status.promote_full && !fully_promoted {
        status.abort = false;
        status.aborted_at = None;
        status.pause_conditions.clear();
    }
    if status.abort {
        if status.aborted_at.is_none() {
            status.aborted_at = Some(to_time(now));
        }
        status.current_step_index = ctx.first_index();
        status.pause_conditions.clear();
        status.controller_pause = false;
    } else if status.aborted_at.is_some() {
        status.aborted_at = None;
        status.current_step_index = if fully_promoted {
            ctx.last_index()
        } else {
            ctx.first_index()
        };
        status.canary.current_step_analysis_run_status = None;
        status.canary.current_background_analysis_run_status = None;
        draft.retrying = !fully_promoted && !status.promote_full;
    }
}
