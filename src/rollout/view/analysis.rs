//! AnalysisRuns as the dashboard shows them: each metric with its measurements' values and verdicts.

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use serde::Serialize;

use super::objects::revision_of;
use crate::api::{AnalysisPhase, AnalysisRun, Measurement, MetricResult};
use crate::rollout::analysis::{ROLLOUT_TYPE_LABEL, STEP_INDEX_LABEL};
use crate::rollout::time::from_time;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunView {
    pub name: String,
    /// `Pending` until the run reports a phase.
    pub phase: AnalysisPhase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Step` or `Background` (the `rollout-type` label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_index: Option<i32>,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    pub metrics: Vec<MetricView>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricView {
    pub name: String,
    pub phase: AnalysisPhase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub successful: i32,
    pub failed: i32,
    pub inconclusive: i32,
    pub error: i32,
    pub dry_run: bool,
    /// Oldest first, as the run keeps them.
    pub measurements: Vec<MeasurementView>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasurementView {
    /// The verdict: Successful, Failed, Inconclusive, Error, or Running while in flight.
    pub phase: AnalysisPhase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

fn measurement(m: &Measurement) -> MeasurementView {
    MeasurementView {
        phase: m.phase,
        value: m.value.clone(),
        message: m.message.clone(),
        started_at: m.started_at.as_ref().map(from_time),
        finished_at: m.finished_at.as_ref().map(from_time),
    }
}

fn metric(m: &MetricResult) -> MetricView {
    MetricView {
        name: m.name.clone(),
        phase: m.phase,
        message: m.message.clone(),
        successful: m.successful,
        failed: m.failed,
        inconclusive: m.inconclusive,
        error: m.error,
        dry_run: m.dry_run,
        measurements: m.measurements.iter().map(measurement).collect(),
    }
}

/// One run.
pub fn run(ar: &AnalysisRun) -> AnalysisRunView {
    let status = ar.status.clone().unwrap_or_default();
    AnalysisRunView {
        name: ar.name_any(),
        phase: status.phase.unwrap_or(AnalysisPhase::Pending),
        message: status.message.clone(),
        kind: ar.labels().get(ROLLOUT_TYPE_LABEL).cloned(),
        step_index: ar
            .labels()
            .get(STEP_INDEX_LABEL)
            .and_then(|i| i.parse().ok()),
        revision: revision_of(ar.annotations()),
        created: ar.metadata.creation_timestamp.as_ref().map(from_time),
        started_at: status.started_at.as_ref().map(from_time),
        completed_at: status.completed_at.as_ref().map(from_time),
        metrics: status.metric_results.iter().map(metric).collect(),
    }
}

/// Every run, newest first (by revision, then creation, then name).
pub fn runs(analysis_runs: &[AnalysisRun]) -> Vec<AnalysisRunView> {
    let mut out: Vec<AnalysisRunView> = analysis_runs.iter().map(run).collect();
    out.sort_by(|a, b| (b.revision, b.created, &b.name).cmp(&(a.revision, a.created, &a.name)));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ar(name: &str, revision: &str, created: &str, status: serde_json::Value) -> AnalysisRun {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
            "metadata": {"name": name, "creationTimestamp": created,
                "labels": {"rollout-type": "Background"},
                "annotations": {"rollout.argoproj.io/revision": revision}},
            "spec": {"metrics": []},
            "status": status,
        }))
        .expect("analysis run")
    }

    #[test]
    fn measurements_keep_values_and_verdicts_newest_run_first() {
        let old = ar(
            "r-a-2",
            "2",
            "2024-01-01T00:00:00Z",
            json!({"phase": "Successful"}),
        );
        let new = ar(
            "r-b-3",
            "3",
            "2024-01-01T00:01:00Z",
            json!({"phase": "Failed", "message": "metric \"success-rate\" assessed Failed",
            "metricResults": [{"name": "success-rate", "phase": "Failed", "failed": 2, "successful": 1,
                "measurements": [
                    {"phase": "Successful", "value": "[0.98]", "startedAt": "2024-01-01T00:01:01Z"},
                    {"phase": "Failed", "value": "[0.52]"},
                    {"phase": "Error", "message": "connection refused"},
                ]}]}),
        );
        let views = runs(&[old, new]);
        assert_eq!(
            views.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["r-b-3", "r-a-2"]
        );
        let m = &views[0].metrics[0];
        assert_eq!((m.failed, m.successful), (2, 1));
        let seen: Vec<(AnalysisPhase, Option<&str>, Option<&str>)> = m
            .measurements
            .iter()
            .map(|x| (x.phase, x.value.as_deref(), x.message.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (AnalysisPhase::Successful, Some("[0.98]"), None),
                (AnalysisPhase::Failed, Some("[0.52]"), None),
                (AnalysisPhase::Error, None, Some("connection refused")),
            ]
        );
        assert_eq!(views[0].kind.as_deref(), Some("Background"));
        assert_eq!(views[1].phase, AnalysisPhase::Successful);
        assert!(views[1].metrics.is_empty());
    }

    #[test]
    fn a_run_without_status_is_pending() {
        let v = run(&ar("x", "1", "2024-01-01T00:00:00Z", json!(null)));
        assert_eq!((v.phase, v.revision), (AnalysisPhase::Pending, 1));
    }
}
