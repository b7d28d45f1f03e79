//! A standby passes a Git webhook on to the leader. Behind one Service the Git host reaches any
//! replica, and only the leader follows Git: without this, half the pushes would wait for the next
//! poll. The leader's address is the one it writes on its Lease ([`record::LEADER_URL_ANNOTATION`]).
//!
//! The request is passed on as it came (body and the Git host's headers): the leader checks the
//! signature itself, as for a request it received directly.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

use super::{ElectionConfig, record};

/// The headers of GitHub's and GitLab's push webhooks that the leader checks or logs.
const PASSED_HEADERS: &[&str] = &[
    "content-type",
    "x-hub-signature-256",
    "x-github-event",
    "x-github-delivery",
    "x-gitlab-token",
    "x-gitlab-event",
];

/// Marks a relayed request, so a replica that is not leading either never passes it on again.
pub const RELAYED_HEADER: &str = "x-gitcanary-relayed-by";

/// The leader answers webhooks at once (it only wakes a fetch); longer means it is gone.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("this replica stands by, and nobody holds Lease {lease} yet; the next poll will fetch")]
    NoLeader { lease: String },
    #[error(
        "this replica stands by; the leader {holder} has not written its address on Lease {lease} (set --advertise-url or $POD_IP)"
    )]
    NotAdvertised { lease: String, holder: String },
    #[error("this replica stands by and could not read Lease {lease}: {source}")]
    ReadLease { lease: String, source: kube::Error },
    #[error("passing the webhook on to the leader {holder} at {url}: {message}")]
    Unreachable {
        holder: String,
        url: String,
        message: String,
    },
    #[error("a relayed webhook reached {me}, which is not leading either")]
    Loop { me: String },
}

/// What a standby needs to find the leader and reach it.
#[derive(Clone)]
pub struct Relay {
    leases: Api<Lease>,
    config: ElectionConfig,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Relay {
    pub fn new(client: kube::Client, config: ElectionConfig) -> Relay {
        Relay {
            leases: Api::namespaced(client, &config.namespace),
            config,
            http: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends the webhook to `path` on the leader and returns the leader's answer.
    pub async fn forward(
        &self,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<StatusCode, RelayError> {
        let lease = self.config.lease();
        if headers.contains_key(RELAYED_HEADER) {
            return Err(RelayError::Loop {
                me: self.config.identity.clone(),
            });
        }
        let live = self
            .leases
            .get_opt(&self.config.name)
            .await
            .map_err(|source| RelayError::ReadLease {
                lease: lease.clone(),
                source,
            })?;
        let (holder, base) = match record::leader(live.as_ref(), &self.config.identity) {
            // Just elected, not acting yet: the sources' first poll fetches anyway.
            record::Leader::Me => return Ok(StatusCode::ACCEPTED),
            record::Leader::Nobody => return Err(RelayError::NoLeader { lease }),
            record::Leader::Unadvertised { holder } => {
                return Err(RelayError::NotAdvertised { lease, holder });
            }
            record::Leader::At { holder, url } => (holder, url),
        };
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let unreachable = |message: String| RelayError::Unreachable {
            holder: holder.clone(),
            url: url.clone(),
            message,
        };
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(&url)
            .header(RELAYED_HEADER, &self.config.identity);
        for name in PASSED_HEADERS {
            if let Some(v) = headers.get(*name) {
                request = request.header(*name, v);
            }
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| unreachable(e.to_string()))?;
        match tokio::time::timeout(TIMEOUT, self.http.request(request)).await {
            Ok(Ok(response)) => Ok(response.status()),
            Ok(Err(e)) => Err(unreachable(e.to_string())),
            Err(_) => Err(unreachable(format!("no answer within {TIMEOUT:?}"))),
        }
    }
}
