//! Judging a canary: AnalysisRuns built from AnalysisTemplates, measured with Prometheus, each
//! measurement judged by its success/failure condition and the run by Argo's limits.
//!
//! Everything but [`PrometheusClient`](crate::analysis::prometheus::PrometheusClient) and
//! [`measure`](crate::analysis::measure) is pure: the controller feeds in the
//! run, the clock and what was measured, and gets back the new status and when to look again.

pub mod args;
pub mod controller;
pub mod expr;
pub mod judge;
pub mod lint;
pub mod measure;
pub mod prometheus;
pub mod result;
pub mod run;
pub mod time;

pub use result::MeasurementValue;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
