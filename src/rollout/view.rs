//! A Rollout as people look at it: the values of `kubectl argo rollouts get rollout`'s header that
//! depend on the step machine (§6), so `gitcanary get rollout` prints what Argo's plugin prints for
//! the same status, and the dashboard's JSON model (submodules), built by pure functions from the
//! live Rollout, its ReplicaSets, AnalysisRuns and VirtualServices.

use super::steps::{MAX_WEIGHT, current_step, weight_at_or_before};
use crate::api::Rollout;

pub mod analysis;
pub mod detail;
pub mod objects;
pub mod revisions;
pub mod steps;
pub mod traffic;

/// `Step:`, `SetWeight:` and `ActualWeight:` as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepHeader {
    /// `i/n`, empty without steps or index.
    pub step: String,
    pub set_weight: String,
    pub actual_weight: String,
}

/// Where the canary stands in its steps, as numbers (the dashboard's JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepPosition {
    pub index: Option<i32>,
    pub count: usize,
    pub set_weight: i32,
    pub actual_weight: i32,
}

impl StepPosition {
    /// `i/n`, empty without steps or index.
    pub fn text(&self) -> String {
        match self.index {
            Some(i) if self.count > 0 => format!("{i}/{}", self.count),
            _ => String::new(),
        }
    }
}

/// The header values; `canary_available` is the canary ReplicaSet's available pods (used only for
/// a canary without traffic routing, whose actual weight is its share of available pods).
pub fn step_header(rollout: &Rollout, canary_available: i32) -> StepHeader {
    let p = step_position(rollout, canary_available);
    StepHeader {
        step: p.text(),
        set_weight: p.set_weight.to_string(),
        actual_weight: p.actual_weight.to_string(),
    }
}

/// The numbers behind [`step_header`].
pub fn step_position(rollout: &Rollout, canary_available: i32) -> StepPosition {
    let steps = rollout.steps();
    let status = rollout.status.clone().unwrap_or_default();
    let index = status.current_step_index;
    let current = current_step(steps, index);
    let set_weight = match current {
        _ if status.abort => 0,
        None => MAX_WEIGHT,
        Some(_) => weight_at_or_before(steps, index),
    };
    let routed = rollout.canary().is_some_and(|c| c.has_traffic_routing());
    let actual_weight = match current {
        None => MAX_WEIGHT,
        Some(_) if status.available_replicas <= 0 => 0,
        Some(_) if routed => status
            .canary
            .weights
            .as_ref()
            .map_or(set_weight, |w| w.canary.weight),
        Some(_) => canary_available * MAX_WEIGHT / status.available_replicas,
    };
    StepPosition {
        index,
        count: steps.len(),
        set_weight,
        actual_weight,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(routed: bool, status: serde_json::Value) -> Rollout {
        let mut value = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"},
            "spec": {"strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": 10}},
                {"setWeight": 60}, {"pause": {}}, {"setWeight": 80}, {"pause": {}},
            ]}}},
            "status": status,
        });
        if routed {
            value["spec"]["strategy"]["canary"]["trafficRouting"] = json!({"istio": {}});
        }
        serde_json::from_value(value).expect("rollout")
    }

    #[test]
    fn header_values_match_argos_outputs() {
        // (routed, status, canary available, step, setWeight, actualWeight)
        let cases = [
            (
                true,
                json!({"currentStepIndex": 8, "availableReplicas": 1}),
                0,
                "8/8",
                "100",
                "100",
            ),
            (
                true,
                json!({"currentStepIndex": 0, "availableReplicas": 5}),
                0,
                "0/8",
                "20",
                "20",
            ),
            (
                true,
                json!({"currentStepIndex": 1, "availableReplicas": 5,
                       "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}}}}),
                1,
                "1/8",
                "20",
                "20",
            ),
            (
                true,
                json!({"currentStepIndex": 0, "abort": true, "availableReplicas": 5,
                          "canary": {"weights": {"canary": {"weight": 0}, "stable": {"weight": 100}}}}),
                0,
                "0/8",
                "0",
                "0",
            ),
            (
                false,
                json!({"currentStepIndex": 0, "availableReplicas": 0}),
                0,
                "0/8",
                "20",
                "0",
            ),
            (
                false,
                json!({"currentStepIndex": 2, "availableReplicas": 5}),
                2,
                "2/8",
                "40",
                "40",
            ),
            (true, json!({}), 0, "", "100", "100"),
        ];
        for (routed, status, available, step, set, actual) in cases {
            let header = step_header(&rollout(routed, status.clone()), available);
            assert_eq!(
                (
                    header.step.as_str(),
                    header.set_weight.as_str(),
                    header.actual_weight.as_str()
                ),
                (step, set, actual),
                "{status}"
            );
        }
    }
}
