//! The Prometheus metric provider, in three parts: building the instant or range query from a
//! resolved metric ([`QueryRequest::build`], pure), sending it ([`PrometheusClient`], the only
//! I/O), and reading the answer ([`parse_response`], pure).

mod client;
mod error;
mod range;
mod request;
mod response;

#[cfg(test)]
mod tests;

pub use client::{PrometheusClient, RawResponse};
pub use error::ProviderError;
pub use range::range_time;
pub use request::{ADDRESS_ENV, DEFAULT_TIMEOUT, QueryRequest};
pub use response::{QueryResponse, parse_response};
