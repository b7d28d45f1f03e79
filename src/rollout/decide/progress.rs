//! Moving through the recipe (§2.1–2.2, §5.7): analysis runs, pauses, step completion and the
//! final promotion.

use chrono::{DateTime, Utc};

use super::super::actions::{Action, Event, NewAnalysisRun};
use super::super::analysis::{
    Judgement, RunKind, base_name, free_name, judge, metadata, phase_event,
};
use super::super::steps::{current_step, pause_duration};
use super::super::time::{from_time, seconds, to_time};
use super::context::Ctx;
use super::{Draft, Stage, Waiting, phase::reason};
use crate::api::{
    AnalysisPhase, PauseCondition, PauseReason, RolloutAnalysis, RolloutAnalysisRunStatus, StepKind,
};

/// Makes the current template the stable one.
pub(super) fn promote(ctx: &Ctx<'_>, draft: &mut Draft, why: &str) {
    let status = &mut draft.status;
    status.stable_rs = Some(ctx.current_hash.clone());
    status.current_step_index = ctx.last_index();
    status.promote_full = false;
    status.abort = false;
    status.aborted_at = None;
    status.pause_conditions.clear();
    status.controller_pause = false;
    let message = format!(
        "Rollout completed update to revision {} ({}): {why}",
        ctx.revision, ctx.current_hash
    );
    draft.event(Event::normal(reason::COMPLETED, message));
}

fn add_pause(draft: &mut Draft, reason: PauseReason, now: DateTime<Utc>) {
    if !draft
        .status
        .pause_conditions
        .iter()
        .any(|p| p.reason == reason)
    {
        draft.status.pause_conditions.push(PauseCondition {
            reason,
            start_time: to_time(now),
        });
    }
    draft.status.controller_pause = true;
}

/// Follows one run: creates it when missing, mirrors its phase into the status, and returns its
/// judgement.
fn follow_run(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    kind: RunKind,
    analysis: &RolloutAnalysis,
) -> (String, Judgement) {
    let mirror = match kind {
        RunKind::Step(_) => draft.status.canary.current_step_analysis_run_status.clone(),
        RunKind::Background => draft
            .status
            .canary
            .current_background_analysis_run_status
            .clone(),
    };
    let name = mirror.as_ref().map(|m| m.name.clone()).unwrap_or_else(|| {
        let base = base_name(ctx.name, &ctx.current_hash, ctx.revision, kind);
        match super::super::analysis::running_with_base(&base, &ctx.obs.analysis_runs) {
            Some(run) => run.name.clone(),
            None => free_name(&base, &ctx.obs.analysis_runs),
        }
    });
    let observed = ctx.obs.analysis_runs.iter().find(|r| r.name == name);
    let Some(run) = observed else {
        let (labels, annotations) = metadata(
            analysis,
            &ctx.match_labels(),
            &ctx.current_hash,
            ctx.revision,
            kind,
        );
        draft
            .analysis
            .push(Action::CreateAnalysisRun(NewAnalysisRun {
                name: name.clone(),
                labels,
                annotations,
                analysis: analysis.clone(),
                stable_pod_hash: draft.status.stable_rs.clone(),
                latest_pod_hash: ctx.current_hash.clone(),
            }));
        let status = Some(RolloutAnalysisRunStatus {
            name: name.clone(),
            status: None,
            message: None,
        });
        match kind {
            RunKind::Step(_) => draft.status.canary.current_step_analysis_run_status = status,
            RunKind::Background => {
                draft.status.canary.current_background_analysis_run_status = status
            }
        }
        return (name, Judgement::Running);
    };
    let previous = mirror.and_then(|m| m.status);
    if let Some(phase) = run.phase.filter(|p| Some(*p) != previous) {
        let (reason, message) = phase_event(kind, &run.name, phase, previous);
        let event = match phase {
            AnalysisPhase::Failed | AnalysisPhase::Error => Event::warning(&reason, message),
            _ => Event::normal(&reason, message),
        };
        draft.event(event);
    }
    let status = Some(RolloutAnalysisRunStatus {
        name: run.name.clone(),
        status: run.phase,
        message: run.message.clone(),
    });
    match kind {
        RunKind::Step(_) => draft.status.canary.current_step_analysis_run_status = status,
        RunKind::Background => draft.status.canary.current_background_analysis_run_status = status,
    }
    (name, judge(kind, run.phase, run.message.as_deref()))
}

