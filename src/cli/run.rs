//! `gitcanary run`: the daemon. Follows one source (flags) or several (`--config`), syncs each to the
//! cluster, and serves probes, metrics, the JSON API and the Git webhook.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::GlobalArgs;
use crate::daemon::{Daemon, DaemonConfig};
use crate::source::args::SourceArgs;
use crate::source::credentials::Secret;
use crate::sync::config::SourceSpec;

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
    #[arg(
        long,
        env = "GITCANARY_WEBHOOK_SECRET_FILE",
        conflicts_with = "webhook_secret"
    )]
    pub webhook_secret_file: Option<PathBuf>,
}

pub async fn run(global: GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let RunArgs {
        source,
        config,
        name,
        inventory_namespace,
        allow_empty,
        no_self_heal,
        listen,
        webhook_secret,
        webhook_secret_file,
    } = args;
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
        (None, None) => {
            anyhow::bail!("give a source with --repo URL, or several with --config FILE")
        }
    };
    let client = global.client().await?;
    let mesh = global.mesh().await?;
    if let Some(m) = &mesh {
        tracing::info!(server = %m.server, "mesh configuration goes to a separate API server");
    }
    let webhook_secret = match (webhook_secret, webhook_secret_file) {
        (Some(s), _) => Some(Secret::new(s)),
        (None, Some(f)) => Some(Secret::new(
            std::fs::read_to_string(&f)
                .with_context(|| format!("reading the webhook secret {}", f.display()))?
                .trim()
                .to_string(),
        )),
        (None, None) => None,
    };
    let daemon = Daemon::start(
        client,
        DaemonConfig {
            sources: specs,
            listen,
            webhook_secret,
            mesh,
        },
    )
    .await?;
    println!("gitcanary listening on http://{}", daemon.addr);
    wait_for_signal().await;
    tracing::info!("shutting down: finishing the sync pass in flight");
    daemon.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (Kubernetes) or Ctrl-C.
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
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
