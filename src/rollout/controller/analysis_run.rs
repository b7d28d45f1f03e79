//! Building an AnalysisRun for a rollout from its templates and arguments (the analysis layer's
//! `new_run`), with the templates read from the watch caches.

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use serde_json::Value;

use super::caches::Caches;
use crate::analysis::run::{NewRun, RunKind, new_run};
use crate::api::{AnalysisTemplateSpec, Rollout};
use crate::rollout::NewAnalysisRun;

/// The AnalysisRun object to create, or why it cannot be built (a missing template, an argument).
pub fn build(rollout: &Rollout, nar: &NewAnalysisRun, caches: &Caches) -> Result<Value, String> {
    let ns = rollout.namespace().unwrap_or_default();
    let mut specs: Vec<AnalysisTemplateSpec> = vec![];
    for t in &nar.analysis.templates {
        let spec = if t.cluster_scope {
            caches
                .cluster_analysis_templates
                .get(&ObjectRef::new(&t.template_name))
                .map(|c| c.spec.template.clone())
                .ok_or_else(|| format!("ClusterAnalysisTemplate '{}' not found", t.template_name))?
        } else {
            caches
                .analysis_templates
                .get(&ObjectRef::new(&t.template_name).within(&ns))
                .map(|a| a.spec.clone())
                .ok_or_else(|| format!("AnalysisTemplate '{}' not found", t.template_name))?
        };
        specs.push(spec);
    }
    let refs: Vec<&AnalysisTemplateSpec> = specs.iter().collect();
    let kind = match nar.labels.get("step-index").and_then(|i| i.parse().ok()) {
        Some(i) => RunKind::Step(i),
        None => RunKind::Background,
    };
    let revision = nar
        .annotations
        .get(crate::rollout::REVISION_ANNOTATION)
        .cloned()
        .unwrap_or_default();
    let request = NewRun {
        rollout,
        analysis: &nar.analysis,
        templates: &refs,
        kind,
        hashes: crate::analysis::args::PodHashes {
            stable: nar.stable_pod_hash.as_deref(),
            latest: &nar.latest_pod_hash,
        },
        revision: &revision,
        instance_id: None,
    };
    let mut run = new_run(&request).map_err(|e| e.to_string())?;
    run.metadata.name = Some(nar.name.clone());
    let labels = run.metadata.labels.get_or_insert_with(Default::default);
    labels.extend(nar.labels.clone());
    let annotations = run
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    annotations.extend(nar.annotations.clone());
    serde_json::to_value(&run).map_err(|e| e.to_string())
}
