//! The HTTP request for one instant query, as Prometheus' Go client builds it: the address's
//! path is kept and `/api/v1/query` appended (so `http://host:9090/api/v1/prometheus/` queries
//! `/api/v1/prometheus/api/v1/query`), `query` and `time` go in the query string.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use url::Url;

use crate::analysis::expr::format_float;
use crate::api::PrometheusMetric;

use super::ProviderError;

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

fn endpoint(address: &str) -> Result<Url, ProviderError> {
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
    let path = format!("{}/api/v1/query", url.path().trim_end_matches('/'));
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
        if metric.range_query.is_some() {
            return Err(ProviderError::Unsupported("rangeQuery"));
        }
        let timeout = match metric.timeout {
            Some(seconds) if seconds < 0 => return Err(ProviderError::NegativeTimeout(seconds)),
            Some(seconds) if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
            _ => DEFAULT_TIMEOUT,
        };
        let mut url = endpoint(address)?;
        url.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("time", &format_time(now));
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
