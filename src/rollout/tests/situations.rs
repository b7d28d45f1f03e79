//! Situations of `decide` beyond the seed walk-through: invalid specs, manual pause, Argo plugin
//! status patches, full promotion, analysis steps, the progress deadline.

use std::time::Duration;

use serde_json::json;

use super::world::{STABLE_SVC, World};
use crate::api::{AnalysisPhase, CanaryStep, PauseReason, RolloutPhase};
use crate::rollout::{Action, Waiting, decide};

const YELLOW: &str = "argoproj/rollouts-demo:yellow";

fn steps(value: serde_json::Value) -> Vec<CanaryStep> {
    serde_json::from_value(value).expect("steps")
}

#[test]
fn an_invalid_spec_degrades_and_does_nothing_else() {
    type Edit = fn(&mut World);
    let cases: [(&str, Edit, &str); 3] = [
        (
            "unsupported step",
            |w| {
                w.edit(|r| {
                    if let Some(c) = r.spec.strategy.as_mut().and_then(|s| s.canary.as_mut()) {
                        c.steps = steps(json!([{"experiment": {"templates": []}}]));
                    }
                })
            },
            "InvalidSpec: The Rollout \"istio-rollout\" is invalid: spec.strategy.canary.steps[0].experiment: gitcanary does not implement spec.strategy.canary.steps[0].experiment",
        ),
        (
            "weight out of range",
            |w| {
                w.edit(|r| {
                    if let Some(c) = r.spec.strategy.as_mut().and_then(|s| s.canary.as_mut()) {
                        c.steps = steps(json!([{"setWeight": 120}]));
                    }
                })
            },
            "InvalidSpec: The Rollout \"istio-rollout\" is invalid: spec.strategy.canary.steps[0].setWeight: SetWeight needs to be between 0 and 100",
        ),
        (
            "route missing from the VirtualService",
            |w| w.vs.spec["http"][0]["name"] = json!("other"),
            "InvalidSpec: The Rollout \"istio-rollout\" is invalid: spec.strategy.canary.trafficRouting.istio.virtualService.routes[0]: HTTP Route 'primary' is not found in the defined Virtual Service.",
        ),
    ];
    for (name, edit, message) in cases {
        let mut world = World::seed();
        world.settle();
        edit(&mut world);
        let decision = decide(&world.observed(), world.now);
        let kinds: Vec<_> = decision
            .actions
            .iter()
            .filter(|a| !matches!(a, Action::RecordEvent(_)))
            .collect();
        assert!(kinds.is_empty(), "{name}: {kinds:?}");
        assert_eq!(
            decision.status.phase,
            Some(RolloutPhase::Degraded),
            "{name}"
        );
        assert_eq!(decision.status.message.as_deref(), Some(message), "{name}");
        assert_eq!(
            decision.requeue_after,
            Some(Duration::from_secs(20)),
            "{name}"
        );
        world.settle();
        assert_eq!(
            world.events_with("InvalidSpec").len(),
            1,
            "{name}: reported once"
        );
    }
}

#[test]
fn a_manual_pause_halts_scaling_and_steps() {
    let mut world = World::seed();
    world.settle();
    world.edit(|r| r.spec.paused = true);
    world.set_image(YELLOW, "c2");
    world.settle();
    assert_eq!(
        world.phase(),
        (Some(RolloutPhase::Paused), "manually paused".into())
    );
    assert_eq!(world.rs_of(YELLOW).replicas, 0);
    assert_eq!(world.step(), Some(0));
    let decision = decide(&world.observed(), world.now);
    assert!(decision.waiting.contains(&Waiting::ManualPause));
    world.edit(|r| r.spec.paused = false);
    world.settle();
    assert_eq!(world.step(), Some(1));
    assert_eq!(world.weights(), (90, 10));
}

