//! Pure judgement, Argo's rules: one measurement from its conditions ([`Conditions`]), a metric
//! from its counters and limits ([`assess_metric`]), a run from its metrics ([`assess_run`]), and
//! when to measure next ([`next_measurement_at`]).

mod measurement;
mod metric;
mod run_phase;
mod schedule;
mod select;
mod settings;

#[cfg(test)]
mod tests;

pub use measurement::{Conditions, Judgement};
pub use metric::{MetricVerdict, assess_metric, limit_crossed, new_result, record};
pub use run_phase::{RunMetric, RunVerdict, assess_run, is_terminating, is_worse};
pub use schedule::{ERROR_RETRY_INTERVAL, next_measurement_at, trim_measurements};
pub use select::{DEFAULT_MEASUREMENT_RETENTION, SelectError, dry_run_metrics, retention_limits};
pub use settings::{
    DEFAULT_CONSECUTIVE_ERROR_LIMIT, MetricSettings, SettingsError, provider_names, settings_for,
};
