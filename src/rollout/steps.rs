//! Reading the step recipe: where we are, which weight and canary scale apply there, how long a
//! pause lasts.

use std::time::Duration;

use crate::api::{CanaryStep, SetCanaryScale, StepKind};

/// Argo's `maxTrafficWeight` for Istio: weights are always percentages.
pub const MAX_WEIGHT: i32 = 100;

/// The step being executed, or `None` when there are no steps or all are done.
pub fn current_step(steps: &[CanaryStep], index: Option<i32>) -> Option<(usize, &CanaryStep)> {
    let index = usize::try_from(index?).ok()?;
    steps.get(index).map(|step| (index, step))
}

/// The last `setWeight` at or before `index` (0 if none yet, 100 once past the last step).
pub fn weight_at_or_before(steps: &[CanaryStep], index: Option<i32>) -> i32 {
    let Some(index) = index.and_then(|i| usize::try_from(i).ok()) else {
        return 0;
    };
    if index >= steps.len() {
        return MAX_WEIGHT;
    }
    steps[..=index]
        .iter()
        .rev()
        .find_map(|s| s.set_weight)
        .unwrap_or(0)
}

/// The last `setWeight` strictly before `index`: the weight to hold while the current step's
/// replicas are not ready yet.
pub fn weight_before(steps: &[CanaryStep], index: Option<i32>) -> i32 {
    let Some(index) = index.and_then(|i| usize::try_from(i).ok()) else {
        return 0;
    };
    steps[..index.min(steps.len())]
        .iter()
        .rev()
        .find_map(|s| s.set_weight)
        .unwrap_or(0)
}

/// The `setCanaryScale` in force at `index`: the latest one at or before it, unless a later one
/// went back to `matchTrafficWeight`. After the last step none applies. During an abort it applies
/// only when the canary is scaled down at once (`abortScaleDownDelaySeconds: 0`), as in Argo.
pub fn canary_scale_at(
    steps: &[CanaryStep],
    index: Option<i32>,
    aborted: bool,
    abort_delay_is_zero: bool,
) -> Option<&SetCanaryScale> {
    let (index, _) = current_step(steps, index)?;
    if aborted && !abort_delay_is_zero {
        return None;
    }
    let scale = steps[..=index]
        .iter()
        .rev()
        .find_map(|s| s.set_canary_scale.as_ref())?;
    (!scale.match_traffic_weight).then_some(scale)
}

/// How long a pause step waits: `Some(None)` forever, `Some(Some(d))` for `d`, `None` for a step
/// that is not a pause (or an unreadable duration, which validation reports).
pub fn pause_duration(step: &CanaryStep, index: usize) -> Option<Option<Duration>> {
    if step.kind() != Some(StepKind::Pause) {
        return None;
    }
    step.pause.as_ref()?.duration_for_step(index).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_steps() -> Vec<CanaryStep> {
        let mut steps = vec![
            serde_json::json!({"setWeight": 10}),
            serde_json::json!({"pause": {}}),
        ];
        for weight in (20..=90).step_by(10) {
            steps.push(serde_json::json!({"setWeight": weight}));
            steps.push(serde_json::json!({"pause": {"duration": "20s"}}));
        }
        serde_json::from_value(serde_json::Value::Array(steps)).expect("steps")
    }

    #[test]
    fn weights_follow_the_recipe() {
        let steps = seed_steps();
        // (index, at or before, before)
        let cases = [
            (None, 0, 0),
            (Some(0), 10, 0),
            (Some(1), 10, 10),
            (Some(2), 20, 10),
            (Some(3), 20, 20),
            (Some(17), 90, 90),
            (Some(18), 100, 90),
            (Some(40), 100, 90),
        ];
        for (index, at, before) in cases {
            assert_eq!(weight_at_or_before(&steps, index), at, "{index:?}");
            assert_eq!(weight_before(&steps, index), before, "{index:?}");
        }
        assert_eq!(current_step(&steps, Some(18)), None);
        assert_eq!(current_step(&steps, Some(1)).map(|(i, _)| i), Some(1));
        assert_eq!(current_step(&steps, None), None);
    }

    #[test]
    fn canary_scale_applies_until_match_traffic_weight() {
        let steps: Vec<CanaryStep> = serde_json::from_value(serde_json::json!([
            {"setCanaryScale": {"replicas": 3}},
            {"setWeight": 10},
            {"setCanaryScale": {"matchTrafficWeight": true}},
            {"setWeight": 20},
        ]))
        .expect("steps");
        // (index, aborted, abort delay zero, replicas in force)
        let cases = [
            (Some(0), false, false, Some(3)),
            (Some(1), false, false, Some(3)),
            (Some(2), false, false, None),
            (Some(3), false, false, None),
            (Some(4), false, false, None),
            (Some(1), true, false, None),
            (Some(1), true, true, Some(3)),
            (None, false, false, None),
        ];
        for (index, aborted, zero, replicas) in cases {
            let scale = canary_scale_at(&steps, index, aborted, zero);
            assert_eq!(
                scale.and_then(|s| s.replicas),
                replicas,
                "{index:?} {aborted}"
            );
        }
    }

    #[test]
    fn pauses_last_as_written() {
        let steps = seed_steps();
        assert_eq!(pause_duration(&steps[0], 0), None);
        assert_eq!(pause_duration(&steps[1], 1), Some(None));
        assert_eq!(
            pause_duration(&steps[3], 3),
            Some(Some(Duration::from_secs(20)))
        );
    }
}
