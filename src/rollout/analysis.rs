//! The rollout's side of analysis (§5.2, §5.7): which AnalysisRuns it needs, what they are named,
//! and how their phases move the canary. Running the measurements is the analysis layer's job.

use std::collections::BTreeMap;

use super::hash::HASH_LABEL;
use super::observed::{ObservedAnalysisRun, REVISION_ANNOTATION};
use crate::api::{AnalysisPhase, RolloutAnalysis};

pub const ROLLOUT_TYPE_LABEL: &str = "rollout-type";
pub const STEP_INDEX_LABEL: &str = "step-index";

/// Which analysis a run belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// The `analysis` step at this index.
    Step(usize),
    /// `strategy.canary.analysis`.
    Background,
}

impl RunKind {
    /// `rollout-type` label value.
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Step(_) => "Step",
            RunKind::Background => "Background",
        }
    }

    /// Argo's wording in abort messages.
    fn abort_prefix(self) -> &'static str {
        match self {
            RunKind::Step(_) => "Step-based",
            RunKind::Background => "Background",
        }
    }
}

/// `<rollout>-<podHash>-<revision>[-<stepIndex>]`.
pub fn base_name(rollout: &str, pod_hash: &str, revision: i64, kind: RunKind) -> String {
    match kind {
        RunKind::Step(index) => format!("{rollout}-{pod_hash}-{revision}-{index}"),
        RunKind::Background => format!("{rollout}-{pod_hash}-{revision}"),
    }
}

/// A run of this name family (`base`, `base.1`, …) that is still going: the one a decision whose
/// status write was lost created. Adopting it instead of starting another keeps one run per kind.
pub fn running_with_base<'a>(
    base: &str,
    existing: &'a [ObservedAnalysisRun],
) -> Option<&'a ObservedAnalysisRun> {
    existing.iter().find(|r| {
        let family = r.name == base
            || r.name
                .strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        family && !r.terminating && !r.phase.is_some_and(AnalysisPhase::is_completed)
    })
}

/// The first of `base`, `base.1`, `base.2`, … not taken by an existing run: a retried canary
/// needs a fresh run next to the finished one.
pub fn free_name(base: &str, existing: &[ObservedAnalysisRun]) -> String {
    let taken = |name: &str| existing.iter().any(|r| r.name == name);
    if !taken(base) {
        return base.to_owned();
    }
    (1..)
        .map(|n| format!("{base}.{n}"))
        .find(|name| !taken(name))
        .unwrap_or_else(|| base.to_owned())
}

/// Labels and annotations of a new run.
pub fn metadata(
    analysis: &RolloutAnalysis,
    match_labels: &BTreeMap<String, String>,
    pod_hash: &str,
    revision: i64,
    kind: RunKind,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let extra = analysis.analysis_run_metadata.as_ref();
    let mut labels = match_labels.clone();
    labels.extend(extra.map(|m| m.labels.clone()).unwrap_or_default());
    labels.insert(HASH_LABEL.into(), pod_hash.into());
    labels.insert(ROLLOUT_TYPE_LABEL.into(), kind.label().into());
    if let RunKind::Step(index) = kind {
        labels.insert(STEP_INDEX_LABEL.into(), index.to_string());
    }
    let mut annotations = extra.map(|m| m.annotations.clone()).unwrap_or_default();
    annotations.insert(REVISION_ANNOTATION.into(), revision.to_string());
    (labels, annotations)
}

/// What a run's phase means for the rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Not finished (or not reported yet): wait.
    Running,
    /// The step completes / the background run is fine.
    Successful,
    /// A person decides: pause with `InconclusiveAnalysisRun`.
    Inconclusive,
    /// Abort with this message.
    Abort(String),
}

/// Reads a run's phase the way the rollout reacts to it (§5.7).
pub fn judge(kind: RunKind, phase: Option<AnalysisPhase>, message: Option<&str>) -> Judgement {
    match phase {
        None | Some(AnalysisPhase::Pending) | Some(AnalysisPhase::Running) => Judgement::Running,
        Some(AnalysisPhase::Successful) => Judgement::Successful,
        Some(AnalysisPhase::Inconclusive) => Judgement::Inconclusive,
        Some(AnalysisPhase::Failed) | Some(AnalysisPhase::Error) => {
            let mut text = format!("{} analysis phase error/failed", kind.abort_prefix());
            if let Some(message) = message.filter(|m| !m.is_empty()) {
                text.push_str(": ");
                text.push_str(message);
            }
            Judgement::Abort(text)
        }
    }
}

