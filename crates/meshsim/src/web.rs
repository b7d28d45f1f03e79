//! The HTTP side: the demo page, its JSON feeds, the error-rate API and `/metrics`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::faults::ErrorRate;
use crate::legend::{ImageView, RouteView};
use crate::recent::Answer;
use crate::shared::Shared;

const PAGE: &str = include_str!("page.html");

/// A page that fell far behind gets no more than this many answers at once (it shows ~100 cells).
const MAX_ANSWERS: usize = 500;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/color", get(color))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/api/requests", get(requests))
        .route("/api/state", get(state))
        .route("/error-rate", get(list_error_rates).post(set_error_rate))
        .with_state(shared)
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// One request through the mesh on behalf of a real client, answered like the demo application's
/// `/color`: the colour as a JSON string, with the mesh's status code.
async fn color(State(shared): State<Arc<Shared>>) -> Response {
    let Some(answer) = shared.send_one() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let code = StatusCode::from_u16(answer.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match (answer.code, answer.colour) {
        (200, Some(colour)) => (code, Json(colour)).into_response(),
        (500, _) => (code, "injected error").into_response(),
        (404, _) => (code, "no route").into_response(),
        _ => (code, "no healthy upstream").into_response(),
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    match shared.encode_metrics() {
        Ok(text) => ([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Ready once every watch has delivered its first list: before that, routing would answer 404s
/// and 503s that are not the cluster's doing.
async fn readyz(State(shared): State<Arc<Shared>>) -> StatusCode {
    if shared.is_synced() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

#[derive(Serialize)]
struct Answers {
    /// Pass this as `since` next time.
    next: u64,
    answers: Vec<Answer>,
}

async fn requests(State(shared): State<Arc<Shared>>, Query(q): Query<Since>) -> Json<Answers> {
    let (answers, next) = shared.answers_since(q.since, MAX_ANSWERS);
    Json(Answers { next, answers })
}

#[derive(Serialize)]
struct MeshState {
    namespace: String,
    path: String,
    rps: f64,
    synced: bool,
    routes: Vec<RouteView>,
    images: Vec<ImageView>,
}

async fn state(State(shared): State<Arc<Shared>>) -> Json<MeshState> {
    // One statement per look at the view: a read guard held across another would be re-entrant.
    let namespace = shared.namespace();
    let synced = shared.is_synced();
    let routes = shared.routes();
    let images = shared.images();
    Json(MeshState {
        namespace,
        path: shared.path.clone(),
        rps: shared.rps,
        synced,
        routes,
        images,
    })
}

async fn list_error_rates(State(shared): State<Arc<Shared>>) -> Json<Vec<ErrorRate>> {
    Json(shared.error_rates())
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

async fn set_error_rate(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<ErrorRate>,
) -> Response {
    match shared.set_error_rate(&body.image, body.rate) {
        Ok(()) => Json(shared.error_rates()).into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(ErrorBody {
                error: error.to_string(),
            }),
        )
            .into_response(),
    }
}
