//! The seed walk-through's AnalysisTemplate and Rollout, as the analysis tests use them.

use chrono::{DateTime, Utc};

use super::args::PodHashes;
use super::run::{NewRun, RunKind, new_run};
use crate::api::{AnalysisRun, AnalysisTemplate, Rollout};

pub(crate) const SEED_TEMPLATE: &str =
    include_str!("../../tests/fixtures/seed/istio-success-rate.yaml");
pub(crate) const SEED_ROLLOUT: &str =
    include_str!("../../tests/fixtures/seed/rollout-with-analysis.yaml");

pub(crate) const HASHES: PodHashes<'static> = PodHashes {
    stable: Some("7f96d86486"),
    latest: "5c9b7d8f4",
};

pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid time")
}

pub(crate) fn seed_template() -> AnalysisTemplate {
    serde_yaml::from_str(SEED_TEMPLATE).expect("seed template parses")
}

/// The seed Rollout as read back from a cluster: with a namespace and a uid.
pub(crate) fn seed_rollout() -> Rollout {
    let mut rollout: Rollout = serde_yaml::from_str(SEED_ROLLOUT).expect("seed rollout parses");
    rollout.metadata.namespace = Some("shop".to_owned());
    rollout.metadata.uid = Some("3f1c-uid".to_owned());
    rollout
}

/// The seed's background analysis run, for revision 2.
pub(crate) fn seed_run() -> AnalysisRun {
    seed_run_with(&seed_template())
}

/// The seed Rollout's background run over `template`.
pub(crate) fn seed_run_with(template: &AnalysisTemplate) -> AnalysisRun {
    let rollout = seed_rollout();
    let analysis = rollout
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.canary.as_ref())
        .and_then(|c| c.analysis.as_ref())
        .map(|a| a.analysis.clone())
        .expect("seed has a background analysis");
    new_run(&NewRun {
        rollout: &rollout,
        analysis: &analysis,
        templates: &[&template.spec],
        kind: RunKind::Background,
        hashes: HASHES,
        revision: "2",
        instance_id: None,
    })
    .expect("seed run builds")
}