fn react(draft: &mut Draft, judgement: Judgement, now: DateTime<Utc>) {
    match judgement {
        Judgement::Running | Judgement::Successful => {}
        Judgement::Inconclusive => add_pause(draft, PauseReason::InconclusiveAnalysisRun, now),
        Judgement::Abort(message) => {
            draft.status.abort = true;
            draft.status.aborted_at = Some(to_time(now));
            draft.status.pause_conditions.clear();
            draft.status.controller_pause = false;
            draft.abort_message = Some(message);
        }
    }
}

/// Step and background analysis: create what is needed, react to finished runs, terminate runs
/// that are no longer wanted (step left, promoted, aborted).
pub(super) fn analysis(ctx: &Ctx<'_>, draft: &mut Draft, now: DateTime<Utc>) {
    let mut wanted: Vec<String> = vec![];
    let status = &draft.status;
    let fully_promoted = status.stable_rs.as_deref() == Some(ctx.current_hash.as_str());
    let active =
        !fully_promoted && !status.abort && !status.promote_full && !ctx.rollout.spec.paused;
    let step = current_step(ctx.steps, status.current_step_index);
    if let Some((index, step)) = step.filter(|_| active)
        && let Some(analysis) = step.analysis.as_ref()
    {
        let (name, judgement) = follow_run(ctx, draft, RunKind::Step(index), analysis);
        wanted.push(name);
        react(draft, judgement, now);
    }
    let background = ctx.canary.analysis.as_ref();
    let stable_exists = ctx.rs_by_hash(draft.status.stable_rs.as_deref()).is_some();
    let started = draft
        .status
        .current_step_index
        .is_none_or(|i| i >= background.and_then(|b| b.starting_step).unwrap_or(0));
    let resumed = draft
        .status
        .canary
        .current_background_analysis_run_status
        .as_ref()
        .is_some_and(|r| r.status == Some(AnalysisPhase::Inconclusive))
        && !draft
            .status
            .pause_conditions
            .iter()
            .any(|p| p.reason == PauseReason::InconclusiveAnalysisRun);
    if resumed {
        draft.status.canary.current_background_analysis_run_status = None;
    }
    let background_active = active && !draft.status.abort && stable_exists && started;
    if let Some(background) = background.filter(|_| background_active) {
        let (name, judgement) = follow_run(ctx, draft, RunKind::Background, &background.analysis);
        wanted.push(name);
        react(draft, judgement, now);
    }
    for run in &ctx.obs.analysis_runs {
        let finished = run.phase.is_some_and(AnalysisPhase::is_completed);
        if !run.terminating && !finished && !wanted.contains(&run.name) {
            draft.analysis.push(Action::TerminateAnalysisRun {
                name: run.name.clone(),
            });
        }
    }
}

/// Marks the current step done and moves to the next one.
fn complete_step(ctx: &Ctx<'_>, draft: &mut Draft, index: usize) {
    let status = &mut draft.status;
    status.current_step_index = Some(i32::try_from(index + 1).unwrap_or(i32::MAX));
    status.canary.current_step_analysis_run_status = None;
    status
        .pause_conditions
        .retain(|p| p.reason != PauseReason::CanaryPauseStep);
    status.controller_pause = !status.pause_conditions.is_empty();
    let message = format!(
        "Rollout step {}/{} completed ({})",
        index + 1,
        ctx.steps.len(),
        ctx.steps[index]
    );
    draft.event(Event::normal(reason::STEP_COMPLETED, message));
}

