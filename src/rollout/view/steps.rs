//! The step list with where the canary stands in it.

use serde::Serialize;

use crate::api::CanaryStep;
use crate::rollout::steps::weight_at_or_before;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StepState {
    Done,
    Current,
    Pending,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    pub index: usize,
    /// Argo's one-line rendering, e.g. `setWeight: 10`, `pause`, `pause: 20s`.
    pub text: String,
    /// The step's key in YAML (`setWeight`, `pause`, `analysis`, …); `invalid` for none.
    pub kind: &'static str,
    pub state: StepState,
    /// The canary weight in force while this step runs.
    pub weight: i32,
}

/// Every step, marked done, current or pending by `currentStepIndex` (all done once it is past the
/// last step, all pending without an index).
pub fn steps(steps: &[CanaryStep], index: Option<i32>) -> Vec<StepView> {
    let at = index.and_then(|i| usize::try_from(i).ok());
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| StepView {
            index: i,
            text: step.to_string(),
            kind: step.kind().map_or("invalid", |k| k.key()),
            state: match at {
                Some(at) if i < at => StepState::Done,
                Some(at) if i == at => StepState::Current,
                _ => StepState::Pending,
            },
            weight: weight_at_or_before(steps, i32::try_from(i).ok()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Vec<CanaryStep> {
        serde_json::from_value(serde_json::json!([
            {"setWeight": 10}, {"pause": {}}, {"setWeight": 20}, {"pause": {"duration": "20s"}}
        ]))
        .expect("steps")
    }

    #[test]
    fn marks_done_current_and_pending() {
        // (index, states)
        use StepState::*;
        let cases = [
            (None, [Pending, Pending, Pending, Pending]),
            (Some(0), [Current, Pending, Pending, Pending]),
            (Some(1), [Done, Current, Pending, Pending]),
            (Some(3), [Done, Done, Done, Current]),
            (Some(4), [Done, Done, Done, Done]),
        ];
        for (index, want) in cases {
            let got: Vec<StepState> = steps(&seed(), index).iter().map(|s| s.state).collect();
            assert_eq!(got, want, "{index:?}");
        }
    }

    #[test]
    fn texts_kinds_and_weights() {
        let got: Vec<(String, &str, i32)> = steps(&seed(), Some(1))
            .into_iter()
            .map(|s| (s.text, s.kind, s.weight))
            .collect();
        assert_eq!(
            got,
            [
                ("setWeight: 10".to_string(), "setWeight", 10),
                ("pause".to_string(), "pause", 10),
                ("setWeight: 20".to_string(), "setWeight", 20),
                ("pause: 20s".to_string(), "pause", 20),
            ]
        );
    }
}
