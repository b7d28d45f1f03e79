//! `GET /api/v1/rollouts` and `GET /api/v1/rollouts/{namespace}/{name}`: the rollouts as the
//! dashboard shows them, answered from the watch caches.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::dashboard::{Dashboard, error};
use super::live::Live;
use crate::rollout::view::detail::{detail, summary};

/// A first list of a large cluster can take a moment; a request waits this long for it.
const FIRST_LIST: Duration = Duration::from_secs(10);

async fn ready(d: &Dashboard) -> Option<&Live> {
    let live = d.live().await;
    live.ready(FIRST_LIST).await.then_some(live)
}

fn not_ready() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "still listing Rollouts, ReplicaSets and AnalysisRuns; try again".into(),
    )
}

#[derive(Deserialize)]
pub struct ListQuery {
    namespace: Option<String>,
}

pub async fn rollouts(State(d): State<Arc<Dashboard>>, Query(q): Query<ListQuery>) -> Response {
    let Some(live) = ready(&d).await else {
        return not_ready();
    };
    let all: Vec<_> = live
        .all(q.namespace.as_deref())
        .iter()
        .map(summary)
        .collect();
    Json(serde_json::json!({ "rollouts": all })).into_response()
}

pub async fn rollout(
    State(d): State<Arc<Dashboard>>,
    Path((namespace, name)): Path<(String, String)>,
) -> Response {
    let Some(live) = ready(&d).await else {
        return not_ready();
    };
    match live.one(&namespace, &name) {
        Some(objects) => Json(detail(&objects, &live.virtual_services())).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Rollout {namespace}/{name} not found"),
        ),
    }
}
