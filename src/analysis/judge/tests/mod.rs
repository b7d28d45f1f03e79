//! Table tests for every judgement rule.

mod measurement;
mod metric;
mod run;
mod schedule;
mod settings;

use chrono::{DateTime, Utc};

use super::*;
use crate::analysis::time::to_time;
use crate::api::{AnalysisPhase, Measurement, MetricResult};

pub(super) use AnalysisPhase::{Error, Failed, Inconclusive, Pending, Running, Successful};

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid time")
}

/// Settings with Argo's defaults, unbounded with a 20 s interval unless changed.
pub(super) fn settings(name: &str) -> MetricSettings {
    MetricSettings {
        name: name.to_owned(),
        interval: Some(std::time::Duration::from_secs(20)),
        initial_delay: None,
        count: 0,
        failure_limit: 0,
        inconclusive_limit: 0,
        consecutive_error_limit: DEFAULT_CONSECUTIVE_ERROR_LIMIT,
        consecutive_success_limit: 0,
    }
}

pub(super) fn measurement(phase: AnalysisPhase, finished: Option<i64>) -> Measurement {
    Measurement {
        phase,
        message: (phase == Error).then(|| "query failed".to_owned()),
        started_at: finished.map(|s| to_time(at(s))),
        finished_at: finished.map(|s| to_time(at(s))),
        value: None,
        metadata: Default::default(),
        resume_at: None,
    }
}

/// A result built by recording completed measurements, finished one second apart.
pub(super) fn measured(name: &str, phases: &[AnalysisPhase]) -> MetricResult {
    let mut result = new_result(name, false);
    for (i, phase) in phases.iter().enumerate() {
        record(&mut result, measurement(*phase, Some(i as i64)));
    }
    result
}