/// Argo's Event for a phase change: reason `AnalysisRun<Phase>`, message
/// `Step Analysis Run 'x' Status New: 'Failed' Previous: 'Running'`.
pub fn phase_event(
    kind: RunKind,
    name: &str,
    new: AnalysisPhase,
    previous: Option<AnalysisPhase>,
) -> (String, String) {
    let text = |p: Option<AnalysisPhase>| {
        p.and_then(|p| serde_json::to_value(p).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    (
        format!("AnalysisRun{}", text(Some(new))),
        format!(
            "{} Analysis Run '{name}' Status New: '{}' Previous: '{}'",
            kind.label(),
            text(Some(new)),
            text(previous)
        ),
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_running_run_of_the_family_is_adopted() {
        let run =
            |name: &str, phase: Option<AnalysisPhase>, terminating: bool| ObservedAnalysisRun {
                name: name.into(),
                phase,
                terminating,
                ..Default::default()
            };
        let base = "ro-abc-2";
        let cases: Vec<(Vec<ObservedAnalysisRun>, Option<&str>)> = vec![
            (vec![], None),
            (vec![run("ro-abc-2", None, false)], Some("ro-abc-2")),
            (
                vec![
                    run("ro-abc-2", Some(AnalysisPhase::Failed), false),
                    run("ro-abc-2.1", Some(AnalysisPhase::Running), false),
                ],
                Some("ro-abc-2.1"),
            ),
            (
                vec![run("ro-abc-2", Some(AnalysisPhase::Running), true)],
                None,
            ),
            (vec![run("ro-abc-23", None, false)], None),
            (vec![run("ro-abc-2.x", None, false)], None),
        ];
        for (runs, want) in cases {
            assert_eq!(
                running_with_base(base, &runs).map(|r| r.name.as_str()),
                want,
                "{runs:?}"
            );
        }
    }

    use super::*;

    #[test]
    fn runs_are_named_like_argo() {
        assert_eq!(
            base_name("gateway", "8444846b5f", 21, RunKind::Step(1)),
            "gateway-8444846b5f-21-1"
        );
        assert_eq!(base_name("r", "h", 2, RunKind::Background), "r-h-2");
        let existing = |names: &[&str]| -> Vec<ObservedAnalysisRun> {
            names
                .iter()
                .map(|n| ObservedAnalysisRun {
                    name: (*n).into(),
                    ..Default::default()
                })
                .collect()
        };
        assert_eq!(free_name("r-h-2", &existing(&[])), "r-h-2");
        assert_eq!(free_name("r-h-2", &existing(&["r-h-2"])), "r-h-2.1");
        assert_eq!(
            free_name("r-h-2", &existing(&["r-h-2", "r-h-2.1"])),
            "r-h-2.2"
        );
    }

    #[test]
    fn run_metadata() {
        let analysis = RolloutAnalysis::default();
        let labels = BTreeMap::from([("app".to_owned(), "a".to_owned())]);
        let (labels, annotations) = metadata(&analysis, &labels, "h", 3, RunKind::Step(4));
        assert_eq!(labels.get("step-index").map(String::as_str), Some("4"));
        assert_eq!(labels.get("rollout-type").map(String::as_str), Some("Step"));
        assert_eq!(labels.get(HASH_LABEL).map(String::as_str), Some("h"));
        assert_eq!(labels.get("app").map(String::as_str), Some("a"));
        assert_eq!(
            annotations.get(REVISION_ANNOTATION).map(String::as_str),
            Some("3")
        );
    }

    #[test]
    fn phases_are_judged_per_argo() {
        use AnalysisPhase::*;
        let cases = [
            (RunKind::Step(1), None, None, Judgement::Running),
            (RunKind::Step(1), Some(Running), None, Judgement::Running),
            (RunKind::Step(1), Some(Successful), None, Judgement::Successful),
            (RunKind::Background, Some(Inconclusive), None, Judgement::Inconclusive),
            (
                RunKind::Step(1),
                Some(Failed),
                Some("Metric \"error-rate\" assessed Failed due to failed (2) > failureLimit (1)"),
                Judgement::Abort(
                    "Step-based analysis phase error/failed: Metric \"error-rate\" assessed Failed due to failed (2) > failureLimit (1)".into(),
                ),
            ),
            (
                RunKind::Background,
                Some(Error),
                None,
                Judgement::Abort("Background analysis phase error/failed".into()),
            ),
        ];
        for (kind, phase, message, expected) in cases {
            assert_eq!(judge(kind, phase, message), expected, "{phase:?}");
        }
        assert_eq!(
            phase_event(RunKind::Step(1), "a", Failed, Some(Running)),
            (
                "AnalysisRunFailed".to_owned(),
                "Step Analysis Run 'a' Status New: 'Failed' Previous: 'Running'".to_owned()
            )
        );
    }
}
