//! Why a Prometheus measurement failed. Each becomes the message of an Error measurement, so the
//! wording says what to fix; Prometheus' own errors keep Prometheus' `type: message` shape.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error(
        "prometheus address is not configured (set provider.prometheus.address or ARGO_ROLLOUTS_PROMETHEUS_ADDRESS)"
    )]
    NoAddress,
    #[error(
        "prometheus address {address:?} is not a URL with an http or https scheme and a host: {reason}"
    )]
    BadAddress { address: String, reason: String },
    #[error("prometheus query is empty")]
    NoQuery,
    #[error("prometheus timeout must not be negative (got {0})")]
    NegativeTimeout(i64),
    #[error("{0} is not supported by gitcanary's prometheus provider")]
    Unsupported(&'static str),
    #[error("prometheus rangeQuery.{field} {reason}")]
    RangeQuery { field: &'static str, reason: String },
    /// Prometheus answered `"status": "error"`: e.g. `bad_data: parse error at char 5: …`.
    #[error("{kind}: {message}")]
    Api { kind: String, message: String },
    /// A status code that carries no Prometheus error body, e.g. `server error: 502`.
    #[error("{0}")]
    HttpStatus(String),
    #[error("bad_response: {0}")]
    BadResponse(String),
    #[error("Prometheus metric type not supported: {0}")]
    UnsupportedType(String),
    #[error("GET {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("GET {url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
}
