//! Phase, message and conditions, with Argo's texts (§2.6) so that kubectl, Argo CD health checks
//! and dashboards keep reading them as they do for Argo.

use chrono::{DateTime, Utc};

use super::time::to_time;
use crate::api::{Rollout, RolloutCondition, RolloutPhase, RolloutStatus};

pub const PROGRESSING: &str = "Progressing";
pub const AVAILABLE: &str = "Available";
pub const PAUSED: &str = "Paused";
pub const HEALTHY: &str = "Healthy";
pub const COMPLETED: &str = "Completed";
pub const INVALID_SPEC: &str = "InvalidSpec";

/// Condition reasons and Event reasons shared with Argo.
pub mod reason {
    pub const INVALID_SPEC: &str = "InvalidSpec";
    pub const ABORTED: &str = "RolloutAborted";
    pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
    pub const PAUSED: &str = "RolloutPaused";
    pub const RESUMED: &str = "RolloutResumed";
    pub const RETRY: &str = "RolloutRetry";
    pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
    pub const RS_UPDATED: &str = "ReplicaSetUpdated";
    pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
    pub const AVAILABLE: &str = "AvailableReason";
    pub const HEALTHY: &str = "RolloutHealthy";
    pub const COMPLETED: &str = "RolloutCompleted";
    pub const NOT_COMPLETED: &str = "RolloutNotCompleted";
    pub const UPDATED: &str = "RolloutUpdated";
    pub const STEP_COMPLETED: &str = "RolloutStepCompleted";
    pub const WEIGHT_UPDATED: &str = "TrafficWeightUpdated";
    pub const SWITCH_SERVICE: &str = "SwitchService";
    pub const SKIP_STEPS: &str = "SkipSteps";
    pub const SCALING: &str = "ScalingReplicaSet";
    pub const TRAFFIC_ERROR: &str = "TrafficRoutingError";
    pub const VS_NOT_FOUND: &str = "VirtualServiceNotFound";
}

/// Argo's phase and message for a status, first matching rule wins (§2.6).
pub fn phase(rollout: &Rollout, status: &RolloutStatus) -> (RolloutPhase, String) {
    let routed = rollout.canary().is_some_and(|c| c.has_traffic_routing());
    let replicas = rollout.replicas();
    if let Some(invalid) = condition(status, INVALID_SPEC) {
        return (
            RolloutPhase::Degraded,
            format!("{}: {}", reason::INVALID_SPEC, invalid.message),
        );
    }
    if let Some(failed) = status
        .conditions
        .iter()
        .find(|c| c.reason == reason::ABORTED || c.reason == reason::TIMED_OUT)
    {
        return (
            RolloutPhase::Degraded,
            format!("{}: {}", failed.reason, failed.message),
        );
    }
    if rollout.spec.paused {
        return (RolloutPhase::Paused, "manually paused".into());
    }
    if let Some(pause) = status.pause_conditions.first() {
        let text = serde_json::to_value(pause.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return (RolloutPhase::Paused, text);
    }
    if rollout.spec.restart_at.is_some() && rollout.spec.restart_at != status.restarted_at {
        return (RolloutPhase::Progressing, "rollout is restarting".into());
    }
    let progressing = |m: &str| (RolloutPhase::Progressing, m.to_owned());
    if status.updated_replicas < replicas {
        return progressing("more replicas need to be updated");
    }
    if status.available_replicas < status.updated_replicas {
        return progressing("updated replicas are still becoming available");
    }
    if !routed && status.replicas > status.updated_replicas {
        return progressing("old replicas are pending termination");
    }
    if status.stable_rs.is_none() || status.stable_rs != status.current_pod_hash {
        return progressing("waiting for all steps to complete");
    }
    (RolloutPhase::Healthy, String::new())
}

/// The condition of a type.
pub fn condition<'a>(status: &'a RolloutStatus, type_: &str) -> Option<&'a RolloutCondition> {
    status.conditions.iter().find(|c| c.type_ == type_)
}

/// Argo's SetRolloutCondition: nothing changes when status and reason are the same; the
/// transition time survives when only the reason changes. Returns whether it changed.
pub fn set_condition(
    status: &mut RolloutStatus,
    type_: &str,
    value: &str,
    reason: &str,
    message: &str,
    now: DateTime<Utc>,
) -> bool {
    let current = condition(status, type_).cloned();
    if current
        .as_ref()
        .is_some_and(|c| c.status == value && c.reason == reason)
    {
        return false;
    }
    let transition = match &current {
        Some(c) if c.status == value => c.last_transition_time.clone(),
        _ => to_time(now),
    };
    remove_condition(status, type_);
    status.conditions.push(RolloutCondition {
        type_: type_.to_owned(),
        status: value.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        last_update_time: to_time(now),
        last_transition_time: transition,
    });
    true
}

/// Replaces the condition even when status and reason are unchanged (message and update time
/// refreshed): how progress keeps the Progressing condition's clock fresh.
pub fn refresh_condition(
    status: &mut RolloutStatus,
    type_: &str,
    value: &str,
    reason: &str,
    message: &str,
    now: DateTime<Utc>,
) {
    let transition = match condition(status, type_) {
        Some(c) if c.status == value => c.last_transition_time.clone(),
        _ => to_time(now),
    };
    remove_condition(status, type_);
    status.conditions.push(RolloutCondition {
        type_: type_.to_owned(),
        status: value.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        last_update_time: to_time(now),
        last_transition_time: transition,
    });
}

pub fn remove_condition(status: &mut RolloutStatus, type_: &str) {
    status.conditions.retain(|c| c.type_ != type_);
}

/// Whether `new` differs from `live` in more than condition timestamps: the loop writes the
/// status only then, so a decision that changed nothing never triggers its own watch event.
pub fn status_changed(live: &RolloutStatus, new: &RolloutStatus) -> bool {
    let strip = |status: &RolloutStatus| {
        let mut status = status.clone();
        let epoch = to_time(DateTime::<Utc>::default());
        for c in &mut status.conditions {
            c.last_update_time = epoch.clone();
            c.last_transition_time = epoch.clone();
        }
        status.conditions.sort_by(|a, b| a.type_.cmp(&b.type_));
        status
    };
    strip(live) != strip(new)
}

#[cfg(test)]
mod tests;
