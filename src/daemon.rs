//! Wiring of a running daemon: one follower and syncer per source, the HTTP server, and an orderly
//! shutdown. `gitcanary run` and the integration tests start it the same way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cluster::{Clusters, MeshServer};
use crate::source::credentials::Secret;
use crate::sync::config::SourceSpec;
use crate::sync::engine::Syncer;
use crate::sync::metrics::SyncMetrics;
use crate::sync::runner::SourceHandle;

pub struct DaemonConfig {
    pub sources: Vec<SourceSpec>,
    pub listen: SocketAddr,
    pub webhook_secret: Option<Secret>,
    /// A separate API server for the mesh configuration (ASM's control plane); `None`: the main one.
    pub mesh: Option<MeshServer>,
}

pub struct Daemon {
    pub addr: SocketAddr,
    pub sources: Arc<Vec<SourceHandle>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    server: JoinHandle<()>,
}

impl Daemon {
    pub async fn start(client: kube::Client, config: DaemonConfig) -> anyhow::Result<Daemon> {
        let DaemonConfig {
            sources,
            listen,
            webhook_secret,
            mesh,
        } = config;
        let clusters = Clusters::new(client.clone(), mesh);
        let mut registry = Registry::default();
        let metrics = SyncMetrics::register(&mut registry);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut handles = vec![];
        let mut tasks = vec![];
        for spec in sources {
            let (source_cfg, sync_cfg) = spec.into_configs()?;
            let follower = crate::source::follow(source_cfg.clone())
                .with_context(|| format!("starting source {}", source_cfg.name))?;
            let syncer = Syncer::with_clusters(clusters.clone(), sync_cfg);
            let resync = source_cfg.interval.max(Duration::from_secs(1));
            let (handle, task) = crate::sync::runner::spawn(
                follower,
                syncer,
                &source_cfg,
                metrics.clone(),
                resync,
                shutdown_rx.clone(),
            );
            handles.push(handle);
            tasks.push(task);
        }
        let handles = Arc::new(handles);
        let measurer = crate::analysis::measure::Measurer::from_env()
            .context("configuring the Prometheus provider")?;
        let (c, stop) = (client.clone(), shutdown_rx.clone());
        tasks.push(tokio::spawn(async move {
            crate::analysis::controller::run(c, measurer, stop).await
        }));
        let (c, sources, stop) = (clusters.clone(), handles.clone(), shutdown_rx.clone());
        tasks.push(tokio::spawn(async move {
            crate::rollout::controller::run(c, sources, stop).await;
        }));
        let mut app = crate::web::router(crate::web::WebState {
            sources: handles.clone(),
            registry: Arc::new(registry),
        });
        if let Some(secret) = webhook_secret {
            let trigger = crate::source::Trigger::default();
            let fan_out = trigger.clone();
            let all = handles.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    fan_out.fired().await;
                    for h in all.iter() {
                        h.trigger.fire();
                    }
                }
            }));
            app = app.merge(crate::source::webhook::router(
                crate::source::webhook::WebhookState { secret, trigger },
            ));
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "serving probes, metrics and the API");
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        });
        Ok(Daemon {
            addr,
            sources: handles,
            shutdown,
            tasks,
            server,
        })
    }

    /// Lets every source finish the pass in flight, then stops.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            if tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .is_err()
            {
                tracing::warn!("a task did not stop within 30s");
            }
        }
        self.server.abort();
    }
}
