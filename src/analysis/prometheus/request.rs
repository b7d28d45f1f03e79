//! The HTTP request for one query, as Prometheus' Go client builds it: the address's path is
//! kept and `/api/v1/query` (or `/api/v1/query_range`) appended, so
//! `http://host:9090/api/v1/prometheus/` queries `/api/v1/prometheus/api/v1/query`; `query` and
//! `time` (or `start`, `end`, `step`) go in the query string.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use url::Url;

use crate::analysis::expr::format_float;
use crate::api::{PrometheusMetric, PrometheusRangeQuery, parse_go_duration};

use super::ProviderError;
use super::range::range_time;

/// Argo's default query timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Where the address comes from when a metric does not name one; Argo's variable, so existing
/// deployments keep working.
pub const ADDRESS_ENV: &str = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";

/// Everything needed to send one query; no secrets are hidden here, so never log it whole.
#[derive(Clone, PartialEq, Eq)]
pub struct QueryRequest {
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    /// Skip TLS certificate verification.
    pub insecure: bool,
}

impl std::fmt::Debug for QueryRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryRequest")
            .field("url", &self.url.as_str())
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// Seconds since the epoch with a fraction only when there is one, as the Go client sends it.
fn format_time(at: DateTime<Utc>) -> String {
    let seconds = at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) / 1e9;
    format_float(seconds)
}

/// `start`, `end` and `step` of a range query, evaluated at `now`.
fn range_parameters(
    range: &PrometheusRangeQuery,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>, Duration), ProviderError> {
    let time = |field: &'static str, value: &Option<String>| {
        let expression =
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .ok_or(ProviderError::RangeQuery {
                    field,
                    reason: "is required".to_owned(),
                })?;
        range_time(expression, now).map_err(|reason| ProviderError::RangeQuery { field, reason })
    };
    let start = time("start", &range.start)?;
    let end = time("end", &range.end)?;
    let step_text = range.step.as_deref().unwrap_or_default();
    let step = parse_go_duration(step_text)
        .ok()
        .filter(|s| !s.is_zero())
        .ok_or_else(|| ProviderError::RangeQuery {
            field: "step",
            reason: format!("{step_text:?} is not a positive duration"),
        })?;
    if end < start {
        return Err(ProviderError::RangeQuery {
            field: "end",
            reason: "is before start".to_owned(),
        });
    }
    Ok((start, end, step))
}

fn endpoint(address: &str, api: &str) -> Result<Url, ProviderError> {
    let bad = |reason: String| ProviderError::BadAddress {
        address: address.to_owned(),
        reason,
    };
    let mut url = Url::parse(address.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!("scheme {:?}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".to_owned()));
    }
    let path = format!("{}/api/v1/{api}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

impl QueryRequest {
    /// The request for `metric` (placeholders already substituted) at time `now`.
    /// `default_address` is used when the metric has none (see [`ADDRESS_ENV`]).
    pub fn build(
        metric: &PrometheusMetric,
        default_address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<QueryRequest, ProviderError> {
        let address = metric
            .address
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .or(default_address.filter(|a| !a.trim().is_empty()))
            .ok_or(ProviderError::NoAddress)?;
        let query = metric
            .query
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .ok_or(ProviderError::NoQuery)?;
        let timeout = match metric.timeout {
            Some(seconds) if seconds < 0 => return Err(ProviderError::NegativeTimeout(seconds)),
            Some(seconds) if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
            _ => DEFAULT_TIMEOUT,
        };
        let url = match &metric.range_query {
            None => {
                let mut url = endpoint(address, "query")?;
                url.query_pairs_mut()
                    .append_pair("query", query)
                    .append_pair("time", &format_time(now));
                url
            }
            Some(range) => {
                let (start, end, step) = range_parameters(range, now)?;
                let mut url = endpoint(address, "query_range")?;
                url.query_pairs_mut()
                    .append_pair("query", query)
                    .append_pair("start", &format_time(start))
                    .append_pair("end", &format_time(end))
                    .append_pair("step", &format_float(step.as_secs_f64()));
                url
            }
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(auth) = &metric.authentication {
            if let Some(basic) = &auth.basic_auth {
                let credentials = format!(
                    "{}:{}",
                    basic.username.as_deref().unwrap_or_default(),
                    basic.password.as_deref().unwrap_or_default()
                );
                let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
                headers.push(("Authorization".to_owned(), format!("Basic {encoded}")));
            }
            if auth.oauth2.is_some() {
                return Err(ProviderError::Unsupported("authentication.oauth2"));
            }
            // Argo signs only for Amazon Managed Prometheus and ignores sigv4 elsewhere.
            if auth.sigv4.is_some() && address.contains("aps-workspaces") {
                return Err(ProviderError::Unsupported("authentication.sigv4"));
            }
        }
        headers.extend(
            metric
                .headers
                .iter()
                .map(|h| (h.key.clone(), h.value.clone())),
        );
        Ok(QueryRequest {
            url,
            headers,
            timeout,
            insecure: metric.insecure,
        })
    }

    /// The URL without its query string, for messages: the query is in the metric already.
    pub fn endpoint(&self) -> String {
        let mut url = self.url.clone();
        url.set_query(None);
        url.to_string()
    }
}
