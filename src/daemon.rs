//! Wiring of a running daemon: one follower and syncer per source, the controllers, the HTTP server,
//! and an orderly shutdown. `gitcanary run` and the integration tests start it the same way.
//!
//! With leader election, the HTTP server starts at once in every replica, and everything that writes
//! to the cluster (sources, sync, controllers) starts only once this replica holds the Lease.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::analysis::measure::Measurer;
use crate::cluster::{Clusters, MeshServer};
use crate::leader::{ElectionConfig, Elector, LeaderMetrics};
use crate::source::SourceConfig;
use crate::source::credentials::Secret;
use crate::sync::config::SourceSpec;
use crate::sync::engine::{SyncConfig, Syncer};
use crate::sync::metrics::SyncMetrics;
use crate::sync::runner::SourceHandle;
use crate::web::Sources;

pub struct DaemonConfig {
    pub sources: Vec<SourceSpec>,
    pub listen: SocketAddr,
    pub webhook_secret: Option<Secret>,
    /// The dashboard's token and meshsim address (the demo's).
    pub dashboard: crate::web::DashboardConfig,
    /// A separate API server for the mesh configuration (ASM's control plane); `None`: the main one.
    pub mesh: Option<MeshServer>,
}

pub struct Daemon {
    pub addr: SocketAddr,
    /// The running sources; unset while this replica stands by.
    pub sources: Sources,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    server: JoinHandle<()>,
    /// Why this replica stopped leading, once it has: it must stop (the process exits).
    stepped_down: watch::Receiver<Option<String>>,
}

/// What [`Acting::start`] started.
struct Started {
    sources: Arc<Vec<SourceHandle>>,
    tasks: Vec<JoinHandle<()>>,
}

/// Everything that acts on the cluster, ready to start.
struct Acting {
    clusters: Clusters,
    sources: Vec<(SourceConfig, SyncConfig)>,
    metrics: SyncMetrics,
    measurer: Measurer,
    webhook: Option<crate::source::Trigger>,
}

impl Daemon {
    pub async fn start(client: kube::Client, config: DaemonConfig) -> anyhow::Result<Daemon> {
        Self::start_with(client, config, None).await
    }

    /// Like [`Daemon::start`]; with `election`, acts only while holding the Lease.
    pub async fn start_with(
        client: kube::Client,
        config: DaemonConfig,
        election: Option<ElectionConfig>,
    ) -> anyhow::Result<Daemon> {
        let DaemonConfig {
            sources,
            listen,
            webhook_secret,
            dashboard,
            mesh,
        } = config;
        let clusters = Clusters::new(client.clone(), mesh);
        let mut registry = Registry::default();
        let metrics = SyncMetrics::register(&mut registry);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (stepped_down_tx, stepped_down) = watch::channel(None);
        let configs = sources
            .into_iter()
            .map(SourceSpec::into_configs)
            .collect::<Result<Vec<_>, _>>()?;
        let measurer = Measurer::from_env().context("configuring the Prometheus provider")?;
        let webhook = webhook_secret.map(|secret| (secret, crate::source::Trigger::default()));
        let acting = Acting {
            clusters: clusters.clone(),
            sources: configs,
            metrics,
            measurer,
            webhook: webhook.as_ref().map(|(_, t)| t.clone()),
        };
        let running: Sources = Arc::new(OnceLock::new());
        // Bound before the election starts, so the leader can write its real address on the Lease.
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        let election = election.map(|mut e| {
            e.advertise = e.advertise.or_else(|| advertised_url(addr));
            e
        });
        let relay = election
            .clone()
            .map(|e| crate::leader::Relay::new(client.clone(), e));
        let mut tasks = vec![tokio::spawn(crate::allocator::trim_periodically(
            shutdown_rx.clone(),
        ))];
        match election {
            None => {
                let started = acting.start(shutdown_rx.clone())?;
                let _ = running.set(started.sources);
                tasks.extend(started.tasks);
            }
            Some(election) => {
                election.timing.check()?;
                let elector = Elector::new(
                    client.clone(),
                    election,
                    LeaderMetrics::register(&mut registry),
                );
                tasks.push(tokio::spawn(lead(
                    elector,
                    acting,
                    running.clone(),
                    shutdown_rx.clone(),
                    stepped_down_tx,
                )));
            }
        }
        let mut app = crate::web::router(crate::web::WebState {
            sources: running.clone(),
            registry: Arc::new(registry),
            dashboard: Arc::new(crate::web::Dashboard::new(
                &clusters,
                running.clone(),
                listen,
                dashboard,
            )),
        });
        if let Some((secret, trigger)) = webhook {
            let acting = running.clone();
            let standby = relay.map(|relay| crate::source::webhook::Standby {
                acting: Arc::new(move || acting.get().is_some()),
                relay,
            });
            app = app.merge(crate::source::webhook::router(
                crate::source::webhook::WebhookState {
                    secret,
                    trigger,
                    standby,
                },
            ));
        }
        tracing::info!(%addr, "serving probes, metrics, the API and the dashboard");
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        });
        Ok(Daemon {
            addr,
            sources: running,
            shutdown,
            tasks,
            server,
            stepped_down,
        })
    }

    /// Resolves with the reason once this replica has lost the Lease and stopped acting; never
    /// without leader election. The process should then exit, to come back as a standby.
    pub async fn stepped_down(&mut self) -> String {
        match self.stepped_down.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            Err(_) => std::future::pending().await,
        }
    }

    /// Lets every source finish the pass in flight, then stops (and hands the Lease over).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        drain(self.tasks).await;
        self.server.abort();
    }
}

