//! How many pods the canary and the stable ReplicaSet should have. With traffic routing the split
//! of traffic is the mesh's job, so pods only follow the weight (canary = ⌈S·w/100⌉) while the
//! stable side stays whole; without it, the pod ratio *is* the traffic split (§3.4–3.5).

use super::steps::MAX_WEIGHT;
use crate::api::SetCanaryScale;

/// Desired `spec.replicas` of the canary and the stable ReplicaSet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub canary: i32,
    pub stable: i32,
}

/// ⌈total·weight/100⌉ for non-negative inputs.
pub fn ceil_share(total: i32, weight: i32) -> i32 {
    let product = i64::from(total.max(0)) * i64::from(weight.clamp(0, MAX_WEIGHT));
    i32::try_from((product + i64::from(MAX_WEIGHT) - 1) / i64::from(MAX_WEIGHT)).unwrap_or(i32::MAX)
}

/// ⌊total·weight/100⌋ for non-negative inputs.
pub fn floor_share(total: i32, weight: i32) -> i32 {
    let product = i64::from(total.max(0)) * i64::from(weight.clamp(0, MAX_WEIGHT));
    i32::try_from(product / i64::from(MAX_WEIGHT)).unwrap_or(i32::MAX)
}

/// Inputs of the traffic-routed calculation.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoutedInputs<'a> {
    /// `spec.replicas`.
    pub replicas: i32,
    /// Canary weight the pods are sized for (100 when promoting fully or without a distinct stable).
    pub weight: i32,
    /// The `setCanaryScale` in force, if any.
    pub canary_scale: Option<&'a SetCanaryScale>,
    pub min_pods_per_replica_set: Option<i32>,
    pub dynamic_stable_scale: bool,
    pub aborted: bool,
    /// `status.canary.weights` before this decision: dynamic scaling shrinks a side only after
    /// traffic has left it.
    pub previous_canary_weight: Option<i32>,
    pub previous_stable_weight: Option<i32>,
}

/// Argo's traffic-routed counts: the canary follows its weight (or `setCanaryScale`), the stable
/// ReplicaSet keeps every pod unless `dynamicStableScale` trades instant aborts for fewer pods.
pub fn traffic_routed(inputs: &RoutedInputs<'_>) -> Counts {
    let s = inputs.replicas.max(0);
    let mut canary = match inputs.canary_scale {
        Some(SetCanaryScale {
            replicas: Some(replicas),
            ..
        }) => *replicas,
        Some(SetCanaryScale {
            weight: Some(weight),
            ..
        }) => ceil_share(s, *weight),
        _ => ceil_share(s, inputs.weight),
    };
    let mut stable = s;
    if inputs.dynamic_stable_scale {
        stable = ceil_share(s, MAX_WEIGHT - inputs.weight)
            .max(ceil_share(s, inputs.previous_stable_weight.unwrap_or(0)));
        if inputs.aborted {
            canary = canary.max(ceil_share(s, inputs.previous_canary_weight.unwrap_or(0)));
        }
    }
    let floor = |count: i32| match inputs.min_pods_per_replica_set {
        Some(min) if count > 0 && count < min => min.min(s),
        _ => count,
    };
    Counts {
        canary: floor(canary),
        stable: floor(stable),
    }
}

