//! Starting and stopping a meshsim: the watches, the request generator and the HTTP server.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1 as core;
use kube::api::Api;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::faults::{ErrorRate, ErrorRateError};
use crate::legend::RouteView;
use crate::objects;
use crate::pacer::Pacer;
use crate::recent::Stats;
use crate::shared::Shared;
use crate::watch;

/// How often the generator sends the requests it owes.
const TICK: Duration = Duration::from_millis(100);

/// How long [`Meshsim::shutdown`] lets requests in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Config {
    pub namespace: String,
    /// Port 0 picks a free port; see [`Meshsim::addr`].
    pub listen: SocketAddr,
    /// Simulated requests per second; 0 leaves sending to [`Meshsim::send`] (deterministic tests).
    pub rps: f64,
    /// Seeds the weighted choices and error draws; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// Path of the simulated requests, matched against the VirtualService routes (the seed's demo
    /// page asks for `/color`).
    pub path: String,
    /// How many recent answers the page and [`Meshsim::stats`] see.
    pub window: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            namespace: "default".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            rps: 50.0,
            seed: None,
            path: "/color".into(),
            window: 1000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("binding {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("requests per second must be a finite number ≥ 0, not {0}")]
    Rps(f64),
    #[error("the request path must start with '/', not {0:?}")]
    Path(String),
}

/// A running meshsim. Dropping it stops everything; [`Meshsim::shutdown`] also lets the server
/// finish the requests in flight.
pub struct Meshsim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// Watches and the request generator: they run until aborted.
    tasks: JoinSet<()>,
    server: JoinHandle<()>,
    stop_server: Option<oneshot::Sender<()>>,
}

impl Meshsim {
    pub async fn start(client: kube::Client, config: Config) -> Result<Meshsim, StartError> {
        Self::start_with_mesh(client.clone(), client, config).await
    }

    /// Like [`Meshsim::start`], with VirtualServices read from `mesh`: a separate control plane
    /// (Alibaba Cloud Service Mesh) holds them while Services and Pods stay in `client`'s cluster.
    pub async fn start_with_mesh(
        client: kube::Client,
        mesh: kube::Client,
        config: Config,
    ) -> Result<Meshsim, StartError> {
        let Config {
            namespace,
            listen,
            rps,
            seed,
            path,
            window,
        } = config;
        if !rps.is_finite() || rps < 0.0 {
            return Err(StartError::Rps(rps));
        }
        if !path.starts_with('/') {
            return Err(StartError::Path(path));
        }
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
        let rng = seed.map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
        let shared = Arc::new(Shared::new(&namespace, path, rps, rng, window));

        let mut tasks = JoinSet::new();
        tasks.spawn(watch::virtual_services(
            mesh,
            namespace.clone(),
            shared.clone(),
        ));
        tasks.spawn(watch::run(
            Api::<core::Service>::namespaced(client.clone(), &namespace),
            shared.clone(),
            |obj| Ok::<_, Infallible>(objects::service(obj)),
        ));
        tasks.spawn(watch::run(
            Api::<core::Pod>::namespaced(client, &namespace),
            shared.clone(),
            |obj| Ok::<_, Infallible>(objects::pod(obj)),
        ));
        if rps > 0.0 {
            tasks.spawn(generate(shared.clone()));
        }
        let (stop_server, stopped) = oneshot::channel();
        let app = crate::web::router(shared.clone());
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::error!(%error, "meshsim's HTTP server stopped");
            }
        });
        tracing::info!(%addr, %namespace, rps, "meshsim serving");
        Ok(Meshsim {
            addr,
            shared,
            tasks,
            server,
            stop_server: Some(stop_server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until every watch has delivered its first list, so routing reflects the cluster.
    pub async fn synced(&self) {
        let mut view = self.shared.view.subscribe();
        // The sender lives in `self.shared`, so the channel cannot close while we wait.
        let _ = view.wait_for(|v| v.is_synced()).await;
    }

    /// Sends `n` requests through the mesh now (besides the generator's) and returns their answers.
    pub fn send(&self, n: u64) -> Stats {
        self.shared.send(n)
    }

    /// Counts over the last `window` answers.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Makes a share of the requests answered by pods of `image` fail with 500; 0 removes it.
    pub fn set_error_rate(&self, image: &str, rate: f64) -> Result<(), ErrorRateError> {
        self.shared.set_error_rate(image, rate)
    }

    pub fn error_rates(&self) -> Vec<ErrorRate> {
        self.shared.error_rates()
    }

    /// The routes with their current weights and the colours behind each destination.
    pub fn routes(&self) -> Vec<RouteView> {
        self.shared.routes()
    }

    /// The `/metrics` text.
    pub fn metrics_text(&self) -> Result<String, std::fmt::Error> {
        self.shared.encode_metrics()
    }

    /// Stops the watches and the generator, then lets the server finish the requests in flight.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
        if let Some(stop) = self.stop_server.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

impl Drop for Meshsim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Sends the requests owed at `rps` every tick until the task is dropped. Starts once the watches
/// have listed the cluster, so no request is answered from an empty view.
async fn generate(shared: Arc<Shared>) {
    let _ = shared.view.subscribe().wait_for(|v| v.is_synced()).await;
    let mut pacer = Pacer::new(shared.rps);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = ticks.tick().await;
    loop {
        let now = ticks.tick().await;
        let due = pacer.due(now - last);
        last = now;
        if due > 0 {
            shared.send(due);
        }
    }
}
