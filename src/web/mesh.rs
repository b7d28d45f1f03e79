//! The demo's data plane on the dashboard: meshsim's recent answers (the colour grid), its view of
//! the routes and its error-rate control, fetched through the daemon so the page talks to one
//! origin (no CORS, and the token guards the error-rate control like the other buttons).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::auth::{Presented, authorize};
use super::dashboard::{Dashboard, error};

/// meshsim answers from memory; anything slower than this is a meshsim that is gone.
const TIMEOUT: Duration = Duration::from_secs(5);

/// meshsim's address and a client for it.
pub struct MeshProxy {
    base: url::Url,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl MeshProxy {
    pub fn new(base: url::Url) -> MeshProxy {
        MeshProxy {
            base,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn forward(
        &self,
        method: Method,
        path: &str,
        query: Option<String>,
        body: Bytes,
    ) -> Response {
        let mut url = match self.base.join(path) {
            Ok(u) => u,
            Err(e) => return error(StatusCode::BAD_GATEWAY, format!("meshsim URL: {e}")),
        };
        url.set_query(query.as_deref());
        let request = http::Request::builder()
            .method(method)
            .uri(url.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body));
        let request = match request {
            Ok(r) => r,
            Err(e) => return error(StatusCode::BAD_GATEWAY, format!("meshsim request: {e}")),
        };
        let answer = tokio::time::timeout(TIMEOUT, async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, body))
        })
        .await;
        match answer {
            Ok(Ok((status, body))) => {
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
            Ok(Err(e)) => error(
                StatusCode::BAD_GATEWAY,
                format!("meshsim at {} is unreachable: {e}", self.base),
            ),
            Err(_) => error(
                StatusCode::GATEWAY_TIMEOUT,
                format!("meshsim at {} did not answer within {TIMEOUT:?}", self.base),
            ),
        }
    }
}

/// Forwards to meshsim, or says there is none.
async fn forward(
    d: &Dashboard,
    method: Method,
    path: &str,
    query: Option<String>,
    body: Bytes,
) -> Response {
    match &d.mesh {
        Some(p) => p.forward(method, path, query, body).await,
        None => error(
            StatusCode::NOT_FOUND,
            "no meshsim is configured for this daemon".into(),
        ),
    }
}

/// `GET /mesh/api/requests?since=N`: the latest answers, for the colour grid.
pub async fn requests(State(d): State<Arc<Dashboard>>, RawQuery(query): RawQuery) -> Response {
    forward(&d, Method::GET, "api/requests", query, Bytes::new()).await
}

/// `GET /mesh/api/state`: routes, weights and images as meshsim sees them.
pub async fn state(State(d): State<Arc<Dashboard>>) -> Response {
    forward(&d, Method::GET, "api/state", None, Bytes::new()).await
}

/// `GET /mesh/error-rate`: the injected error rate per image.
pub async fn error_rates(State(d): State<Arc<Dashboard>>) -> Response {
    forward(&d, Method::GET, "error-rate", None, Bytes::new()).await
}

/// `POST /mesh/error-rate` `{"image": "...", "rate": 0.5}`: guarded like the rollout actions.
pub async fn set_error_rate(
    State(d): State<Arc<Dashboard>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(denied) = authorize(&d.policy, &Presented::from_headers(&headers)) {
        return error(denied.status(), denied.to_string());
    }
    forward(&d, Method::POST, "error-rate", None, body).await
}
