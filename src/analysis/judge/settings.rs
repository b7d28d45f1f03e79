//! A metric's schedule and limits as numbers, with Argo's defaults, and the consistency checks
//! Argo runs before measuring (`ValidateMetric`). Fields may still be strings here because
//! `count: "{{args.count}}"` is legal; they are read after argument substitution.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::{DurationError, Metric, parse_go_duration};

/// Consecutive errors tolerated when `consecutiveErrorLimit` is unset.
pub const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i32 = 4;

/// Why a metric's numbers cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("metric \"{metric}\": {field} {value:?} is not an integer")]
    NotAnInteger {
        metric: String,
        field: &'static str,
        value: String,
    },
    #[error("metric \"{metric}\": {field}: {source}")]
    BadDuration {
        metric: String,
        field: &'static str,
        source: DurationError,
    },
    #[error("metrics[{index}] \"{metric}\": {problem}")]
    Invalid {
        index: usize,
        metric: String,
        problem: String,
    },
    #[error("at least one metric is required")]
    NoMetrics,
    #[error("two metrics have the same name \"{0}\"")]
    DuplicateName(String),
}

/// A metric's schedule and limits, defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSettings {
    pub name: String,
    pub interval: Option<Duration>,
    pub initial_delay: Option<Duration>,
    /// `count` as written (0 when unset); see [`MetricSettings::effective_count`].
    pub count: i32,
    /// Failed measurements tolerated; -1 turns the check off.
    pub failure_limit: i32,
    pub inconclusive_limit: i32,
    pub consecutive_error_limit: i32,
    /// Successes in a row that complete the metric; 0 turns the check off.
    pub consecutive_success_limit: i32,
}

fn integer(
    metric: &str,
    field: &'static str,
    value: Option<&IntOrString>,
    default: i32,
) -> Result<i32, SettingsError> {
    match value {
        None => Ok(default),
        Some(IntOrString::Int(n)) => Ok(*n),
        Some(IntOrString::String(text)) => {
            text.trim()
                .parse()
                .map_err(|_| SettingsError::NotAnInteger {
                    metric: metric.to_owned(),
                    field,
                    value: text.clone(),
                })
        }
    }
}

fn duration(
    metric: &str,
    field: &'static str,
    value: Option<&String>,
) -> Result<Option<Duration>, SettingsError> {
    value
        .filter(|text| !text.is_empty())
        .map(|text| {
            parse_go_duration(text).map_err(|source| SettingsError::BadDuration {
                metric: metric.to_owned(),
                field,
                source,
            })
        })
        .transpose()
}

impl MetricSettings {
    pub fn of(metric: &Metric) -> Result<MetricSettings, SettingsError> {
        let name = metric.name.as_str();
        Ok(MetricSettings {
            name: name.to_owned(),
            interval: duration(name, "interval", metric.interval.as_ref())?,
            initial_delay: duration(name, "initialDelay", metric.initial_delay.as_ref())?,
            count: integer(name, "count", metric.count.as_ref(), 0)?,
            failure_limit: integer(name, "failureLimit", metric.failure_limit.as_ref(), 0)?,
            inconclusive_limit: integer(
                name,
                "inconclusiveLimit",
                metric.inconclusive_limit.as_ref(),
                0,
            )?,
            consecutive_error_limit: integer(
                name,
                "consecutiveErrorLimit",
                metric.consecutive_error_limit.as_ref(),
                DEFAULT_CONSECUTIVE_ERROR_LIMIT,
            )?,
            consecutive_success_limit: integer(
                name,
                "consecutiveSuccessLimit",
                metric.consecutive_success_limit.as_ref(),
                0,
            )?,
        })
    }

    /// How many measurements the metric takes: `count`, or 1 without count and interval, or
    /// unbounded (`None`) with an interval and no count.
    pub fn effective_count(&self) -> Option<i32> {
        match (self.count, self.interval) {
            (n, _) if n > 0 => Some(n),
            (_, None) => Some(1),
            (_, Some(_)) => None,
        }
    }

    /// Argo's consistency rules for one metric (`index` is its position, for the message).
    pub fn validate(&self, index: usize) -> Result<(), SettingsError> {
        let invalid = |problem: String| SettingsError::Invalid {
            index,
            metric: self.name.clone(),
            problem,
        };
        if self.consecutive_success_limit < 0 {
            return Err(invalid("consecutiveSuccessLimit must be >= 0".into()));
        }
        if self.failure_limit < -1 {
            return Err(invalid("failureLimit must be >= -1".into()));
        }
        if self.failure_limit == -1 && self.consecutive_success_limit == 0 {
            return Err(invalid(
                "failureLimit (-1) and consecutiveSuccessLimit (0) cannot both be disabled".into(),
            ));
        }
        if self.inconclusive_limit < 0 {
            return Err(invalid("inconclusiveLimit must be >= 0".into()));
        }
        if self.consecutive_error_limit < 0 {
            return Err(invalid("consecutiveErrorLimit must be >= 0".into()));
        }
        if self.count < 0 {
            return Err(invalid("count must be >= 0".into()));
        }
        if self.count > 0 {
            let needed = self.failure_limit.max(0) + self.consecutive_success_limit;
            if self.failure_limit >= 0 && self.count < needed {
                return Err(invalid(format!(
                    "count ({}) must be >= failureLimit ({}) + consecutiveSuccessLimit ({})",
                    self.count, self.failure_limit, self.consecutive_success_limit
                )));
            }
            if self.count < self.inconclusive_limit {
                return Err(invalid(format!(
                    "count ({}) must be >= inconclusiveLimit ({})",
                    self.count, self.inconclusive_limit
                )));
            }
            if self.count > 1 && self.interval.is_none() {
                return Err(invalid(format!(
                    "interval must be set when count ({}) is greater than 1",
                    self.count
                )));
            }
        }
        Ok(())
    }
}

/// Settings for every metric of a run, validated together (at least one, unique names) and each
/// with exactly one provider.
pub fn settings_for(metrics: &[Metric]) -> Result<Vec<MetricSettings>, SettingsError> {
    if metrics.is_empty() {
        return Err(SettingsError::NoMetrics);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut all = Vec::with_capacity(metrics.len());
    for (index, metric) in metrics.iter().enumerate() {
        if !seen.insert(metric.name.as_str()) {
            return Err(SettingsError::DuplicateName(metric.name.clone()));
        }
        let providers = provider_names(metric);
        if providers.len() != 1 {
            return Err(SettingsError::Invalid {
                index,
                metric: metric.name.clone(),
                problem: format!(
                    "exactly one provider must be set (found {})",
                    if providers.is_empty() {
                        "none".to_owned()
                    } else {
                        providers.join(", ")
                    }
                ),
            });
        }
        let settings = MetricSettings::of(metric)?;
        settings.validate(index)?;
        all.push(settings);
    }
    Ok(all)
}

/// The providers a metric sets, by their field names.
pub fn provider_names(metric: &Metric) -> Vec<&'static str> {
    let p = &metric.provider;
    [
        ("prometheus", p.prometheus.is_some()),
        ("kayenta", p.kayenta.is_some()),
        ("web", p.web.is_some()),
        ("datadog", p.datadog.is_some()),
        ("wavefront", p.wavefront.is_some()),
        ("newRelic", p.new_relic.is_some()),
        ("job", p.job.is_some()),
        ("cloudWatch", p.cloud_watch.is_some()),
        ("graphite", p.graphite.is_some()),
        ("influxdb", p.influxdb.is_some()),
        ("skywalking", p.skywalking.is_some()),
        ("plugin", p.plugin.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}
