//! A metric's counters and phase (Argo's `assessMetricStatus`): measurements update counters,
//! counters against limits decide the phase.

use crate::api::{AnalysisPhase, Measurement, MetricResult};

use super::MetricSettings;

/// A metric's phase and the reason behind a limit-based verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricVerdict {
    pub phase: AnalysisPhase,
    /// E.g. `failed (2) > failureLimit (1)`; `None` for Pending, Running and plain success.
    pub reason: Option<String>,
}

impl MetricVerdict {
    fn plain(phase: AnalysisPhase) -> MetricVerdict {
        MetricVerdict {
            phase,
            reason: None,
        }
    }
}

/// A fresh result for a metric's first measurement.
pub fn new_result(name: &str, dry_run: bool) -> MetricResult {
    MetricResult {
        name: name.to_owned(),
        phase: AnalysisPhase::Running,
        message: None,
        count: 0,
        successful: 0,
        failed: 0,
        inconclusive: 0,
        error: 0,
        consecutive_error: 0,
        consecutive_success: 0,
        dry_run,
        measurements: Vec::new(),
        metadata: Default::default(),
    }
}

/// Adds a measurement, replacing the last one if that was still in flight, and counts it if it
/// is complete. Errors do not count towards `count`: a metric must be *measured* `count` times.
pub fn record(result: &mut MetricResult, measurement: Measurement) {
    if measurement.phase.is_completed() {
        match measurement.phase {
            AnalysisPhase::Successful => {
                result.successful += 1;
                result.count += 1;
                result.consecutive_error = 0;
                result.consecutive_success += 1;
            }
            AnalysisPhase::Failed => {
                result.failed += 1;
                result.count += 1;
                result.consecutive_error = 0;
                result.consecutive_success = 0;
            }
            AnalysisPhase::Inconclusive => {
                result.inconclusive += 1;
                result.count += 1;
                result.consecutive_error = 0;
                result.consecutive_success = 0;
            }
            _ => {
                result.error += 1;
                result.consecutive_error += 1;
                result.consecutive_success = 0;
            }
        }
    }
    let in_flight = result
        .measurements
        .last()
        .is_some_and(|last| !last.phase.is_completed());
    if in_flight {
        result.measurements.pop();
    }
    result.measurements.push(measurement);
}

/// The limit a metric has crossed, if any. Later checks win, so the precedence is
/// Error > Inconclusive > Failed.
pub fn limit_crossed(settings: &MetricSettings, result: &MetricResult) -> Option<MetricVerdict> {
    let mut crossed = None;
    if settings.failure_limit >= 0 && result.failed > settings.failure_limit {
        crossed = Some((
            AnalysisPhase::Failed,
            format!(
                "failed ({}) > failureLimit ({})",
                result.failed, settings.failure_limit
            ),
        ));
    }
    if result.inconclusive > settings.inconclusive_limit {
        crossed = Some((
            AnalysisPhase::Inconclusive,
            format!(
                "inconclusive ({}) > inconclusiveLimit ({})",
                result.inconclusive, settings.inconclusive_limit
            ),
        ));
    }
    if result.consecutive_error > settings.consecutive_error_limit {
        crossed = Some((
            AnalysisPhase::Error,
            format!(
                "consecutiveErrors ({}) > consecutiveErrorLimit ({})",
                result.consecutive_error, settings.consecutive_error_limit
            ),
        ));
    }
    crossed.map(|(phase, reason)| MetricVerdict {
        phase,
        reason: Some(reason),
    })
}

/// What the counters alone decide: a crossed limit, enough successes in a row, or the last of
/// `count` measurements. Deterministic, so a completed metric's reason can be recomputed.
fn counters_verdict(settings: &MetricSettings, result: &MetricResult) -> Option<MetricVerdict> {
    if let Some(crossed) = limit_crossed(settings, result) {
        return Some(crossed);
    }
    let success_limit = settings.consecutive_success_limit;
    if success_limit > 0 && result.consecutive_success >= success_limit {
        return Some(MetricVerdict::plain(AnalysisPhase::Successful));
    }
    let count = settings.effective_count()?;
    if result.count < count {
        return None;
    }
    if success_limit == 0 {
        return Some(MetricVerdict::plain(AnalysisPhase::Successful));
    }
    let streak = format!(
        "count ({}) reached with consecutiveSuccess ({}) < consecutiveSuccessLimit ({success_limit})",
        result.count, result.consecutive_success
    );
    // With both limits in play and neither deciding, a person has to look.
    Some(if settings.failure_limit >= 0 {
        MetricVerdict {
            phase: AnalysisPhase::Inconclusive,
            reason: Some(format!(
                "{streak} and failed ({}) <= failureLimit ({})",
                result.failed, settings.failure_limit
            )),
        }
    } else {
        MetricVerdict {
            phase: AnalysisPhase::Failed,
            reason: Some(streak),
        }
    })
}

/// The phase a metric is in now. `terminating` means no more measurements will be taken (the run
/// was told to stop, or another metric already decided it), so an open-ended metric succeeds.
pub fn assess_metric(
    settings: &MetricSettings,
    result: &MetricResult,
    terminating: bool,
) -> MetricVerdict {
    if result.phase.is_completed() {
        return counters_verdict(settings, result)
            .filter(|v| v.phase == result.phase)
            .unwrap_or_else(|| MetricVerdict::plain(result.phase));
    }
    let Some(last) = result.measurements.last() else {
        return MetricVerdict::plain(if terminating {
            AnalysisPhase::Successful
        } else {
            AnalysisPhase::Pending
        });
    };
    if !last.phase.is_completed() {
        return MetricVerdict::plain(AnalysisPhase::Running);
    }
    counters_verdict(settings, result).unwrap_or_else(|| {
        MetricVerdict::plain(if terminating {
            AnalysisPhase::Successful
        } else {
            AnalysisPhase::Running
        })
    })
}