/// A pause step: adds the pause condition on arrival; done when it expires or a person removed it
/// (`controllerPause` still set with no condition left). Time counts from the stored start, so a
/// restart neither resets nor skips it.
fn pause_done(
    draft: &mut Draft,
    step: i32,
    duration: Option<std::time::Duration>,
    now: DateTime<Utc>,
) -> bool {
    let condition = draft
        .status
        .pause_conditions
        .iter()
        .find(|p| p.reason == PauseReason::CanaryPauseStep)
        .map(|p| from_time(&p.start_time));
    let start = match condition {
        Some(start) => start,
        None if draft.status.controller_pause => return true,
        None => {
            add_pause(draft, PauseReason::CanaryPauseStep, now);
            now
        }
    };
    let Some(duration) = duration else {
        draft.waiting.push(Waiting::Pause { step, until: None });
        return false;
    };
    let expiry = start + seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX));
    if now >= expiry {
        return true;
    }
    draft.waiting.push(Waiting::Pause {
        step,
        until: Some(expiry),
    });
    draft.requeue_at(expiry);
    false
}

/// Completes the current step if it is done, or promotes once every step is.
pub(super) fn advance(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    stage: Stage,
    at_desired: Result<(), Waiting>,
    now: DateTime<Utc>,
) {
    if ctx.rollout.spec.paused {
        draft.waiting.push(Waiting::ManualPause);
        return;
    }
    let inconclusive = [
        &draft.status.canary.current_step_analysis_run_status,
        &draft.status.canary.current_background_analysis_run_status,
    ]
    .into_iter()
    .flatten()
    .find(|r| r.status == Some(AnalysisPhase::Inconclusive))
    .map(|r| r.name.clone());
    let halted = draft
        .status
        .pause_conditions
        .iter()
        .any(|p| p.reason == PauseReason::InconclusiveAnalysisRun);
    if halted {
        draft.waiting.push(Waiting::InconclusiveAnalysis {
            run: inconclusive.unwrap_or_default(),
        });
        return;
    }
    match stage {
        Stage::FullyPromoted | Stage::Aborted => {}
        Stage::PromotingFull | Stage::StepsDone { .. } => {
            let available = ctx.new_rs.map_or(0, |rs| rs.available_replicas);
            if available < ctx.replicas {
                draft.waiting.push(Waiting::Promotion {
                    available,
                    desired: ctx.replicas,
                });
                return;
            }
            let why = match stage {
                Stage::PromotingFull => "Full promotion requested".to_owned(),
                _ => format!("Completed all {} canary steps", ctx.steps.len()),
            };
            promote(ctx, draft, &why);
            draft.status.canary.current_background_analysis_run_status = None;
        }
        Stage::AtStep(index) => {
            let step = &ctx.steps[index];
            let done = match step.kind() {
                Some(StepKind::SetWeight) | Some(StepKind::SetCanaryScale) => match at_desired {
                    Ok(()) => draft
                        .status
                        .canary
                        .weights
                        .as_ref()
                        .is_none_or(|w| w.verified != Some(false)),
                    Err(waiting) => {
                        draft.waiting.push(waiting);
                        false
                    }
                },
                Some(StepKind::Pause) => {
                    let duration = pause_duration(step, index).flatten();
                    let step_index = i32::try_from(index).unwrap_or(i32::MAX);
                    pause_done(draft, step_index, duration, now)
                }
                Some(StepKind::Analysis) => {
                    let run = draft
                        .status
                        .canary
                        .current_step_analysis_run_status
                        .as_ref();
                    let done = run.is_some_and(|r| r.status == Some(AnalysisPhase::Successful));
                    if let Some(run) = run.filter(|_| !done) {
                        draft.waiting.push(Waiting::Analysis {
                            run: run.name.clone(),
                        });
                    }
                    done
                }
                _ => false,
            };
            if done {
                complete_step(ctx, draft, index);
            }
        }
    }
}
