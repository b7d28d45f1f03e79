//! `maxSurge` / `maxUnavailable`: a pod count or a percentage of `spec.replicas`.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::CanaryStrategy;

/// Argo's default for both `maxSurge` and `maxUnavailable`; note it is a string without `%` and
/// still means 25 percent (see [`resolve_int_or_percent`]).
pub const DEFAULT_SURGE_OR_UNAVAILABLE: &str = "25";

/// Why an int-or-percent value cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntOrPercentError {
    #[error("{value:?} is neither an integer nor a percentage")]
    NotANumber { value: String },
    #[error("{value} is negative")]
    Negative { value: String },
}

/// Resolves a count-or-percentage against `total`, rounding a percentage up (`maxSurge`) or down
/// (`maxUnavailable`). As in Argo (Kubernetes' legacy rule), *every* string is a percentage, with
/// or without `%`: `"25"` is 25%, not 25 pods.
pub fn resolve_int_or_percent(
    value: &IntOrString,
    total: i32,
    round_up: bool,
) -> Result<i32, IntOrPercentError> {
    let percent = match value {
        IntOrString::Int(count) if *count < 0 => {
            return Err(IntOrPercentError::Negative {
                value: count.to_string(),
            });
        }
        IntOrString::Int(count) => return Ok(*count),
        IntOrString::String(text) => {
            let digits = text.replace('%', "");
            let percent: i64 = digits.parse().map_err(|_| IntOrPercentError::NotANumber {
                value: text.clone(),
            })?;
            if percent < 0 {
                return Err(IntOrPercentError::Negative {
                    value: text.clone(),
                });
            }
            percent
        }
    };
    let scaled = percent * i64::from(total.max(0));
    let resolved = if round_up {
        (scaled + 99) / 100
    } else {
        scaled / 100
    };
    Ok(i32::try_from(resolved).unwrap_or(i32::MAX))
}

/// A `maxSurge` / `maxUnavailable` of a Rollout that cannot be resolved, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("spec.strategy.canary.{field}: {source}")]
pub struct FencepostError {
    /// `maxSurge` or `maxUnavailable`.
    pub field: &'static str,
    /// What is wrong with its value.
    pub source: IntOrPercentError,
}

/// Resolved `maxSurge` and `maxUnavailable` for a given replica count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fenceposts {
    /// Pods allowed above `spec.replicas`.
    pub max_surge: i32,
    /// Pods allowed to be unavailable; never 0 together with `max_surge`, never above the replicas.
    pub max_unavailable: i32,
}

/// Argo's fencepost rules: defaults of 25%, surge rounded up, unavailable rounded down, both 0 makes
/// unavailable 1 (so an update can always move), and unavailable capped at the replica count (0 when
/// there are no replicas).
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    replicas: i32,
) -> Result<Fenceposts, FencepostError> {
    let default = IntOrString::String(DEFAULT_SURGE_OR_UNAVAILABLE.to_owned());
    let surge = resolve_int_or_percent(max_surge.unwrap_or(&default), replicas, true).map_err(
        |source| FencepostError {
            field: "maxSurge",
            source,
        },
    )?;
    let mut unavailable =
        resolve_int_or_percent(max_unavailable.unwrap_or(&default), replicas, false).map_err(
            |source| FencepostError {
                field: "maxUnavailable",
                source,
            },
        )?;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    let max_unavailable = if replicas <= 0 {
        0
    } else {
        unavailable.min(replicas)
    };
    Ok(Fenceposts {
        max_surge: surge,
        max_unavailable,
    })
}

impl CanaryStrategy {
    /// This strategy's resolved `maxSurge` / `maxUnavailable` for `replicas` pods.
    pub fn fenceposts(&self, replicas: i32) -> Result<Fenceposts, FencepostError> {
        resolve_fenceposts(
            self.max_surge.as_ref(),
            self.max_unavailable.as_ref(),
            replicas,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: i32) -> IntOrString {
        IntOrString::Int(n)
    }
    fn text(s: &str) -> IntOrString {
        IntOrString::String(s.to_owned())
    }

    #[test]
    fn counts_and_percentages_resolve() {
        // (value, total, round_up, expected)
        let cases = [
            (int(3), 10, true, 3),
            (int(0), 10, false, 0),
            (text("25%"), 10, true, 3),
            (text("25%"), 10, false, 2),
            (text("25"), 10, true, 3),
            (text("25"), 10, false, 2),
            (text("100%"), 7, false, 7),
            (text("10%"), 1, true, 1),
            (text("10%"), 1, false, 0),
            (text("0%"), 5, true, 0),
            (text("50%"), 0, true, 0),
        ];
        for (value, total, up, expected) in cases {
            assert_eq!(
                resolve_int_or_percent(&value, total, up),
                Ok(expected),
                "{value:?} of {total}"
            );
        }
    }

    #[test]
    fn bad_values_are_errors() {
        assert_eq!(
            resolve_int_or_percent(&text("lots"), 4, true),
            Err(IntOrPercentError::NotANumber {
                value: "lots".into()
            })
        );
        assert_eq!(
            resolve_int_or_percent(&int(-1), 4, true),
            Err(IntOrPercentError::Negative { value: "-1".into() })
        );
        assert_eq!(
            resolve_int_or_percent(&text("-5%"), 4, true),
            Err(IntOrPercentError::Negative {
                value: "-5%".into()
            })
        );
    }

    #[test]
    fn fencepost_errors_name_the_field() {
        let err = resolve_fenceposts(None, Some(&text("half")), 4).expect_err("not a number");
        assert_eq!(
            err.to_string(),
            "spec.strategy.canary.maxUnavailable: \"half\" is neither an integer nor a percentage"
        );
    }

    #[test]
    fn fenceposts_follow_argo() {
        // (maxSurge, maxUnavailable, replicas, expected surge, expected unavailable)
        let cases = [
            (None, None, 10, 3, 2),
            (None, None, 1, 1, 0),
            (Some(int(0)), Some(int(0)), 5, 0, 1),
            (Some(text("0%")), Some(text("10%")), 5, 0, 1),
            (Some(int(1)), Some(int(0)), 5, 1, 0),
            (Some(int(2)), Some(int(9)), 4, 2, 4),
            (Some(int(0)), Some(int(0)), 0, 0, 0),
            (Some(text("50%")), Some(text("50%")), 3, 2, 1),
        ];
        for (surge, unavailable, replicas, want_surge, want_unavailable) in cases {
            let got = resolve_fenceposts(surge.as_ref(), unavailable.as_ref(), replicas);
            assert_eq!(
                got,
                Ok(Fenceposts {
                    max_surge: want_surge,
                    max_unavailable: want_unavailable
                }),
                "surge {surge:?} unavailable {unavailable:?} replicas {replicas}"
            );
        }
    }
}
