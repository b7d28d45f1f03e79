//! Phase rules in order, one case per rule, plus condition bookkeeping.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::*;
use crate::api::{PauseCondition, PauseReason};

fn rollout(routed: bool, paused: bool) -> Rollout {
    let mut value = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "r"},
        "spec": {"replicas": 2, "paused": paused, "strategy": {"canary": {}}},
    });
    if routed {
        value["spec"]["strategy"]["canary"]["trafficRouting"] = json!({"istio": {}});
    }
    serde_json::from_value(value).expect("rollout")
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::default() + TimeDelta::seconds(1_700_000_000 + seconds)
}

fn healthy() -> RolloutStatus {
    RolloutStatus {
        replicas: 2,
        updated_replicas: 2,
        available_replicas: 2,
        current_pod_hash: Some("h".into()),
        stable_rs: Some("h".into()),
        ..Default::default()
    }
}

#[test]
fn phases_follow_argos_rules_in_order() {
    let with = |edit: fn(&mut RolloutStatus)| {
        let mut status = healthy();
        edit(&mut status);
        status
    };
    let cond = |status: &mut RolloutStatus, type_: &str, reason: &str, message: &str| {
        set_condition(status, type_, "False", reason, message, at(0));
    };
    type Case = (
        &'static str,
        bool,
        bool,
        RolloutStatus,
        RolloutPhase,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        ("healthy", true, false, healthy(), RolloutPhase::Healthy, ""),
        (
            "invalid spec first",
            true,
            true,
            with(|s| {
                set_condition(
                    s,
                    INVALID_SPEC,
                    "True",
                    "InvalidSpec",
                    "The Rollout \"r\" is invalid: x",
                    at(0),
                );
                set_condition(s, PROGRESSING, "False", "RolloutAborted", "a", at(0));
            }),
            RolloutPhase::Degraded,
            "InvalidSpec: The Rollout \"r\" is invalid: x",
        ),
        (
            "aborted",
            true,
            true,
            with(|s| {
                set_condition(
                    s,
                    PROGRESSING,
                    "False",
                    "RolloutAborted",
                    "Rollout aborted update to revision 2",
                    at(0),
                );
            }),
            RolloutPhase::Degraded,
            "RolloutAborted: Rollout aborted update to revision 2",
        ),
        (
            "manually paused",
            true,
            true,
            healthy(),
            RolloutPhase::Paused,
            "manually paused",
        ),
        (
            "pause step",
            true,
            false,
            with(|s| {
                s.pause_conditions.push(PauseCondition {
                    reason: PauseReason::CanaryPauseStep,
                    start_time: to_time(at(0)),
                })
            }),
            RolloutPhase::Paused,
            "CanaryPauseStep",
        ),
        (
            "updating",
            true,
            false,
            with(|s| s.updated_replicas = 1),
            RolloutPhase::Progressing,
            "more replicas need to be updated",
        ),
        (
            "becoming available",
            true,
            false,
            with(|s| s.available_replicas = 1),
            RolloutPhase::Progressing,
            "updated replicas are still becoming available",
        ),
        (
            "basic canary old pods",
            false,
            false,
            with(|s| s.replicas = 3),
            RolloutPhase::Progressing,
            "old replicas are pending termination",
        ),
        (
            "routed canary ignores old pods",
            true,
            false,
            with(|s| s.replicas = 3),
            RolloutPhase::Healthy,
            "",
        ),
        (
            "steps left",
            true,
            false,
            with(|s| s.stable_rs = Some("old".into())),
            RolloutPhase::Progressing,
            "waiting for all steps to complete",
        ),
    ];
    for (name, routed, paused, status, expected, message) in cases {
        assert_eq!(
            phase(&rollout(routed, paused), &status),
            (expected, message.to_owned()),
            "{name}"
        );
    }
    let mut deadline = healthy();
    cond(
        &mut deadline,
        PROGRESSING,
        "ProgressDeadlineExceeded",
        "ReplicaSet \"r-h\" has timed out progressing.",
    );
    assert_eq!(
        phase(&rollout(true, false), &deadline).1,
        "ProgressDeadlineExceeded: ReplicaSet \"r-h\" has timed out progressing."
    );
}

#[test]
fn conditions_keep_their_clocks_like_argo() {
    let mut status = RolloutStatus::default();
    assert!(set_condition(
        &mut status,
        PROGRESSING,
        "True",
        "A",
        "a",
        at(0)
    ));
    assert!(!set_condition(
        &mut status,
        PROGRESSING,
        "True",
        "A",
        "changed",
        at(5)
    ));
    assert_eq!(status.conditions[0].message, "a");
    assert!(set_condition(
        &mut status,
        PROGRESSING,
        "True",
        "B",
        "b",
        at(10)
    ));
    assert_eq!(status.conditions[0].last_transition_time, to_time(at(0)));
    assert_eq!(status.conditions[0].last_update_time, to_time(at(10)));
    assert!(set_condition(
        &mut status,
        PROGRESSING,
        "False",
        "B",
        "b",
        at(20)
    ));
    assert_eq!(status.conditions[0].last_transition_time, to_time(at(20)));
    refresh_condition(&mut status, PROGRESSING, "False", "B", "b", at(30));
    assert_eq!(status.conditions[0].last_update_time, to_time(at(30)));
    assert_eq!(status.conditions[0].last_transition_time, to_time(at(20)));
}

#[test]
fn timestamp_only_changes_are_not_changes() {
    let mut live = healthy();
    set_condition(&mut live, AVAILABLE, "True", "AvailableReason", "m", at(0));
    set_condition(&mut live, HEALTHY, "True", "RolloutHealthy", "m", at(0));
    let mut new = live.clone();
    refresh_condition(&mut new, AVAILABLE, "True", "AvailableReason", "m", at(60));
    assert!(!status_changed(&live, &new));
    new.current_step_index = Some(1);
    assert!(status_changed(&live, &new));
}
