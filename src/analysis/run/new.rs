//! Creating an AnalysisRun from a Rollout's analysis (Argo's `newAnalysisRunFromRollout` and
//! `NewAnalysisRunFromTemplates`): templates flattened, arguments merged, named and labelled so
//! the rollout controller can find it again after a restart.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::analysis::args::{ArgsError, PodHashes, run_args};
use crate::api::{
    AnalysisRun, AnalysisRunSpec, AnalysisTemplateSpec, GROUP, Metric, Rollout, RolloutAnalysis,
    VERSION,
};

/// Label carrying the canary's pod template hash.
pub const POD_TEMPLATE_HASH_LABEL: &str = "rollouts-pod-template-hash";
/// Label telling step runs from background runs.
pub const ROLLOUT_TYPE_LABEL: &str = "rollout-type";
/// Label with the step index of a step run.
pub const STEP_INDEX_LABEL: &str = "step-index";
/// Label naming the controller instance, when instance ids are in use.
pub const INSTANCE_ID_LABEL: &str = "argo-rollouts.argoproj.io/controller-instance-id";
/// Annotation with the Rollout revision the run judges.
pub const REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";

/// Which analysis of the Rollout a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// `strategy.canary.analysis`, running across steps.
    Background,
    /// An `analysis` step, at this index of `strategy.canary.steps`.
    Step(i32),
}

impl RunKind {
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Background => "Background",
            RunKind::Step(_) => "Step",
        }
    }
}

/// Why a run could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NewRunError {
    #[error("two metrics have the same name '{0}'")]
    DuplicateMetric(String),
    #[error(transparent)]
    Args(#[from] ArgsError),
    #[error(
        "the Rollout has no {0}; it must be read from the cluster before runs are created for it"
    )]
    RolloutMeta(&'static str),
}

/// Everything a new run is made of. The caller fetches the templates (following nested
/// `templates` references) in the order the Rollout lists them.
#[derive(Clone, Copy, Debug)]
pub struct NewRun<'a> {
    pub rollout: &'a Rollout,
    pub analysis: &'a RolloutAnalysis,
    /// Namespaced templates' specs, then cluster templates' specs, in reference order.
    pub templates: &'a [&'a AnalysisTemplateSpec],
    pub kind: RunKind,
    /// `latest` is the canary's hash: it is in the run's name and labels.
    pub hashes: PodHashes<'a>,
    pub revision: &'a str,
    pub instance_id: Option<&'a str>,
}

/// `<rollout>-<podHash>-<revision>[-<stepIndex>]`.
pub fn run_name(rollout: &str, pod_hash: &str, revision: &str, kind: RunKind) -> String {
    match kind {
        RunKind::Background => format!("{rollout}-{pod_hash}-{revision}"),
        RunKind::Step(index) => format!("{rollout}-{pod_hash}-{revision}-{index}"),
    }
}

/// The name to try after `attempt` clashes with a different or finished run: `name.1`, `name.2`…
pub fn collision_name(base: &str, attempt: u32) -> String {
    format!("{base}.{attempt}")
}

fn flatten_metrics(templates: &[&AnalysisTemplateSpec]) -> Result<Vec<Metric>, NewRunError> {
    let mut metrics: Vec<Metric> = Vec::new();
    for metric in templates.iter().flat_map(|t| t.metrics.iter()) {
        if metrics.iter().any(|m| m.name == metric.name) {
            return Err(NewRunError::DuplicateMetric(metric.name.clone()));
        }
        metrics.push(metric.clone());
    }
    Ok(metrics)
}

/// The run object to create (status empty; the first [`step_run`](super::step_run) starts it).
pub fn new_run(request: &NewRun<'_>) -> Result<AnalysisRun, NewRunError> {
    let rollout = request.rollout;
    let name = rollout
        .metadata
        .name
        .as_deref()
        .ok_or(NewRunError::RolloutMeta("name"))?;
    let uid = rollout
        .metadata
        .uid
        .as_deref()
        .ok_or(NewRunError::RolloutMeta("uid"))?;
    let analysis = request.analysis;
    let metrics = flatten_metrics(request.templates)?;
    let args = run_args(request.templates, &analysis.args, rollout, request.hashes)?;
    // The Rollout's own dryRun/retention rules come first, then the templates'.
    let dry_run = analysis
        .dry_run
        .iter()
        .chain(request.templates.iter().flat_map(|t| t.dry_run.iter()))
        .cloned()
        .collect();
    let measurement_retention = analysis
        .measurement_retention
        .iter()
        .chain(
            request
                .templates
                .iter()
                .flat_map(|t| t.measurement_retention.iter()),
        )
        .cloned()
        .collect();

    let mut labels: BTreeMap<String, String> = rollout
        .spec
        .selector
        .as_ref()
        .and_then(|s| s.match_labels.clone())
        .unwrap_or_default();
    let mut annotations = BTreeMap::new();
    if let Some(metadata) = &analysis.analysis_run_metadata {
        labels.extend(metadata.labels.clone());
        annotations.extend(metadata.annotations.clone());
    }
    labels.insert(
        POD_TEMPLATE_HASH_LABEL.to_owned(),
        request.hashes.latest.to_owned(),
    );
    labels.insert(
        ROLLOUT_TYPE_LABEL.to_owned(),
        request.kind.label().to_owned(),
    );
    if let RunKind::Step(index) = request.kind {
        labels.insert(STEP_INDEX_LABEL.to_owned(), index.to_string());
    }
    if let Some(id) = request.instance_id {
        labels.insert(INSTANCE_ID_LABEL.to_owned(), id.to_owned());
    }
    annotations.insert(REVISION_ANNOTATION.to_owned(), request.revision.to_owned());

    Ok(AnalysisRun {
        metadata: ObjectMeta {
            name: Some(run_name(
                name,
                request.hashes.latest,
                request.revision,
                request.kind,
            )),
            namespace: rollout.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: format!("{GROUP}/{VERSION}"),
                kind: "Rollout".to_owned(),
                name: name.to_owned(),
                uid: uid.to_owned(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        spec: AnalysisRunSpec {
            metrics,
            args,
            terminate: false,
            dry_run,
            measurement_retention,
            ttl_strategy: None,
        },
        status: None,
    })
}
