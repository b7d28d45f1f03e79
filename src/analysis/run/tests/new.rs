use super::*;
use crate::api::{AnalysisRunMetadata, AnalysisTemplateSpec};

#[test]
fn the_seed_background_run() {
    let run = seed_run();
    assert_eq!(
        run.metadata.name.as_deref(),
        Some("istio-rollout-5c9b7d8f4-2")
    );
    assert_eq!(run.metadata.namespace.as_deref(), Some("shop"));
    let labels = run.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("rollouts-pod-template-hash").map(String::as_str),
        Some("5c9b7d8f4")
    );
    assert_eq!(
        labels.get("rollout-type").map(String::as_str),
        Some("Background")
    );
    assert_eq!(
        labels.get("app").map(String::as_str),
        Some("istio-rollout"),
        "selector labels"
    );
    assert!(!labels.contains_key("step-index"));
    assert_eq!(
        run.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("rollout.argoproj.io/revision"))
            .map(String::as_str),
        Some("2")
    );
    let owner = &run.metadata.owner_references.as_ref().expect("owned")[0];
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.name.as_str(),
            owner.uid.as_str()
        ),
        (
            "argoproj.io/v1alpha1",
            "Rollout",
            "istio-rollout",
            "3f1c-uid"
        )
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    let args: Vec<(&str, Option<&str>)> = run
        .spec
        .args
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref()))
        .collect();
    assert_eq!(
        args,
        vec![("service", Some("canary")), ("namespace", Some("shop"))]
    );
    assert_eq!(run.spec.metrics.len(), 1);
    assert_eq!(run.spec.metrics[0].name, "success-rate");
    assert!(run.status.is_none());
}

#[test]
fn step_runs_carry_the_index() {
    let rollout = seed_rollout();
    let template = seed_template();
    let analysis = crate::api::RolloutAnalysis {
        args: vec![
            crate::api::AnalysisRunArgument {
                name: "service".into(),
                value: Some("istio-rollout-canary".into()),
                value_from: None,
            },
            crate::api::AnalysisRunArgument {
                name: "namespace".into(),
                value: Some("shop".into()),
                value_from: None,
            },
        ],
        analysis_run_metadata: Some(AnalysisRunMetadata {
            labels: [("team".to_owned(), "payments".to_owned())].into(),
            annotations: [("note".to_owned(), "x".to_owned())].into(),
        }),
        ..Default::default()
    };
    let run = new_run(&NewRun {
        rollout: &rollout,
        analysis: &analysis,
        templates: &[&template.spec],
        kind: RunKind::Step(3),
        hashes: HASHES,
        revision: "7",
        instance_id: Some("canary-ctl"),
    })
    .expect("builds");
    assert_eq!(
        run.metadata.name.as_deref(),
        Some("istio-rollout-5c9b7d8f4-7-3")
    );
    let labels = run.metadata.labels.unwrap_or_default();
    assert_eq!(labels.get("rollout-type").map(String::as_str), Some("Step"));
    assert_eq!(labels.get("step-index").map(String::as_str), Some("3"));
    assert_eq!(labels.get("team").map(String::as_str), Some("payments"));
    assert_eq!(
        labels
            .get("argo-rollouts.argoproj.io/controller-instance-id")
            .map(String::as_str),
        Some("canary-ctl")
    );
    assert_eq!(
        run.metadata
            .annotations
            .unwrap_or_default()
            .get("note")
            .map(String::as_str),
        Some("x")
    );
    assert_eq!(
        collision_name("istio-rollout-5c9b7d8f4-7-3", 1),
        "istio-rollout-5c9b7d8f4-7-3.1"
    );
}

fn build(rollout: &Rollout, templates: &[&AnalysisTemplateSpec]) -> Result<(), String> {
    let analysis = crate::api::RolloutAnalysis::default();
    new_run(&NewRun {
        rollout,
        analysis: &analysis,
        templates,
        kind: RunKind::Background,
        hashes: HASHES,
        revision: "1",
        instance_id: None,
    })
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[test]
fn errors_when_building() {
    let mut rollout = seed_rollout();
    let template = seed_template();
    assert_eq!(
        build(&rollout, &[&template.spec]),
        Err("args.service was not resolved".to_owned())
    );
    assert_eq!(
        build(&rollout, &[&template.spec, &template.spec]),
        Err("two metrics have the same name 'success-rate'".to_owned())
    );
    rollout.metadata.uid = None;
    assert!(build(&rollout, &[]).is_err_and(|e| e.contains("has no uid")));
}
