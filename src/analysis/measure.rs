//! The thin async driver around [`step_run`]: measure what is due with the Prometheus provider,
//! judge each result with the metric's compiled conditions, and step the run again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::args::{ArgsError, ResolvedArgs, SecretLookup, resolve_metric};
use super::judge::{Conditions, provider_names};
use super::prometheus::{
    ADDRESS_ENV, PrometheusClient, ProviderError, QueryRequest, parse_response,
};
use super::run::{MeasureTask, RunUpdate, TakenMeasurement, fail_run, step_run};
use super::time::{after, to_time};
use crate::api::{AnalysisPhase, AnalysisRun, Measurement, Metric, PrometheusMetric};

/// Metric result metadata key holding the query as sent (secrets redacted), as in Argo.
pub const RESOLVED_QUERY_KEY: &str = "ResolvedPrometheusQuery";

/// A metric's conditions as written: (successCondition, failureCondition).
type ConditionKey = (Option<String>, Option<String>);

/// What one query came to, before it becomes a [`Measurement`].
struct Outcome {
    phase: AnalysisPhase,
    message: Option<String>,
    value: Option<String>,
    warnings: Vec<String>,
}

impl Outcome {
    fn error(message: String) -> Outcome {
        Outcome {
            phase: AnalysisPhase::Error,
            message: Some(message),
            value: None,
            warnings: Vec::new(),
        }
    }
}

/// Measures metrics; one per daemon. Compiled conditions are cached by their text, so each
/// condition is parsed once however many measurements judge with it.
pub struct Measurer {
    client: PrometheusClient,
    default_address: Option<String>,
    conditions: Mutex<HashMap<ConditionKey, Arc<Conditions>>>,
}

impl Measurer {
    pub fn new(default_address: Option<String>) -> Result<Measurer, ProviderError> {
        Ok(Measurer {
            client: PrometheusClient::new()?,
            default_address,
            conditions: Mutex::new(HashMap::new()),
        })
    }

    /// With the default address from `ARGO_ROLLOUTS_PROMETHEUS_ADDRESS`, as Argo reads it.
    pub fn from_env() -> Result<Measurer, ProviderError> {
        Measurer::new(std::env::var(ADDRESS_ENV).ok().filter(|a| !a.is_empty()))
    }

    fn conditions(&self, metric: &Metric) -> Arc<Conditions> {
        let key = (
            metric.success_condition.clone(),
            metric.failure_condition.clone(),
        );
        let mut cache = match self.conditions.lock() {
            Ok(cache) => cache,
            // A panic elsewhere while holding the lock leaves a usable map behind.
            Err(poisoned) => poisoned.into_inner(),
        };
        cache
            .entry(key)
            .or_insert_with(|| Arc::new(Conditions::of(metric)))
            .clone()
    }

    /// One reconcile: step, measure what is due, step again with the results. Arguments that
    /// cannot be resolved (a missing Secret, say) end the run with Error, as in Argo.
    pub async fn reconcile(
        &self,
        run: &AnalysisRun,
        secrets: &dyn SecretLookup,
        now: DateTime<Utc>,
    ) -> RunUpdate {
        let first = step_run(run, now, &[]);
        if first.measure.is_empty() {
            return first;
        }
        let mut measuring = run.clone();
        measuring.status = Some(first.status.clone());
        let started = tokio::time::Instant::now();
        match self
            .measure_due(&measuring, &first.measure, secrets, now)
            .await
        {
            Ok(taken) => step_run(&measuring, after(now, started.elapsed()), &taken),
            Err(error) => RunUpdate {
                status: fail_run(
                    first.status,
                    now,
                    format!("Unable to resolve metric arguments: {error}"),
                ),
                measure: Vec::new(),
                requeue_at: None,
            },
        }
    }

    /// Takes the due measurements concurrently.
    pub async fn measure_due(
        &self,
        run: &AnalysisRun,
        tasks: &[MeasureTask],
        secrets: &dyn SecretLookup,
        now: DateTime<Utc>,
    ) -> Result<Vec<TakenMeasurement>, ArgsError> {
        let args = ResolvedArgs::resolve(&run.spec.args, secrets)?;
        let mut jobs = Vec::with_capacity(tasks.len());
        for task in tasks {
            let Some(template) = run.spec.metrics.get(task.index) else {
                continue;
            };
            let metric = resolve_metric(template, &args)?;
            jobs.push(self.measure(metric, &args, now));
        }
        Ok(futures::future::join_all(jobs).await)
    }

    async fn measure(
        &self,
        metric: Metric,
        args: &ResolvedArgs,
        now: DateTime<Utc>,
    ) -> TakenMeasurement {
        let started = tokio::time::Instant::now();
        let mut metadata = BTreeMap::new();
        let outcome = match &metric.provider.prometheus {
            Some(prometheus) => {
                if let Some(query) = &prometheus.query {
                    metadata.insert(RESOLVED_QUERY_KEY.to_owned(), args.redact(query));
                }
                self.query(&metric, prometheus, args, now).await
            }
            None => {
                let provider = provider_names(&metric).first().copied().unwrap_or("none");
                Outcome::error(format!(
                    "metric provider {provider} is not supported by gitcanary (only prometheus)"
                ))
            }
        };
        let mut measurement_metadata = BTreeMap::new();
        if !outcome.warnings.is_empty() {
            measurement_metadata.insert(
                "warnings".to_owned(),
                args.redact(&outcome.warnings.join("; ")),
            );
        }
        TakenMeasurement {
            metric: metric.name.clone(),
            measurement: Measurement {
                phase: outcome.phase,
                message: outcome.message.map(|m: String| args.redact(&m)),
                started_at: Some(to_time(now)),
                finished_at: Some(to_time(after(now, started.elapsed()))),
                value: outcome.value,
                metadata: measurement_metadata,
                resume_at: None,
            },
            metadata,
        }
    }

    /// Queries and judges.
    async fn query(
        &self,
        metric: &Metric,
        prometheus: &PrometheusMetric,
        args: &ResolvedArgs,
        now: DateTime<Utc>,
    ) -> Outcome {
        let failed = |e: ProviderError| Outcome::error(e.to_string());
        let request = match QueryRequest::build(prometheus, self.default_address.as_deref(), now) {
            Ok(request) => request,
            Err(e) => return failed(e),
        };
        let sent = self.client.send(&request).await;
        // Runs fall due together (whole seconds); the first answers would otherwise be judged and
        // written before the last queries of the same second are even sent. Going to the back of
        // the scheduler's queue lets those start first.
        tokio::task::yield_now().await;
        let response = match sent {
            Ok(raw) => parse_response(raw.status, &raw.body),
            Err(e) => Err(e),
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => return failed(e),
        };
        let query = prometheus.query.as_deref().map(|q| args.redact(q));
        let judged = self
            .conditions(metric)
            .judge(&response.value.to_value(), query.as_deref());
        Outcome {
            phase: judged.phase,
            message: judged.message,
            value: Some(response.value.to_string()),
            warnings: response.warnings,
        }
    }
}
