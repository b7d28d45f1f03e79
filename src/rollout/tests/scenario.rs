//! The seed walk-through (blue → yellow in 10% steps, a manual pause at step 1, 20 s pauses
//! after), approvals from Git and annotations, abort, retry, a new image mid-rollout, and
//! approvals that must not count. Every settled state is also checked as a restart.

use super::world::{CANARY_SVC, STABLE_SVC, World};
use crate::api::{ApprovalKind, PauseReason, RolloutPhase};
use crate::rollout::approvals::{ABORT_ANNOTATION, PROMOTE_ANNOTATION, RETRY_ANNOTATION};
use crate::rollout::view::step_header;
use crate::rollout::{Verdict, time::parse_rfc3339};

const BLUE: &str = "argoproj/rollouts-demo:blue";
const YELLOW: &str = "argoproj/rollouts-demo:yellow";
const ORANGE: &str = "argoproj/rollouts-demo:orange";

fn accepted() -> Verdict {
    Verdict::Accepted { signer: None }
}

fn header(world: &World) -> (String, String, String) {
    let h = step_header(&world.rollout, 0);
    (h.step, h.set_weight, h.actual_weight)
}

/// Blue deployed and healthy, then yellow started and paused at step 1 with 10% canary.
fn at_first_pause() -> World {
    let mut world = World::seed();
    world.settle();
    assert_eq!(world.phase(), (Some(RolloutPhase::Healthy), String::new()));
    assert_eq!(header(&world), ("18/18".into(), "100".into(), "100".into()));
    let blue = world.hash_of(BLUE);
    assert_eq!(world.status().stable_rs.as_deref(), Some(blue.as_str()));
    assert_eq!(world.weights(), (100, 0));
    assert_eq!(world.selector_hash(STABLE_SVC), Some(blue.clone()));
    assert_eq!(world.selector_hash(CANARY_SVC), Some(blue.clone()));
    assert_eq!(
        world.events_with("RolloutCompleted"),
        [format!(
            "Rollout completed update to revision 1 ({blue}): Initial deploy"
        )]
    );

    world.set_image(YELLOW, "c2-yellow");
    world.settle();
    let yellow = world.hash_of(YELLOW);
    assert_eq!(
        world.phase(),
        (Some(RolloutPhase::Paused), "CanaryPauseStep".into())
    );
    assert_eq!(world.step(), Some(1));
    assert_eq!(world.weights(), (90, 10));
    assert_eq!(header(&world), ("1/18".into(), "10".into(), "10".into()));
    assert_eq!(world.selector_hash(CANARY_SVC), Some(yellow.clone()));
    assert_eq!(world.selector_hash(STABLE_SVC), Some(blue));
    let status = world.status();
    assert_eq!(
        status.pause_conditions[0].reason,
        PauseReason::CanaryPauseStep
    );
    assert!(status.controller_pause);
    let gitcanary = status.gitcanary.expect("gitcanary status");
    assert_eq!(gitcanary.canary_commit.as_deref(), Some("c2-yellow"));
    assert_eq!(gitcanary.canary_pod_hash.as_deref(), Some(yellow.as_str()));
    assert_eq!(world.rs_of(YELLOW).revision, Some(2));
    world
}

/// From the first pause to the end: 20 … 90 every 20 s, then 100/0 on yellow.
fn through_the_timed_pauses(world: &mut World) {
    for weight in (20..=90).step_by(10) {
        assert_eq!(world.weights(), (100 - weight, weight), "at {weight}%");
        assert_eq!(
            world.phase(),
            (Some(RolloutPhase::Paused), "CanaryPauseStep".into())
        );
        world.advance(19);
        assert_eq!(
            world.weights(),
            (100 - weight, weight),
            "still {weight}% after 19 s"
        );
        world.advance(1);
    }
    let yellow = world.hash_of(YELLOW);
    assert_eq!(world.status().stable_rs.as_deref(), Some(yellow.as_str()));
    assert_eq!(world.weights(), (100, 0));
    assert_eq!(world.selector_hash(STABLE_SVC), Some(yellow.clone()));
    assert_eq!(world.selector_hash(CANARY_SVC), Some(yellow));
    assert_eq!(world.phase(), (Some(RolloutPhase::Healthy), String::new()));
    assert_eq!(header(world), ("18/18".into(), "100".into(), "100".into()));
    let canary_weights: Vec<i64> = world.weight_history.clone();
    assert_eq!(
        canary_weights,
        [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0],
        "every weight the VirtualService saw"
    );
}

