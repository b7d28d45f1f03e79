//! When a metric is measured next (Argo's `generateMetricTasks` / `calculateNextReconcileTime`):
//! after `initialDelay` the first time, every `interval` after that, 10 s after an error, never
//! once `count` measurements are in.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::analysis::time::{after, from_time};
use crate::api::{AnalysisPhase, MetricResult};

use super::MetricSettings;

/// Retry delay after a measurement error, whatever the metric's interval.
pub const ERROR_RETRY_INTERVAL: Duration = Duration::from_secs(10);

/// When the metric should next be measured; due when the time is not after `now`. `None`: not
/// again (the metric is complete, has its count, or takes no repeat measurements).
pub fn next_measurement_at(
    settings: &MetricSettings,
    result: Option<&MetricResult>,
    run_started_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if result.is_some_and(|r| r.phase.is_completed()) {
        return None;
    }
    let Some(last) = result.and_then(|r| r.measurements.last()) else {
        let start = run_started_at.unwrap_or(now);
        return Some(after(start, settings.initial_delay.unwrap_or_default()));
    };
    let Some(finished) = last.finished_at.as_ref().map(from_time) else {
        // In flight: pick it up again when the provider asked, or now.
        return Some(last.resume_at.as_ref().map(from_time).unwrap_or(now));
    };
    let counted = result.map_or(0, |r| r.count);
    if settings
        .effective_count()
        .is_some_and(|count| counted >= count)
    {
        return None;
    }
    let wait = if last.phase == AnalysisPhase::Error {
        ERROR_RETRY_INTERVAL
    } else {
        settings.interval?
    };
    Some(after(finished, wait))
}

/// Keeps the newest `limit` measurements; counters are untouched, so limits still see them all.
pub fn trim_measurements(result: &mut MetricResult, limit: usize) {
    let excess = result.measurements.len().saturating_sub(limit);
    result.measurements.drain(..excess);
}
