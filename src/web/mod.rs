//! The daemon's HTTP surface: probes, Prometheus metrics, the JSON API, the dashboard and the Git
//! webhook.

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::registry::Registry;

use crate::sync::runner::SourceHandle;

/// The running sources. Unset while this replica stands by for the leader Lease: only the leader
/// follows Git and syncs.
pub type Sources = Arc<OnceLock<Arc<Vec<SourceHandle>>>>;

mod actions;
mod api;
pub mod auth;
pub mod dashboard;
pub mod events;
mod live;
mod mesh;

pub use dashboard::{Dashboard, DashboardConfig};

/// Shared by every handler.
#[derive(Clone)]
pub struct WebState {
    pub sources: Sources,
    pub registry: Arc<Registry>,
    pub dashboard: Arc<Dashboard>,
}

pub fn router(state: WebState) -> Router {
    let dashboard = dashboard::router(state.dashboard.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/sources", get(sources))
        .with_state(state)
        .merge(dashboard)
}

/// Ready once every source has completed a first sync pass (successful or not): before that, the
/// daemon's view of the cluster is incomplete. A standby replica is ready: it serves this API, and
/// holding it back would only make a rolling update of the replicas wait on the leader.
async fn readyz(State(st): State<WebState>) -> Response {
    let Some(sources) = st.sources.get() else {
        return (StatusCode::OK, "ok: standing by for the leader Lease").into_response();
    };
    let waiting: Vec<String> = sources
        .iter()
        .filter(|s| s.state.borrow().last_sync.is_none())
        .map(|s| s.name.clone())
        .collect();
    if waiting.is_empty() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("waiting for the first sync of: {}", waiting.join(", ")),
        )
            .into_response()
    }
}

async fn metrics(State(st): State<WebState>) -> Response {
    let mut out = String::new();
    match prometheus_client::encoding::text::encode(&mut out, &st.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            out,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn sources(State(st): State<WebState>) -> Response {
    let all: Vec<_> = st
        .sources
        .get()
        .map(|sources| sources.iter().map(|s| s.state.borrow().clone()).collect())
        .unwrap_or_default();
    Json(serde_json::json!({ "sources": all })).into_response()
}
