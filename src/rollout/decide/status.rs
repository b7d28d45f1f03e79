//! The rest of the status (§1.4, §2.6): replica counts, conditions with Argo's reasons and
//! messages, the progress deadline, phase and message, and Events for state changes.

use chrono::{DateTime, Utc};

use super::super::actions::Event;
use super::super::phase::{
    self, AVAILABLE, COMPLETED, HEALTHY, PAUSED, PROGRESSING, condition, refresh_condition,
    remove_condition, set_condition,
};
use super::super::steps::current_step;
use super::super::time::{from_time, seconds, to_time};
use super::context::{Ctx, DEFAULT_PROGRESS_DEADLINE};
use super::{Draft, phase::reason};
use crate::api::{RolloutStatus, StepKind};

fn counts(ctx: &Ctx<'_>, status: &mut RolloutStatus) {
    let all = &ctx.replica_sets;
    status.replicas = all.iter().map(|rs| rs.status_replicas).sum();
    status.ready_replicas = all.iter().map(|rs| rs.ready_replicas).sum();
    status.available_replicas = all.iter().map(|rs| rs.available_replicas).sum();
    status.hpa_replicas = status.replicas;
    status.updated_replicas = ctx.new_rs.map_or(0, |rs| rs.status_replicas);
    status.selector = Some(
        ctx.match_labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    );
}

/// Argo's RolloutHealthy: everything updated and available, all steps done, promoted, no old
/// pods, and the spec generation already seen.
fn healthy(ctx: &Ctx<'_>, live: &RolloutStatus, status: &RolloutStatus) -> bool {
    let generation = ctx.rollout.metadata.generation.map(|g| g.to_string());
    let steps_done = ctx.steps.is_empty() || status.current_step_index == ctx.last_index();
    status.updated_replicas == ctx.replicas
        && status.available_replicas == ctx.replicas
        && live.observed_generation == generation
        && steps_done
        && status.stable_rs.is_some()
        && status.stable_rs == status.current_pod_hash
        && status.replicas == ctx.replicas
}

/// Argo's RolloutProgressing: something moved since the last status.
fn progressed(old: &RolloutStatus, new: &RolloutStatus) -> bool {
    let step_moved =
        matches!((old.current_step_index, new.current_step_index), (Some(a), Some(b)) if a != b);
    new.updated_replicas != old.updated_replicas
        || new.replicas - new.updated_replicas < old.replicas - old.updated_replicas
        || new.ready_replicas > old.ready_replicas
        || new.available_replicas > old.available_replicas
        || new.stable_rs != old.stable_rs
        || new.current_step_hash != old.current_step_hash
        || step_moved
}

fn abort_message(ctx: &Ctx<'_>, draft: &Draft) -> String {
    let mut message = format!("Rollout aborted update to revision {}", ctx.revision);
    if let Some(why) = &draft.abort_message {
        message.push_str(": ");
        message.push_str(why);
    }
    message
}

/// Sets the Progressing condition from pause, abort, retry and progress, and checks the deadline.
fn progressing(ctx: &Ctx<'_>, live: &RolloutStatus, draft: &mut Draft, now: DateTime<Utc>) {
    let rs_name = ctx.rs_name();
    let paused = !draft.status.pause_conditions.is_empty() || ctx.rollout.spec.paused;
    let previous = condition(live, PROGRESSING).map(|c| c.reason.clone());
    if draft.status.abort {
        let message = abort_message(ctx, draft);
        if set_condition(
            &mut draft.status,
            PROGRESSING,
            "False",
            reason::ABORTED,
            &message,
            now,
        ) {
            draft.event(Event::warning(reason::ABORTED, message));
        }
        return;
    }
    if draft.retrying {
        set_condition(
            &mut draft.status,
            PROGRESSING,
            "Unknown",
            reason::RETRY,
            "Retrying Rollout after abort",
            now,
        );
        return;
    }
    if paused {
        set_condition(
            &mut draft.status,
            PROGRESSING,
            "Unknown",
            reason::PAUSED,
            "Rollout is paused",
            now,
        );
        return;
    }
    if healthy(ctx, live, &draft.status) {
        let message = format!("ReplicaSet \"{rs_name}\" has successfully progressed.");
        set_condition(
            &mut draft.status,
            PROGRESSING,
            "True",
            reason::NEW_RS_AVAILABLE,
            &message,
            now,
        );
        return;
    }
    if draft.created_replica_set {
        let message = format!("Created new replica set \"{rs_name}\"");
        refresh_condition(
            &mut draft.status,
            PROGRESSING,
            "True",
            reason::NEW_RS_CREATED,
            &message,
            now,
        );
        return;
    }
    if progressed(live, &draft.status) {
        let message = format!("ReplicaSet \"{rs_name}\" is progressing.");
        refresh_condition(
            &mut draft.status,
            PROGRESSING,
            "True",
            reason::RS_UPDATED,
            &message,
            now,
        );
        return;
    }
    if previous.as_deref() == Some(reason::PAUSED) {
        set_condition(
            &mut draft.status,
            PROGRESSING,
            "Unknown",
            reason::RESUMED,
            "Rollout is resumed",
            now,
        );
        return;
    }
    deadline(ctx, draft, now);
}

