//! The live dashboard: one embedded page (no build step, nothing fetched from elsewhere), the JSON
//! it reads, the change notices that keep it current, and its buttons.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;

use super::auth::{ActionPolicy, policy};
use super::events::{Changes, DEBOUNCE};
use super::live::Live;
use super::mesh::MeshProxy;
use crate::source::credentials::Secret;

const PAGE: &str = include_str!("assets/dashboard.html");

/// What the daemon's configuration says about the dashboard.
#[derive(Clone, Debug, Default)]
pub struct DashboardConfig {
    /// Required by the buttons; without it they work on loopback only.
    pub token: Option<Secret>,
    /// meshsim's address: the page then shows its colour grid and error-rate control.
    pub mesh_ui: Option<url::Url>,
}

pub struct Dashboard {
    client: kube::Client,
    mesh_client: kube::Client,
    sources: super::Sources,
    pub(super) changes: Arc<Changes>,
    live: OnceCell<Live>,
    pub(super) policy: ActionPolicy,
    pub(super) mesh: Option<MeshProxy>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.lock() {
            for t in tasks.iter() {
                t.abort();
            }
        }
    }
}

impl Dashboard {
    /// `listen` is the address the daemon was told to listen on: it decides whether the buttons
    /// need a token.
    pub fn new(
        clusters: &crate::cluster::Clusters,
        sources: super::Sources,
        listen: SocketAddr,
        config: DashboardConfig,
    ) -> Dashboard {
        let DashboardConfig { token, mesh_ui } = config;
        Dashboard {
            client: clusters.main().clone(),
            mesh_client: clusters.mesh().clone(),
            sources,
            changes: Arc::new(Changes::default()),
            live: OnceCell::new(),
            policy: policy(listen, token),
            mesh: mesh_ui.map(MeshProxy::new),
            tasks: std::sync::Mutex::new(vec![]),
        }
    }

    pub(super) fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The watch caches, started on first use along with the notices.
    pub async fn live(&self) -> &Live {
        self.live
            .get_or_init(|| async {
                let (sources, changes) = (self.sources.clone(), self.changes.clone());
                let tasks = vec![
                    tokio::spawn(self.changes.clone().run(DEBOUNCE)),
                    tokio::spawn(follow_sources(sources, changes)),
                ];
                if let Ok(mut all) = self.tasks.lock() {
                    all.extend(tasks);
                }
                Live::start(&self.client, &self.mesh_client, self.changes.clone()).await
            })
            .await
    }
}

/// Turns every source's state change into a notice. A standby replica has no sources until it
/// leads, so this waits for them.
async fn follow_sources(sources: super::Sources, changes: Arc<Changes>) {
    let all = loop {
        if let Some(all) = sources.get() {
            break all.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    changes.sources();
    let mut each = tokio::task::JoinSet::new();
    for source in all.iter() {
        let (mut rx, changes) = (source.state.clone(), changes.clone());
        each.spawn(async move {
            while rx.changed().await.is_ok() {
                changes.sources();
            }
        });
    }
    while each.join_next().await.is_some() {}
}

pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/v1/dashboard", get(info))
        .route("/api/v1/events", get(super::events::events))
        .route("/api/v1/rollouts", get(super::api::rollouts))
        .route(
            "/api/v1/rollouts/{namespace}/{name}",
            get(super::api::rollout),
        )
        .route(
            "/api/v1/rollouts/{namespace}/{name}/{action}",
            post(super::actions::act),
        )
        .route("/mesh/api/requests", get(super::mesh::requests))
        .route("/mesh/api/state", get(super::mesh::state))
        .route(
            "/mesh/error-rate",
            get(super::mesh::error_rates).post(super::mesh::set_error_rate),
        )
        .with_state(dashboard)
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
        .into_response()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info {
    /// `open` (loopback), `token` or `refused`.
    actions: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_message: Option<String>,
    /// Whether `/mesh/*` reaches a meshsim.
    mesh: bool,
}

/// `GET /api/v1/dashboard`: what the page may offer.
async fn info(State(d): State<Arc<Dashboard>>) -> Json<Info> {
    let actions_message = match &d.policy {
        ActionPolicy::Refused { listen } => {
            Some(super::auth::Denied::Refused { listen: *listen }.to_string())
        }
        _ => None,
    };
    Json(Info {
        actions: d.policy.mode(),
        actions_message,
        mesh: d.mesh.is_some(),
    })
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

/// A JSON error body, `{"error": "..."}`.
pub fn error(status: StatusCode, message: String) -> Response {
    (status, Json(ErrorBody { error: message })).into_response()
}