/// Where the other replicas can reach this one, when not given: `$POD_IP` (the downward API) with
/// the bound port, else the bound address itself unless it is a wildcard.
fn advertised_url(bound: std::net::SocketAddr) -> Option<String> {
    let pod_ip = std::env::var("POD_IP").ok();
    advertised_from(bound, pod_ip.as_deref())
}

fn advertised_from(bound: std::net::SocketAddr, pod_ip: Option<&str>) -> Option<String> {
    let port = bound.port();
    if let Some(ip) = pod_ip.map(str::trim).filter(|ip| !ip.is_empty()) {
        return Some(match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(v6)) => format!("http://[{v6}]:{port}"),
            _ => format!("http://{ip}:{port}"),
        });
    }
    (!bound.ip().is_unspecified()).then(|| format!("http://{bound}"))
}

impl Acting {
    fn start(self, shutdown: watch::Receiver<bool>) -> anyhow::Result<Started> {
        let Acting {
            clusters,
            sources,
            metrics,
            measurer,
            webhook,
        } = self;
        let mut handles = vec![];
        let mut tasks = vec![];
        for (source_cfg, sync_cfg) in sources {
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
                shutdown.clone(),
            );
            handles.push(handle);
            tasks.push(task);
        }
        let handles = Arc::new(handles);
        let (c, stop) = (clusters.main().clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move {
            crate::analysis::controller::run(c, measurer, stop).await
        }));
        let (c, sources, stop) = (clusters.clone(), handles.clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move {
            crate::rollout::controller::run(c, sources, stop).await;
        }));
        if let Some(fan_out) = webhook {
            let all = handles.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    fan_out.fired().await;
                    for h in all.iter() {
                        h.trigger.fire();
                    }
                }
            }));
        }
        Ok(Started {
            sources: handles,
            tasks,
        })
    }
}

/// Stands by until this replica holds the Lease, then acts while renewing it. On shutdown the work
/// drains first and the Lease is handed over after; on a lost Lease the work is aborted at once.
async fn lead(
    mut elector: Elector,
    acting: Acting,
    running: Sources,
    shutdown: watch::Receiver<bool>,
    stepped_down: watch::Sender<Option<String>>,
) {
    let stopping = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    if !elector.acquire(stopping(shutdown.clone())).await {
        return;
    }
    let Started { sources, tasks } = match acting.start(shutdown.clone()) {
        Ok(started) => started,
        Err(e) => {
            elector.release().await;
            let _ = stepped_down.send(Some(format!("{e:#}")));
            return;
        }
    };
    let _ = running.set(sources);
    let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
    let drained = async move {
        stopping(shutdown).await;
        drain(tasks).await;
    };
    match elector.hold(drained).await {
        Ok(()) => elector.release().await,
        Err(e) => {
            for a in aborts {
                a.abort();
            }
            let _ = stepped_down.send(Some(e.to_string()));
        }
    }
}

async fn drain(tasks: Vec<JoinHandle<()>>) {
    for t in tasks {
        if tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .is_err()
        {
            tracing::warn!("a task did not stop within 30s");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::advertised_from;

    #[test]
    fn the_advertised_address_prefers_the_pod_ip_and_never_a_wildcard() {
        let cases = [
            (
                "0.0.0.0:9464",
                Some("10.1.2.3"),
                Some("http://10.1.2.3:9464"),
            ),
            (
                "0.0.0.0:9464",
                Some(" fd00::5 "),
                Some("http://[fd00::5]:9464"),
            ),
            ("127.0.0.1:4000", Some(""), Some("http://127.0.0.1:4000")),
            ("127.0.0.1:4000", None, Some("http://127.0.0.1:4000")),
            ("0.0.0.0:9464", None, None),
            ("[::]:9464", None, None),
        ];
        for (bound, pod_ip, want) in cases {
            let bound = bound.parse().expect("address");
            assert_eq!(
                advertised_from(bound, pod_ip).as_deref(),
                want,
                "{bound} {pod_ip:?}"
            );
        }
    }
}