fn blue_scaled_down_after_30s(world: &mut World) {
    let blue = world.rs_of(BLUE).clone();
    assert_eq!(blue.replicas, 1, "old stable kept for the scale-down delay");
    let deadline = blue.deadline().expect("scale-down deadline");
    assert_eq!(deadline, world.now + chrono::TimeDelta::seconds(30));
    world.advance(29);
    assert_eq!(world.rs_of(BLUE).replicas, 1);
    world.advance(1);
    assert_eq!(world.rs_of(BLUE).replicas, 0);
    assert_eq!(world.rs_of(YELLOW).replicas, 1);
}

#[test]
fn seed_walkthrough_approved_by_a_git_commit() {
    let mut world = at_first_pause();
    world.advance(300);
    assert_eq!(world.step(), Some(1), "an indefinite pause waits");
    world.approve(ApprovalKind::Promote, "c3-promote", accepted());
    world.settle();
    assert_eq!(world.step(), Some(3));
    assert_eq!(world.weights(), (80, 20));
    assert!(
        world
            .events_with("RolloutStepCompleted")
            .contains(&"Rollout step 2/18 completed (pause)".to_owned())
    );
    through_the_timed_pauses(&mut world);
    blue_scaled_down_after_30s(&mut world);
    let approvals = world.status().gitcanary.expect("gitcanary").approvals;
    assert_eq!(approvals.len(), 1, "counted once: {approvals:?}");
    assert_eq!(approvals[0].commit.as_deref(), Some("c3-promote"));
    assert_eq!(approvals[0].step, Some(1));
    let completed = world.events_with("RolloutCompleted");
    assert!(
        completed
            .last()
            .is_some_and(|m| m.ends_with("Completed all 18 canary steps"))
    );
}

#[test]
fn seed_walkthrough_approved_by_an_annotation() {
    let mut world = at_first_pause();
    world.annotate(PROMOTE_ANNOTATION, "step");
    world.settle();
    assert!(
        world
            .rollout
            .metadata
            .annotations
            .as_ref()
            .is_none_or(|a| !a.contains_key(PROMOTE_ANNOTATION))
    );
    assert_eq!(world.weights(), (80, 20));
    through_the_timed_pauses(&mut world);
    blue_scaled_down_after_30s(&mut world);
}

#[test]
fn a_promote_given_before_the_pause_waits_for_it() {
    let mut world = World::seed();
    world.settle();
    world.set_image(YELLOW, "c2-yellow");
    world.approve(ApprovalKind::Promote, "c3-early", accepted());
    world.settle();
    assert_eq!(world.step(), Some(3), "consumed by the pause at step 1");
    assert_eq!(world.weights(), (80, 20));
}

#[test]
fn abort_at_40_percent_then_retry() {
    let mut world = at_first_pause();
    world.approve(ApprovalKind::Promote, "c3-promote", accepted());
    world.settle();
    world.advance(20);
    world.advance(20);
    assert_eq!(world.weights(), (60, 40));
    let (blue, yellow) = (world.hash_of(BLUE), world.hash_of(YELLOW));

    world.annotate(ABORT_ANNOTATION, "");
    world.settle();
    assert_eq!(world.weights(), (100, 0));
    assert_eq!(world.selector_hash(CANARY_SVC), Some(blue.clone()));
    assert_eq!(
        world.phase(),
        (
            Some(RolloutPhase::Degraded),
            "RolloutAborted: Rollout aborted update to revision 2".into()
        )
    );
    assert_eq!(header(&world), ("0/18".into(), "0".into(), "0".into()));
    assert_eq!(
        world.events_with("RolloutAborted"),
        ["Rollout aborted update to revision 2"]
    );
    let canary = world.rs_of(YELLOW).clone();
    assert_eq!(canary.replicas, 1, "kept for abortScaleDownDelaySeconds");
    assert_eq!(
        canary.deadline(),
        Some(world.now + chrono::TimeDelta::seconds(30))
    );
    world.advance(29);
    assert_eq!(world.rs_of(YELLOW).replicas, 1);
    world.advance(1);
    assert_eq!(world.rs_of(YELLOW).replicas, 0);
    assert_eq!(world.phase().0, Some(RolloutPhase::Degraded));

    world.annotate(RETRY_ANNOTATION, "true");
    world.settle();
    assert_eq!(
        world.step(),
        Some(1),
        "restarted at step 0, now at the first pause"
    );
    assert_eq!(world.weights(), (90, 10));
    assert_eq!(world.selector_hash(CANARY_SVC), Some(yellow));
    assert_eq!(
        world.phase(),
        (Some(RolloutPhase::Paused), "CanaryPauseStep".into())
    );
    assert!(world.rs_of(YELLOW).scale_down_deadline.is_none());
    let approvals = world.status().gitcanary.expect("gitcanary").approvals;
    assert_eq!(approvals.len(), 3, "promote, abort, retry: {approvals:?}");
}

