use serde_json::json;

use super::*;
use crate::api::{AnalysisRun, Rollout};

fn seed_rollout(status: serde_json::Value) -> Rollout {
    let mut steps = vec![json!({"setWeight": 10}), json!({"pause": {}})];
    for w in (20..=90).step_by(10) {
        steps.push(json!({"setWeight": w}));
        steps.push(json!({"pause": {"duration": "20s"}}));
    }
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "istio-rollout", "namespace": "default", "generation": 2},
        "spec": {"replicas": 1, "strategy": {"canary": {
            "canaryService": "istio-rollout-canary", "stableService": "istio-rollout-stable",
            "trafficRouting": {"istio": {"virtualService": {"name": "istio-rollout-vsvc", "routes": ["primary"]}}},
            "steps": steps}},
            "template": {"spec": {"containers": [{"name": "istio-rollout", "image": "argoproj/rollouts-demo:yellow"}]}}},
        "status": status,
    }))
    .expect("rollout")
}

fn rs(hash: &str, revision: &str, image: &str) -> k8s_openapi::api::apps::v1::ReplicaSet {
    serde_json::from_value(json!({
        "metadata": {"name": format!("istio-rollout-{hash}"),
            "labels": {"rollouts-pod-template-hash": hash},
            "annotations": {"rollout.argoproj.io/revision": revision}},
        "spec": {"replicas": 1, "selector": {},
            "template": {"spec": {"containers": [{"name": "istio-rollout", "image": image}]}}},
        "status": {"replicas": 1, "availableReplicas": 1, "readyReplicas": 1},
    }))
    .expect("replica set")
}

fn paused_at_ten() -> RolloutObjects {
    RolloutObjects {
        rollout: seed_rollout(json!({
            "currentStepIndex": 1, "currentPodHash": "yellow", "stableRS": "blue",
            "replicas": 2, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2024-05-01T10:00:00Z"}],
            "canary": {"weights": {"canary": {"weight": 10, "serviceName": "istio-rollout-canary"},
                                   "stable": {"weight": 90, "serviceName": "istio-rollout-stable"}}},
            "gitcanary": {"canaryCommit": "c0ffee"},
        })),
        replica_sets: vec![
            rs("blue", "1", "argoproj/rollouts-demo:blue"),
            rs("yellow", "2", "argoproj/rollouts-demo:yellow"),
        ],
        pods: vec![],
        analysis_runs: vec![],
    }
}

#[test]
fn a_canary_paused_at_its_first_step() {
    let live = [LiveVirtualService {
        namespace: "default".into(),
        name: "istio-rollout-vsvc".into(),
        spec: json!({"http": [{"name": "primary", "route": [
            {"destination": {"host": "istio-rollout-stable"}, "weight": 90},
            {"destination": {"host": "istio-rollout-canary"}, "weight": 10}]}]}),
    }];
    let d = detail(&paused_at_ten(), &live);
    let s = &d.summary;
    assert_eq!(
        (s.phase, s.message.as_str(), s.step.as_str()),
        (RolloutPhase::Paused, "CanaryPauseStep", "1/18")
    );
    assert_eq!((s.set_weight, s.actual_weight), (10, 10));
    assert_eq!(s.stable_images, ["argoproj/rollouts-demo:blue"]);
    assert_eq!(s.canary_images, ["argoproj/rollouts-demo:yellow"]);
    assert_eq!(s.pause_reason, Some(PauseReason::CanaryPauseStep));
    assert_eq!(
        s.replicas,
        Replicas {
            desired: 1,
            current: 2,
            updated: 1,
            ready: 2,
            available: 2
        }
    );
    assert_eq!(d.steps.len(), 18);
    assert_eq!(d.steps[1].state, super::super::steps::StepState::Current);
    assert_eq!((d.weights.canary, d.weights.stable), (Some(10), Some(90)));
    let pause = d.pause.as_ref().expect("paused");
    assert_eq!(pause.ends_at, None, "a pause {{}} waits for a promotion");
    assert_eq!(d.approve.trailer, "Promote: default/istio-rollout");
    assert_eq!(
        d.approve.annotation,
        "kubectl annotate rollout istio-rollout -n default gitcanary.dev/promote=step"
    );
    assert_eq!(
        d.actions,
        Actions {
            promote: true,
            promote_full: true,
            abort: true,
            retry: false
        }
    );
    assert_eq!(d.canary_commit.as_deref(), Some("c0ffee"));
    assert_eq!(
        d.virtual_services[0].routes[0].destinations[1].weight,
        Some(10)
    );
    assert_eq!(
        d.revisions.iter().map(|r| r.revision).collect::<Vec<_>>(),
        [2, 1]
    );
    let json = serde_json::to_value(&d).expect("serializes");
    assert_eq!(json["step"], "1/18", "summary fields are flattened: {json}");
    assert_eq!(json["steps"][1]["state"], "current");
    assert_eq!(json["pause"]["reason"], "CanaryPauseStep");
}

#[test]
fn a_timed_pause_says_when_it_ends() {
    let mut o = paused_at_ten();
    let status = o.rollout.status.as_mut().expect("status");
    status.current_step_index = Some(3);
    let d = detail(&o, &[]);
    assert_eq!(
        d.pause.and_then(|p| p.ends_at).map(|t| t.to_rfc3339()),
        Some("2024-05-01T10:00:20+00:00".to_string())
    );
    assert!(!d.virtual_services[0].found);
}

#[test]
fn which_actions_apply() {
    // (status, promote, promote full, abort, retry)
    let cases = [
        (
            json!({"currentPodHash": "a", "stableRS": "a"}),
            [false, false, false, false],
        ),
        (
            json!({"currentPodHash": "b", "stableRS": "a"}),
            [true, true, true, false],
        ),
        (
            json!({"currentPodHash": "b", "stableRS": "a", "abort": true}),
            [false, true, false, true],
        ),
        (json!({}), [false, false, false, false]),
    ];
    for (status, want) in cases {
        let s: RolloutStatus = serde_json::from_value(status.clone()).expect("status");
        let a = actions(&s);
        assert_eq!(
            [a.promote, a.promote_full, a.abort, a.retry],
            want,
            "{status}"
        );
    }
}

#[test]
fn analysis_runs_are_listed() {
    let mut o = paused_at_ten();
    let run: AnalysisRun = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": "istio-rollout-yellow-2", "annotations": {"rollout.argoproj.io/revision": "2"}},
        "spec": {"metrics": []},
        "status": {"phase": "Running", "metricResults": [{"name": "success-rate", "phase": "Running",
            "measurements": [{"phase": "Successful", "value": "[0.99]"}]}]},
    }))
    .expect("run");
    o.analysis_runs.push(run);
    let d = detail(&o, &[]);
    assert_eq!(d.analysis_runs.len(), 1);
    assert_eq!(
        d.analysis_runs[0].metrics[0].measurements[0]
            .value
            .as_deref(),
        Some("[0.99]")
    );
}
