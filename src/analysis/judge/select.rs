//! `dryRun` and `measurementRetention` name metrics by regular expression (`*` for all). A rule
//! that matches nothing is a spec error, as in Argo: it is almost always a typo.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::api::{DryRun, MeasurementRetention};

/// Measurements kept per metric unless a retention rule says otherwise.
pub const DEFAULT_MEASUREMENT_RETENTION: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("{field}[{index}]: metricName {pattern:?} is not a valid regular expression")]
    BadPattern {
        field: &'static str,
        index: usize,
        pattern: String,
    },
    #[error("{field}[{index}]: metricName {pattern:?} matches no metric")]
    NoMatch {
        field: &'static str,
        index: usize,
        pattern: String,
    },
}

fn matching<'n>(
    field: &'static str,
    index: usize,
    pattern: &str,
    names: &[&'n str],
) -> Result<Vec<&'n str>, SelectError> {
    let matched: Vec<&str> = if pattern == "*" {
        names.to_vec()
    } else {
        let regex = Regex::new(pattern).map_err(|_| SelectError::BadPattern {
            field,
            index,
            pattern: pattern.to_owned(),
        })?;
        names
            .iter()
            .copied()
            .filter(|n| regex.is_match(n))
            .collect()
    };
    if matched.is_empty() {
        return Err(SelectError::NoMatch {
            field,
            index,
            pattern: pattern.to_owned(),
        });
    }
    Ok(matched)
}

/// Names of the metrics that are dry-run.
pub fn dry_run_metrics(rules: &[DryRun], names: &[&str]) -> Result<BTreeSet<String>, SelectError> {
    let mut selected = BTreeSet::new();
    for (index, rule) in rules.iter().enumerate() {
        for name in matching("dryRun", index, &rule.metric_name, names)? {
            selected.insert(name.to_owned());
        }
    }
    Ok(selected)
}

/// Measurements to keep, by metric name; a later rule overrides an earlier one, and a limit of 0
/// or less keeps the default.
pub fn retention_limits(
    rules: &[MeasurementRetention],
    names: &[&str],
) -> Result<BTreeMap<String, usize>, SelectError> {
    let mut limits: BTreeMap<String, usize> = names
        .iter()
        .map(|n| ((*n).to_owned(), DEFAULT_MEASUREMENT_RETENTION))
        .collect();
    for (index, rule) in rules.iter().enumerate() {
        for name in matching("measurementRetention", index, &rule.metric_name, names)? {
            let limit = usize::try_from(rule.limit)
                .ok()
                .filter(|l| *l > 0)
                .unwrap_or(DEFAULT_MEASUREMENT_RETENTION);
            limits.insert(name.to_owned(), limit);
        }
    }
    Ok(limits)
}