/// `progressDeadlineSeconds` without progress ⇒ ProgressDeadlineExceeded, and with
/// `progressDeadlineAbort` an abort. Not measured at pause or analysis steps, nor while an old
/// ReplicaSet waits for its scale-down delay.
fn deadline(ctx: &Ctx<'_>, draft: &mut Draft, now: DateTime<Utc>) {
    let Some(current) = condition(&draft.status, PROGRESSING).cloned() else {
        return;
    };
    if current.reason == reason::NEW_RS_AVAILABLE || current.reason == reason::ABORTED {
        return;
    }
    let indefinite = current_step(ctx.steps, draft.status.current_step_index)
        .is_some_and(|(_, s)| matches!(s.kind(), Some(StepKind::Pause | StepKind::Analysis)));
    let delayed = ctx
        .replica_sets
        .iter()
        .any(|rs| rs.deadline().is_some() && rs.replicas > 0);
    if indefinite || delayed {
        return;
    }
    let limit = ctx
        .rollout
        .spec
        .progress_deadline_seconds
        .map_or(DEFAULT_PROGRESS_DEADLINE, i64::from);
    let expiry = from_time(&current.last_update_time) + seconds(limit);
    let timed_out = current.reason == reason::TIMED_OUT || now > expiry;
    if !timed_out {
        draft.requeue_at(expiry + seconds(1));
        return;
    }
    let message = format!(
        "ReplicaSet \"{}\" has timed out progressing.",
        ctx.rs_name()
    );
    set_condition(
        &mut draft.status,
        PROGRESSING,
        "False",
        reason::TIMED_OUT,
        &message,
        now,
    );
    let fully_promoted = draft.status.stable_rs.as_deref() == Some(ctx.current_hash.as_str());
    if ctx.rollout.spec.progress_deadline_abort && !fully_promoted && !draft.status.abort {
        draft.status.abort = true;
        draft.status.aborted_at = Some(to_time(now));
        draft.status.current_step_index = ctx.first_index();
        draft.status.pause_conditions.clear();
        draft.status.controller_pause = false;
        draft.abort_message = Some(message);
        let message = abort_message(ctx, draft);
        set_condition(
            &mut draft.status,
            PROGRESSING,
            "False",
            reason::ABORTED,
            &message,
            now,
        );
        draft.event(Event::warning(reason::ABORTED, message));
    }
}

pub(super) fn finish(ctx: &Ctx<'_>, live: &RolloutStatus, draft: &mut Draft, now: DateTime<Utc>) {
    counts(ctx, &mut draft.status);
    if !draft.status.pause_conditions.is_empty() {
        draft.status.controller_pause = true;
    }
    let paused = !draft.status.pause_conditions.is_empty() || ctx.rollout.spec.paused;
    if healthy(ctx, live, &draft.status) && !paused {
        set_condition(
            &mut draft.status,
            HEALTHY,
            "True",
            reason::HEALTHY,
            "Rollout is healthy",
            now,
        );
    } else if condition(&draft.status, HEALTHY).is_some() {
        set_condition(
            &mut draft.status,
            HEALTHY,
            "False",
            reason::HEALTHY,
            "Rollout is not healthy",
            now,
        );
    }
    progressing(ctx, live, draft, now);
    let (value, message) = if paused {
        ("True", "Rollout is paused")
    } else {
        ("False", "Rollout is paused")
    };
    if paused || condition(&draft.status, PAUSED).is_some() {
        set_condition(
            &mut draft.status,
            PAUSED,
            value,
            reason::PAUSED,
            message,
            now,
        );
    }
    if draft.status.available_replicas >= ctx.replicas {
        set_condition(
            &mut draft.status,
            AVAILABLE,
            "True",
            reason::AVAILABLE,
            "Rollout has minimum availability",
            now,
        );
    } else {
        set_condition(
            &mut draft.status,
            AVAILABLE,
            "False",
            reason::AVAILABLE,
            "Rollout does not have minimum availability",
            now,
        );
    }
    let completed =
        draft.status.stable_rs.is_some() && draft.status.stable_rs == draft.status.current_pod_hash;
    let value = if completed { "True" } else { "False" };
    if set_condition(
        &mut draft.status,
        COMPLETED,
        value,
        reason::COMPLETED,
        reason::COMPLETED,
        now,
    ) && !completed
    {
        let message = format!(
            "Rollout not completed, started update to revision {} ({})",
            ctx.revision, ctx.current_hash
        );
        draft.event(Event::normal(reason::NOT_COMPLETED, message));
    }
    pause_events(live, draft);
    remove_condition(&mut draft.status, phase::INVALID_SPEC);
    let (phase, message) = phase::phase(ctx.rollout, &draft.status);
    draft.status.phase = Some(phase);
    draft.status.message = Some(message);
}

/// `RolloutPaused` / `RolloutResumed` Events when pause conditions appear or go (not for an abort,
/// which also clears them).
fn pause_events(live: &RolloutStatus, draft: &mut Draft) {
    let was = !live.pause_conditions.is_empty();
    let first = draft.status.pause_conditions.first().map(|p| p.reason);
    match (was, first) {
        (false, Some(reason)) => {
            let text = serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            draft.event(Event::normal(
                reason::PAUSED,
                format!("Rollout is paused ({text})"),
            ));
        }
        (true, None) if draft.status.aborted_at.is_none() => {
            draft.event(Event::normal(reason::RESUMED, "Rollout is resumed"));
        }
        _ => {}
    }
}