#[test]
fn a_new_image_mid_rollout_starts_a_new_canary() {
    let mut world = at_first_pause();
    world.approve(ApprovalKind::Promote, "c3-promote", accepted());
    world.settle();
    world.advance(20);
    assert_eq!(world.weights(), (70, 30));

    world.set_image(ORANGE, "c4-orange");
    world.settle();
    let orange = world.hash_of(ORANGE);
    assert_eq!(world.step(), Some(1));
    assert_eq!(world.weights(), (90, 10));
    assert_eq!(world.selector_hash(CANARY_SVC), Some(orange.clone()));
    assert_eq!(
        world.rs_of(YELLOW).replicas,
        0,
        "superseded canary scaled down"
    );
    assert_eq!(world.rs_of(BLUE).replicas, 1);
    let gitcanary = world.status().gitcanary.expect("gitcanary");
    assert_eq!(gitcanary.canary_commit.as_deref(), Some("c4-orange"));
    assert!(
        gitcanary.approvals.is_empty(),
        "approvals reset with the revision"
    );
    assert_eq!(world.rs_of(ORANGE).revision, Some(3));

    world.advance(60);
    assert_eq!(world.step(), Some(1), "not replayed onto the new canary");
}

#[test]
fn returning_to_the_stable_template_skips_the_steps() {
    let mut world = at_first_pause();
    world.set_image(BLUE, "c3-revert");
    world.settle();
    assert_eq!(
        world.events_with("SkipSteps"),
        ["Rollback to stable ReplicaSets"]
    );
    assert_eq!(world.weights(), (100, 0));
    assert_eq!(world.phase(), (Some(RolloutPhase::Healthy), String::new()));
    assert_eq!(
        world.rs_of(YELLOW).replicas,
        1,
        "an old ReplicaSet of a promoted rollout waits"
    );
    world.advance(30);
    assert_eq!(world.rs_of(YELLOW).replicas, 0);
    assert_eq!(world.rs_of(BLUE).replicas, 1);
}

#[test]
fn approvals_that_must_not_count() {
    let mut world = World::seed();
    world.settle();
    world.approve(ApprovalKind::Promote, "c1-before-canary", accepted());
    world.settle();
    world.set_image(YELLOW, "c2-yellow");
    world.settle();
    assert_eq!(world.step(), Some(1));
    world.approve(
        ApprovalKind::Promote,
        "c3-unsigned",
        Verdict::Rejected {
            reason: "commit is not signed by an allowed signer".into(),
        },
    );
    world.approve(ApprovalKind::Promote, "c2-yellow", accepted());
    world.settle();
    world.advance(120);
    assert_eq!(world.step(), Some(1));
    assert_eq!(world.weights(), (90, 10));
    assert_eq!(
        world.events_with("ApprovalRejected"),
        [
            "Promote from commit c3-unsig by Ann <ann@example.com> rejected: commit is not signed by an allowed signer"
        ],
        "reported once"
    );
    assert!(
        world
            .status()
            .gitcanary
            .expect("gitcanary")
            .approvals
            .is_empty()
    );
}

#[test]
fn git_abort_and_retry() {
    let mut world = at_first_pause();
    world.approve(ApprovalKind::Abort, "c3-abort", accepted());
    world.settle();
    assert_eq!(world.phase().0, Some(RolloutPhase::Degraded));
    world.approve(ApprovalKind::Retry, "c4-retry", accepted());
    world.settle();
    assert_eq!(world.step(), Some(1));
    assert_eq!(
        world.phase(),
        (Some(RolloutPhase::Paused), "CanaryPauseStep".into())
    );
    world.advance(60);
    assert_eq!(world.step(), Some(1), "each approval acted once");
    let deadline = world.rs_of(YELLOW).scale_down_deadline.clone();
    assert!(deadline.is_none_or(|d| parse_rfc3339(&d).is_some()));
}