#[test]
fn argo_plugin_status_patches_are_honoured() {
    let mut world = World::seed();
    world.settle();
    world.set_image(YELLOW, "c2");
    world.settle();
    // kubectl argo rollouts promote: pauseConditions cleared, controllerPause left true.
    world.patch_status(|s| s.pause_conditions.clear());
    world.settle();
    assert_eq!(world.step(), Some(3));
    // kubectl argo rollouts abort / retry.
    world.patch_status(|s| s.abort = true);
    world.settle();
    assert_eq!(world.phase().0, Some(RolloutPhase::Degraded));
    assert_eq!(world.weights(), (100, 0));
    world.patch_status(|s| s.abort = false);
    world.settle();
    assert_eq!(world.step(), Some(1));
    assert_eq!(world.weights(), (90, 10));
    // kubectl argo rollouts promote --full.
    world.patch_status(|s| s.promote_full = true);
    world.settle();
    let yellow = world.hash_of(YELLOW);
    assert_eq!(world.status().stable_rs.as_deref(), Some(yellow.as_str()));
    assert!(!world.status().promote_full);
    assert_eq!(
        world.selector_hash(STABLE_SVC).as_deref(),
        Some(yellow.as_str())
    );
    assert!(
        world
            .events_with("RolloutCompleted")
            .last()
            .is_some_and(|m| m.ends_with("Full promotion requested"))
    );
}

fn with_analysis_step(world: &mut World) {
    world.edit(|r| {
        if let Some(c) = r.spec.strategy.as_mut().and_then(|s| s.canary.as_mut()) {
            c.steps = steps(json!([
                {"setWeight": 10},
                {"analysis": {"templates": [{"templateName": "istio-success-rate"}]}},
                {"setWeight": 50},
                {"pause": {}},
            ]));
        }
    });
}

#[test]
fn analysis_steps_complete_pause_or_abort() {
    let cases = [
        (
            AnalysisPhase::Successful,
            "",
            Some(RolloutPhase::Paused),
            Some(3),
        ),
        (
            AnalysisPhase::Inconclusive,
            "",
            Some(RolloutPhase::Paused),
            Some(1),
        ),
        (
            AnalysisPhase::Failed,
            "Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)",
            Some(RolloutPhase::Degraded),
            Some(0),
        ),
    ];
    for (phase, message, expected, step) in cases {
        let mut world = World::seed();
        with_analysis_step(&mut world);
        world.settle();
        world.set_image(YELLOW, "c2");
        world.settle();
        assert_eq!(world.step(), Some(1));
        let hash = world.hash_of(YELLOW);
        let run = format!("istio-rollout-{hash}-2-1");
        assert_eq!(world.analysis_runs.len(), 1);
        assert_eq!(world.analysis_runs[0].name, run);
        assert_eq!(
            world.analysis_runs[0]
                .labels
                .get("rollout-type")
                .map(String::as_str),
            Some("Step")
        );
        world.analysis_reports(&run, phase, message);
        world.settle();
        assert_eq!(world.phase().0, expected, "{phase:?}");
        assert_eq!(world.step(), step, "{phase:?}");
        match phase {
            AnalysisPhase::Inconclusive => {
                assert_eq!(
                    world.status().pause_conditions[0].reason,
                    PauseReason::InconclusiveAnalysisRun
                );
                assert_eq!(world.phase().1, "InconclusiveAnalysisRun");
            }
            AnalysisPhase::Failed => {
                assert_eq!(
                    world.phase().1,
                    format!(
                        "RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase error/failed: {message}"
                    )
                );
                assert_eq!(world.weights(), (100, 0));
                assert_eq!(
                    world.events_with("AnalysisRunFailed"),
                    [format!(
                        "Step Analysis Run '{run}' Status New: 'Failed' Previous: ''"
                    )]
                );
            }
            _ => assert_eq!(world.weights(), (50, 50)),
        }
    }
}

#[test]
fn a_canary_that_never_becomes_available_exceeds_the_deadline() {
    for abort in [false, true] {
        let mut world = World::seed();
        world.edit(|r| {
            r.spec.progress_deadline_seconds = Some(60);
            r.spec.progress_deadline_abort = abort;
        });
        world.settle();
        world.broken.insert(YELLOW.into());
        world.set_image(YELLOW, "c2");
        world.settle();
        assert_eq!(world.phase().0, Some(RolloutPhase::Progressing));
        world.advance(62);
        let (phase, message) = world.phase();
        assert_eq!(phase, Some(RolloutPhase::Degraded), "abort={abort}");
        let rs = world.rs_of(YELLOW).name.clone();
        let expected = if abort {
            format!(
                "RolloutAborted: Rollout aborted update to revision 2: ReplicaSet \"{rs}\" has timed out progressing."
            )
        } else {
            format!("ProgressDeadlineExceeded: ReplicaSet \"{rs}\" has timed out progressing.")
        };
        assert_eq!(message, expected);
        assert_eq!(world.status().abort, abort);
        assert_eq!(world.weights(), (100, 0));
    }
}
