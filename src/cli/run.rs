//! `gitcanary run`: the daemon. Follows one source (flags) or several (`--config`), syncs each to the
//! cluster, and serves probes, metrics, the JSON API and the Git webhook.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::GlobalArgs;
use crate::source::args::SourceArgs;
use crate::sync::config::SourceSpec;
use crate::sync::engine::{SyncConfig, Syncer};
use crate::sync::metrics::SyncMetrics;

/// Follow Git and keep the cluster in sync.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: Option<SourceArgs>,
    /// Several sources from a YAML file (`sources: [{name, repo, branch, path, namespace, …}]`).
    #[arg(long, env = "GITCANARY_CONFIG", conflicts_with = "url")]
    pub config: Option<PathBuf>,
    /// Name of the source given by flags (labels, inventory and metrics use it).
    #[arg(long, env = "GITCANARY_SOURCE_NAME", default_value = "default")]
    pub name: String,
    /// Namespace holding the inventory ConfigMaps (default: the target namespace).
    #[arg(long, env = "GITCANARY_INVENTORY_NAMESPACE")]
    pub inventory_namespace: Option<String>,
    /// Allow a commit with no manifests (it prunes everything the source applied).
    #[arg(long, env = "GITCANARY_ALLOW_EMPTY")]
    pub allow_empty: bool,
    /// Report drift instead of reverting it.
    #[arg(long, env = "GITCANARY_NO_SELF_HEAL")]
    pub no_self_heal: bool,
    /// Probes, metrics, JSON API and webhook.
    #[arg(long, env = "GITCANARY_LISTEN", default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// Secret for `POST /hooks/git` (GitHub HMAC or GitLab token); without it the webhook is off.
    #[arg(long, env = "GITCANARY_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    #[arg(long, env = "GITCANARY_WEBHOOK_SECRET_FILE", conflicts_with = "webhook_secret")]
    pub webhook_secret_file: Option<PathBuf>,
}

pub async fn run(global: GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let RunArgs { source, config, name, inventory_namespace, allow_empty, no_self_heal, listen, webhook_secret, webhook_secret_file } = args;
    let target_ns = global.namespace.clone().unwrap_or_else(|| "default".into());
    let specs: Vec<SourceSpec> = match (config, source) {
        (Some(path), _) => SourceSpec::load(&path)?,
        (None, Some(source)) => vec![SourceSpec::from_args(
            &name,
            source,
            &target_ns,
            inventory_namespace.clone(),
            !no_self_heal,
            allow_empty,
        )],
        (None, None) => anyhow::bail!("give a source with --repo URL, or several with --config FILE"),
    };
    let client = global.client().await?;
    let mut registry = Registry::default();
    let metrics = SyncMetrics::register(&mut registry);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut handles = vec![];
    let mut tasks = vec![];
    for spec in specs {
        let (source_cfg, sync_cfg): (crate::source::SourceConfig, SyncConfig) = spec.into_configs()?;
        let follower = crate::source::follow(source_cfg.clone()).with_context(|| format!("starting source {}", source_cfg.name))?;
        let syncer = Syncer::new(client.clone(), sync_cfg);
        let (handle, task) = crate::sync::runner::spawn(follower, syncer, &source_cfg, metrics.clone(), source_cfg.interval, shutdown_rx.clone());
        handles.push(handle);
        tasks.push(task);
    }
    let handles = Arc::new(handles);
    let mut app = crate::web::router(crate::web::WebState { sources: handles.clone(), registry: Arc::new(registry) });
    let secret = match (webhook_secret, webhook_secret_file) {
        (Some(s), _) => Some(crate::source::credentials::Secret::new(s)),
        (None, Some(f)) => Some(crate::source::credentials::Secret::new(
            std::fs::read_to_string(&f).with_context(|| format!("reading the webhook secret {}", f.display()))?.trim().to_string(),
        )),
        (None, None) => None,
    };
    if let Some(secret) = secret {
        let trigger = crate::source::Trigger::default();
        let fan_out = trigger.clone();
        let all = handles.clone();
        tokio::spawn(async move {
            loop {
                fan_out.fired().await;
                for h in all.iter() {
                    h.trigger.fire();
                }
            }
        });
        app = app.merge(crate::source::webhook::router(crate::source::webhook::WebhookState { secret, trigger }));
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    tracing::info!(addr = %listener.local_addr()?, "serving probes, metrics and the API");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    wait_for_signal().await;
    tracing::info!("shutting down: finishing the sync pass in flight");
    let _ = shutdown_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    server.abort();
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (Kubernetes) or Ctrl-C.
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
