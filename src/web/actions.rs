//! `POST /api/v1/rollouts/{namespace}/{name}/{promote|promote-full|abort|retry}`: the dashboard's
//! buttons, through the same annotation the CLI writes.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::{Presented, authorize};
use super::dashboard::{Dashboard, error};
use crate::rollout::request::{Request, RequestError, annotate};

pub async fn act(
    State(d): State<Arc<Dashboard>>,
    Path((namespace, name, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(request) = Request::from_slug(&action) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("unknown action {action:?}: promote, promote-full, abort or retry"),
        );
    };
    if let Err(denied) = authorize(&d.policy, &Presented::from_headers(&headers)) {
        tracing::info!(rollout = %format!("{namespace}/{name}"), action, reason = %denied, "dashboard action refused");
        return error(denied.status(), denied.to_string());
    }
    match annotate(
        d.client(),
        &namespace,
        &name,
        request,
        "gitcanary-dashboard",
    )
    .await
    {
        Ok(()) => {
            let (key, value) = request.annotation();
            tracing::info!(rollout = %format!("{namespace}/{name}"), action, "dashboard action");
            Json(serde_json::json!({ "annotated": format!("{key}={value}") })).into_response()
        }
        Err(e @ RequestError::NotFound { .. }) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => error(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}
