//! A run's phase from its metrics' phases (Argo's `assessRunStatus`): the worst non-dry-run
//! metric once all are done, with a message naming the metric and the limit it crossed.

use crate::api::{AnalysisPhase, MetricResult, RunSummary};

use super::{MetricSettings, assess_metric};

/// A metric as the run sees it.
#[derive(Clone, Copy, Debug)]
pub struct RunMetric<'a> {
    pub settings: &'a MetricSettings,
    /// Measured and reported, but never decides the run.
    pub dry_run: bool,
}

/// The run's phase, message and summaries.
#[derive(Clone, Debug, PartialEq)]
pub struct RunVerdict {
    pub phase: AnalysisPhase,
    pub message: Option<String>,
    pub run_summary: RunSummary,
    pub dry_run_summary: RunSummary,
}

/// Rank from best to worst; Failed is worse than Error because it is a verdict on the canary,
/// not on the measuring.
fn rank(phase: AnalysisPhase) -> u8 {
    match phase {
        AnalysisPhase::Successful => 0,
        AnalysisPhase::Running => 1,
        AnalysisPhase::Pending => 2,
        AnalysisPhase::Inconclusive => 3,
        AnalysisPhase::Error => 4,
        AnalysisPhase::Failed => 5,
    }
}

/// Whether `candidate` is a worse outcome than `current`.
pub fn is_worse(current: AnalysisPhase, candidate: AnalysisPhase) -> bool {
    rank(candidate) > rank(current)
}

/// A run stops measuring when told to, or as soon as a metric that counts has failed, errored or
/// come out inconclusive: the verdict can no longer be Successful.
pub fn is_terminating(terminate_requested: bool, results: &[MetricResult]) -> bool {
    terminate_requested
        || results.iter().any(|r| {
            !r.dry_run
                && matches!(
                    r.phase,
                    AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
                )
        })
}

fn add(summary: &mut RunSummary, phase: AnalysisPhase) {
    match phase {
        AnalysisPhase::Failed => summary.failed += 1,
        AnalysisPhase::Inconclusive => summary.inconclusive += 1,
        AnalysisPhase::Error => summary.error += 1,
        _ => summary.successful += 1,
    }
}

/// Updates each metric's phase (and message) and decides the run's. If a metric crossing a limit
/// makes the run terminate, the other metrics are settled in the same call rather than on a
/// later reconcile.
pub fn assess_run(
    metrics: &[RunMetric<'_>],
    results: &mut [MetricResult],
    terminate_requested: bool,
) -> RunVerdict {
    let terminating = is_terminating(terminate_requested, results);
    let verdict = assess_pass(metrics, results, terminate_requested, terminating);
    if !terminating && is_terminating(terminate_requested, results) {
        return assess_pass(metrics, results, terminate_requested, true);
    }
    verdict
}

fn assess_pass(
    metrics: &[RunMetric<'_>],
    results: &mut [MetricResult],
    terminate_requested: bool,
    terminating: bool,
) -> RunVerdict {
    let mut worst: Option<AnalysisPhase> = None;
    let mut message = terminate_requested.then(|| "Run Terminated".to_owned());
    let mut everything_completed = true;
    let mut run_summary = RunSummary::default();
    let mut dry_run_summary = RunSummary::default();
    for metric in metrics {
        let summary = if metric.dry_run {
            &mut dry_run_summary
        } else {
            &mut run_summary
        };
        summary.count += 1;
        let Some(result) = results.iter_mut().find(|r| r.name == metric.settings.name) else {
            everything_completed = false;
            continue;
        };
        let verdict = assess_metric(metric.settings, result, terminating);
        if result.phase != verdict.phase {
            result.message = result.measurements.last().and_then(|m| m.message.clone());
            result.phase = verdict.phase;
        }
        if !verdict.phase.is_completed() {
            everything_completed = false;
            continue;
        }
        add(summary, verdict.phase);
        if metric.dry_run {
            worst.get_or_insert(AnalysisPhase::Successful);
            if let Some(reason) = &verdict.reason {
                result.message = Some(format!(
                    "Metric assessed {:?} due to {reason}",
                    verdict.phase
                ));
            }
            continue;
        }
        if worst.is_none_or(|w| is_worse(w, verdict.phase)) {
            worst = Some(verdict.phase);
            if let Some(reason) = &verdict.reason {
                let mut text = format!(
                    "Metric \"{}\" assessed {:?} due to {reason}",
                    metric.settings.name, verdict.phase
                );
                if let Some(last) = result.message.as_deref().filter(|m| !m.is_empty()) {
                    text.push_str(&format!(": \"Error Message: {last}\""));
                }
                message = Some(text);
            }
        }
    }
    if terminating {
        return RunVerdict {
            phase: worst.unwrap_or(AnalysisPhase::Successful),
            message,
            run_summary,
            dry_run_summary,
        };
    }
    match worst {
        Some(phase) if everything_completed => RunVerdict {
            phase,
            message,
            run_summary,
            dry_run_summary,
        },
        _ => RunVerdict {
            phase: AnalysisPhase::Running,
            message: None,
            run_summary,
            dry_run_summary,
        },
    }
}