/// The basic canary's target split (§3.5 step 1): among a few (canary, total) candidates around
/// ⌈S·w/100⌉ and ⌊S·w/100⌋, with one surge pod if allowed, the one whose pod ratio is closest to
/// `weight` (earlier candidates win ties, so the larger canary). An empty canary or an empty
/// stable side is only allowed at 0/100 or for a single pod without surge.
pub fn basic_target(replicas: i32, weight: i32, max_surge: i32) -> Counts {
    let s = replicas.max(0);
    if s == 0 {
        return Counts::default();
    }
    let (ceil, floor) = (ceil_share(s, weight), floor_share(s, weight));
    let mut candidates = vec![(ceil, s), (floor, s)];
    if max_surge > 0 {
        candidates.extend([(ceil, s + 1), (floor, s + 1)]);
    }
    let extremes_allowed = weight == 0 || weight == MAX_WEIGHT || (s == 1 && max_surge == 0);
    // Distance |c/t − w/100| compared exactly as |100c − wt| / t, cross-multiplied.
    let distance = |(c, t): (i32, i32)| (i64::from(100 * c - weight * t).abs(), i64::from(t));
    let best = candidates
        .into_iter()
        .filter(|&(c, t)| extremes_allowed || (c != 0 && c != t))
        .fold(None::<(i32, i32)>, |best, candidate| match best {
            Some(b) => {
                let (bn, bd) = distance(b);
                let (cn, cd) = distance(candidate);
                if cn * bd < bn * cd {
                    Some(candidate)
                } else {
                    Some(b)
                }
            }
            None => Some(candidate),
        })
        .unwrap_or((ceil, s));
    Counts {
        canary: best.0,
        stable: best.1 - best.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_as_argo() {
        let cases = [
            (1, 10, 1, 0),
            (1, 0, 0, 0),
            (1, 100, 1, 1),
            (10, 15, 2, 1),
            (10, 10, 1, 1),
            (3, 50, 2, 1),
            (0, 50, 0, 0),
        ];
        for (total, weight, ceil, floor) in cases {
            assert_eq!(ceil_share(total, weight), ceil, "ceil {total} {weight}");
            assert_eq!(floor_share(total, weight), floor, "floor {total} {weight}");
        }
    }

    #[test]
    fn traffic_routed_counts() {
        let replicas3 = SetCanaryScale {
            replicas: Some(3),
            ..Default::default()
        };
        let weight50 = SetCanaryScale {
            weight: Some(50),
            ..Default::default()
        };
        let base = RoutedInputs {
            replicas: 10,
            ..Default::default()
        };
        // (name, inputs, canary, stable)
        let cases = [
            (
                "seed 10%",
                RoutedInputs {
                    replicas: 1,
                    weight: 10,
                    ..base
                },
                1,
                1,
            ),
            ("no weight yet", RoutedInputs { weight: 0, ..base }, 0, 10),
            ("15% of 10", RoutedInputs { weight: 15, ..base }, 2, 10),
            (
                "full",
                RoutedInputs {
                    weight: 100,
                    ..base
                },
                10,
                10,
            ),
            (
                "setCanaryScale replicas",
                RoutedInputs {
                    weight: 10,
                    canary_scale: Some(&replicas3),
                    ..base
                },
                3,
                10,
            ),
            (
                "setCanaryScale weight",
                RoutedInputs {
                    weight: 10,
                    canary_scale: Some(&weight50),
                    ..base
                },
                5,
                10,
            ),
            (
                "min pods",
                RoutedInputs {
                    weight: 10,
                    min_pods_per_replica_set: Some(2),
                    ..base
                },
                2,
                10,
            ),
            (
                "min pods capped",
                RoutedInputs {
                    replicas: 1,
                    weight: 10,
                    min_pods_per_replica_set: Some(3),
                    ..base
                },
                1,
                1,
            ),
            (
                "dynamic stable follows traffic that left",
                RoutedInputs {
                    weight: 40,
                    dynamic_stable_scale: true,
                    previous_stable_weight: Some(80),
                    ..base
                },
                4,
                8,
            ),
            (
                "dynamic abort keeps canary until traffic left",
                RoutedInputs {
                    weight: 0,
                    dynamic_stable_scale: true,
                    aborted: true,
                    previous_canary_weight: Some(40),
                    previous_stable_weight: Some(60),
                    ..base
                },
                4,
                10,
            ),
        ];
        for (name, inputs, canary, stable) in cases {
            assert_eq!(traffic_routed(&inputs), Counts { canary, stable }, "{name}");
        }
    }

    #[test]
    fn basic_canary_targets() {
        // (replicas, weight, surge, canary, stable)
        let cases = [
            (10, 10, 3, 1, 9),
            (10, 15, 3, 2, 9),
            (4, 10, 1, 1, 4),
            (4, 10, 0, 1, 3),
            (1, 10, 1, 1, 1),
            (1, 10, 0, 0, 1),
            (1, 100, 1, 1, 0),
            (5, 0, 2, 0, 5),
            (5, 50, 2, 3, 3),
            (0, 50, 1, 0, 0),
        ];
        for (replicas, weight, surge, canary, stable) in cases {
            assert_eq!(
                basic_target(replicas, weight, surge),
                Counts { canary, stable },
                "{replicas} {weight} {surge}"
            );
        }
    }
}
