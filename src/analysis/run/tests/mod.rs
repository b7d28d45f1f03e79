//! Run lifecycle tests on the seed's AnalysisTemplate and Rollout.

mod new;
mod step;

use super::*;
use crate::analysis::time::to_time;
use crate::api::{AnalysisPhase, AnalysisRun, Measurement, Rollout};

pub(super) use crate::analysis::fixtures::{HASHES, at, seed_rollout, seed_run, seed_template};

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
