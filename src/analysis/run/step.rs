//! One reconcile of an AnalysisRun as a pure function: fold in what was just measured, judge
//! metrics and run, say which metrics are due now and when to look again. The controller writes
//! the status, measures what is due (see [`Measurer`](crate::analysis::measure::Measurer)) and
//! calls again; nothing here does I/O or reads the clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::analysis::args::{ResolvedArgs, resolve_metric};
use crate::analysis::judge::{
    MetricSettings, RunMetric, assess_run, dry_run_metrics, is_terminating, new_result,
    next_measurement_at, record, retention_limits, settings_for, trim_measurements,
};
use crate::analysis::time::{from_time, to_time};
use crate::api::{AnalysisPhase, AnalysisRun, AnalysisRunStatus, Measurement, Metric};

/// What a provider returned for one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct TakenMeasurement {
    pub metric: String,
    pub measurement: Measurement,
    /// Provider data for the metric result, e.g. `ResolvedPrometheusQuery`.
    pub metadata: BTreeMap<String, String>,
}

/// A metric to measure now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureTask {
    pub metric: String,
    /// Position in `spec.metrics`.
    pub index: usize,
    /// The last measurement is unfinished and is to be taken again, not added to.
    pub resume: bool,
}

/// The outcome of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct RunUpdate {
    pub status: AnalysisRunStatus,
    /// Due now; empty once the run is complete or terminating.
    pub measure: Vec<MeasureTask>,
    /// When a metric next falls due, if the run goes on.
    pub requeue_at: Option<DateTime<Utc>>,
}

impl RunUpdate {
    fn done(status: AnalysisRunStatus) -> RunUpdate {
        RunUpdate {
            status,
            measure: Vec::new(),
            requeue_at: None,
        }
    }
}

/// Ends a run with Error, e.g. when its arguments cannot be resolved.
pub fn fail_run(
    mut status: AnalysisRunStatus,
    now: DateTime<Utc>,
    message: String,
) -> AnalysisRunStatus {
    status.phase = Some(AnalysisPhase::Error);
    status.message = Some(message);
    status.started_at.get_or_insert_with(|| to_time(now));
    status.completed_at = Some(to_time(now));
    status
}

/// The run's metrics with placeholders filled in; secrets show as `*****`, which is all that
/// scheduling and limits need.
fn metrics_without_secrets(run: &AnalysisRun) -> Result<Vec<Metric>, String> {
    let args = ResolvedArgs::without_secrets(&run.spec.args).map_err(|e| e.to_string())?;
    run.spec
        .metrics
        .iter()
        .map(|m| resolve_metric(m, &args).map_err(|e| e.to_string()))
        .collect()
}

struct Plan {
    settings: Vec<MetricSettings>,
    dry_run: BTreeSet<String>,
    retention: BTreeMap<String, usize>,
}

fn plan(run: &AnalysisRun) -> Result<Plan, String> {
    let metrics = metrics_without_secrets(run)
        .map_err(|e| format!("Unable to resolve metric arguments: {e}"))?;
    let invalid = |e: String| format!("Analysis spec invalid: {e}");
    let settings = settings_for(&metrics).map_err(|e| invalid(e.to_string()))?;
    let names: Vec<&str> = settings.iter().map(|s| s.name.as_str()).collect();
    let dry_run = dry_run_metrics(&run.spec.dry_run, &names).map_err(|e| invalid(e.to_string()))?;
    let retention = retention_limits(&run.spec.measurement_retention, &names)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Plan {
        settings,
        dry_run,
        retention,
    })
}

/// Advances `run` to `now` with the measurements just taken (none on a plain reconcile).
pub fn step_run(run: &AnalysisRun, now: DateTime<Utc>, taken: &[TakenMeasurement]) -> RunUpdate {
    let mut status = run.status.clone().unwrap_or_default();
    if status.phase.is_some_and(AnalysisPhase::is_completed) {
        return RunUpdate::done(status);
    }
    let plan = match plan(run) {
        Ok(plan) => plan,
        Err(message) => return RunUpdate::done(fail_run(status, now, message)),
    };
    let started_at = from_time(status.started_at.get_or_insert_with(|| to_time(now)));
    let results = &mut status.metric_results;

    for taken in taken {
        if !plan.settings.iter().any(|s| s.name == taken.metric) {
            continue;
        }
        let position = match results.iter().position(|r| r.name == taken.metric) {
            Some(i) => i,
            None => {
                let dry_run = plan.dry_run.contains(&taken.metric);
                results.push(new_result(&taken.metric, dry_run));
                results.len() - 1
            }
        };
        let result = &mut results[position];
        if result.phase.is_completed() {
            continue;
        }
        result.metadata.extend(taken.metadata.clone());
        let mut measurement = taken.measurement.clone();
        if measurement.phase.is_completed() && measurement.finished_at.is_none() {
            measurement.finished_at = Some(to_time(now));
        }
        record(result, measurement);
    }

    let terminating = is_terminating(run.spec.terminate, results);
    if terminating {
        for result in results.iter_mut() {
            if let Some(last) = result.measurements.last()
                && !last.phase.is_completed()
            {
                let mut ended = last.clone();
                ended.phase = AnalysisPhase::Successful;
                ended.message = Some("Metric Terminated".to_owned());
                ended.finished_at = Some(to_time(now));
                record(result, ended);
            }
        }
    }

    let metrics: Vec<RunMetric<'_>> = plan
        .settings
        .iter()
        .map(|settings| RunMetric {
            settings,
            dry_run: plan.dry_run.contains(&settings.name),
        })
        .collect();
    let verdict = assess_run(&metrics, results, run.spec.terminate);
    for result in results.iter_mut() {
        let limit = plan
            .retention
            .get(&result.name)
            .copied()
            .unwrap_or(crate::analysis::judge::DEFAULT_MEASUREMENT_RETENTION);
        trim_measurements(result, limit);
    }
    status.phase = Some(verdict.phase);
    status.message = verdict.message;
    status.run_summary = Some(verdict.run_summary);
    status.dry_run_summary = Some(verdict.dry_run_summary);
    if verdict.phase.is_completed() {
        status.completed_at.get_or_insert_with(|| to_time(now));
        return RunUpdate::done(status);
    }

    let terminating = is_terminating(run.spec.terminate, &status.metric_results);
    let mut measure = Vec::new();
    let mut requeue_at: Option<DateTime<Utc>> = None;
    for (index, settings) in plan.settings.iter().enumerate() {
        let result = status
            .metric_results
            .iter()
            .find(|r| r.name == settings.name);
        if terminating {
            continue;
        }
        let Some(due) = next_measurement_at(settings, result, Some(started_at), now) else {
            continue;
        };
        if due <= now {
            measure.push(MeasureTask {
                metric: settings.name.clone(),
                index,
                resume: result
                    .and_then(|r| r.measurements.last())
                    .is_some_and(|m| !m.phase.is_completed()),
            });
        } else {
            requeue_at = Some(requeue_at.map_or(due, |at| at.min(due)));
        }
    }
    RunUpdate {
        status,
        measure,
        requeue_at,
    }
}
