//! Run lifecycle tests on the seed's AnalysisTemplate and Rollout.

mod new;
mod step;

use chrono::{DateTime, Utc};

use super::*;
use crate::analysis::args::PodHashes;
use crate::analysis::time::to_time;
use crate::api::{AnalysisPhase, AnalysisRun, AnalysisTemplate, Measurement, Rollout};

pub(super) const SEED_TEMPLATE: &str =
    include_str!("../../../../tests/fixtures/seed/istio-success-rate.yaml");
pub(super) const SEED_ROLLOUT: &str =
    include_str!("../../../../tests/fixtures/seed/rollout-with-analysis.yaml");

pub(super) const HASHES: PodHashes<'static> = PodHashes {
    stable: Some("7f96d86486"),
    latest: "5c9b7d8f4",
};

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid time")
}

pub(super) fn seed_template() -> AnalysisTemplate {
    serde_yaml::from_str(SEED_TEMPLATE).expect("seed template parses")
}

/// The seed Rollout as read back from a cluster: with a namespace and a uid.
pub(super) fn seed_rollout() -> Rollout {
    let mut rollout: Rollout = serde_yaml::from_str(SEED_ROLLOUT).expect("seed rollout parses");
    rollout.metadata.namespace = Some("shop".to_owned());
    rollout.metadata.uid = Some("3f1c-uid".to_owned());
    rollout
}

/// The seed's background analysis run, for revision 2.
pub(super) fn seed_run() -> AnalysisRun {
    let rollout = seed_rollout();
    let template = seed_template();
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

pub(super) fn taken(phase: AnalysisPhase, at_second: i64, value: &str) -> TakenMeasurement {
    TakenMeasurement {
        metric: "success-rate".to_owned(),
        measurement: Measurement {
            phase,
            message: (phase == AnalysisPhase::Error).then(|| "no data".to_owned()),
            started_at: Some(to_time(at(at_second))),
            finished_at: Some(to_time(at(at_second))),
            value: Some(value.to_owned()),
            metadata: Default::default(),
            resume_at: None,
        },
        metadata: [("ResolvedPrometheusQuery".to_owned(), "q".to_owned())].into(),
    }
}
