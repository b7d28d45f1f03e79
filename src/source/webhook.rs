//! `POST /hooks/git`: lets the Git host tell us to fetch now instead of at the next poll.
//!
//! A request must prove it knows the shared secret, GitHub-style (`X-Hub-Signature-256: sha256=<hex
//! HMAC-SHA256 of the body>`) or GitLab-style (`X-Gitlab-Token: <secret>`). Anything else is answered
//! 401 and changes nothing. The payload is never trusted beyond that: it only triggers a fetch. A
//! replica standing by for the leader Lease passes an authorized request on to the leader.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tracing::{info, warn};

use crate::source::credentials::Secret;
use crate::source::trigger::Trigger;

pub const PATH: &str = "/hooks/git";
/// Push payloads are a few KiB; anything much larger is not a push.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How a request proved it knows the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    GitHubSignature,
    GitLabToken,
}

/// Checks `X-Hub-Signature-256` against the HMAC-SHA256 of `body`, in constant time.
pub fn verify_github(secret: &Secret, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// Checks `X-Gitlab-Token`. Compared as HMACs of both values so the time taken reveals nothing.
pub fn verify_gitlab(secret: &Secret, header: &str) -> bool {
    let tag = |value: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"gitcanary-token-compare").ok()?;
        mac.update(value.as_bytes());
        Some(mac.finalize().into_bytes())
    };
    match (tag(secret.expose()), tag(header)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Decides whether a request may trigger a fetch. An empty secret authorizes nothing.
pub fn authorize(secret: &Secret, headers: &HeaderMap, body: &[u8]) -> Option<Proof> {
    if secret.expose().is_empty() {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(sig) = header("x-hub-signature-256")
        && verify_github(secret, body, sig)
    {
        return Some(Proof::GitHubSignature);
    }
    if let Some(token) = header("x-gitlab-token")
        && verify_gitlab(secret, token)
    {
        return Some(Proof::GitLabToken);
    }
    None
}

/// What the handler needs: the secret, and the follower to wake.
#[derive(Clone)]
pub struct WebhookState {
    pub secret: Secret,
    pub trigger: Trigger,
    /// With leader election: whether this replica acts now, and how to reach the leader if not.
    pub standby: Option<Standby>,
}

#[derive(Clone)]
pub struct Standby {
    pub acting: std::sync::Arc<dyn Fn() -> bool + Send + Sync>,
    pub relay: crate::leader::Relay,
}

/// A router serving [`PATH`], for the daemon's web server to `merge`.
pub fn router(state: WebhookState) -> Router {
    Router::new()
        .route(PATH, post(handle))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn handle(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(proof) = authorize(&state.secret, &headers, &body) else {
        warn!("webhook refused: missing or wrong signature/token");
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if let Some(standby) = state.standby.as_ref().filter(|s| !(s.acting)()) {
        return match standby.relay.forward(PATH, &headers, body).await {
            Ok(status) => {
                info!(?proof, %status, "webhook accepted; passed on to the leader");
                status.into_response()
            }
            Err(e) => {
                warn!(error = %e, "webhook accepted but not passed on");
                (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
            }
        };
    }
    info!(?proof, "webhook accepted; fetching now");
    state.trigger.fire();
    StatusCode::ACCEPTED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn authorization_table() {
        let secret = Secret::new("s3cret");
        let body = b"{\"ref\":\"refs/heads/main\"}";
        type Headers<'a> = Vec<(&'a str, String)>;
        let cases: Vec<(Headers, Option<Proof>)> = vec![
            (
                vec![("x-hub-signature-256", sign("s3cret", body))],
                Some(Proof::GitHubSignature),
            ),
            (vec![("x-hub-signature-256", sign("wrong", body))], None),
            (
                vec![("x-hub-signature-256", sign("s3cret", b"other"))],
                None,
            ),
            (vec![("x-hub-signature-256", "sha1=abc".into())], None),
            (vec![("x-hub-signature-256", "sha256=zz".into())], None),
            (
                vec![("x-gitlab-token", "s3cret".into())],
                Some(Proof::GitLabToken),
            ),
            (vec![("x-gitlab-token", "s3cre".into())], None),
            (vec![], None),
        ];
        for (pairs, want) in cases {
            let mut headers = HeaderMap::new();
            for (name, value) in &pairs {
                if let Ok(value) = value.parse() {
                    headers.insert(*name, value);
                }
            }
            assert_eq!(authorize(&secret, &headers, body), want, "{pairs:?}");
        }
    }

    #[test]
    fn an_empty_secret_authorizes_nothing() {
        let mut headers = HeaderMap::new();
        headers.insert("x-gitlab-token", axum::http::HeaderValue::from_static(""));
        assert_eq!(authorize(&Secret::new(""), &headers, b""), None);
    }
}
