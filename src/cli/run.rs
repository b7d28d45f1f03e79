//! `gitcanary run`: the daemon. Follows one source (flags) or several (`--config`), syncs each to the
//! cluster, and serves probes, metrics, the JSON API and the Git webhook.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::GlobalArgs;
use crate::daemon::{Daemon, DaemonConfig};
use crate::leader::{ElectionConfig, Timing};
use crate::source::args::SourceArgs;
use crate::source::credentials::{Secret, SecretSource};
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
    /// Token the dashboard's buttons (promote, abort, retry) must send. Without one they work only
    /// when `--listen` is a loopback address.
    #[arg(long, env = "GITCANARY_DASHBOARD_TOKEN", hide_env_values = true)]
    pub dashboard_token: Option<String>,
    #[arg(
        long,
        env = "GITCANARY_DASHBOARD_TOKEN_FILE",
        conflicts_with = "dashboard_token"
    )]
    pub dashboard_token_file: Option<PathBuf>,
    #[command(flatten)]
    pub leader: LeaderArgs,
}

/// Several replicas: one acts, the others stand by (a `coordination.k8s.io/v1` Lease decides).
#[derive(Debug, clap::Args)]
pub struct LeaderArgs {
    /// Act only while holding the leader Lease; serve probes, metrics and the API always.
    #[arg(long, env = "GITCANARY_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Namespace of the Lease (default: $POD_NAMESPACE, else the target namespace).
    #[arg(long, env = "GITCANARY_LEADER_ELECTION_NAMESPACE")]
    pub leader_election_namespace: Option<String>,
    /// Name of the Lease.
    #[arg(
        long,
        env = "GITCANARY_LEADER_ELECTION_ID",
        default_value = "gitcanary"
    )]
    pub leader_election_id: String,
    /// How long standbys wait after the leader's last renewal before taking over.
    #[arg(long, env = "GITCANARY_LEASE_DURATION", value_parser = humantime::parse_duration, default_value = "15s")]
    pub lease_duration: Duration,
    /// How long the leader keeps acting without a successful renewal (shorter than the lease).
    #[arg(long, env = "GITCANARY_RENEW_DEADLINE", value_parser = humantime::parse_duration, default_value = "10s")]
    pub renew_deadline: Duration,
    /// Pause between renewals (leader) and between tries (standby).
    #[arg(long, env = "GITCANARY_RETRY_PERIOD", value_parser = humantime::parse_duration, default_value = "2s")]
    pub retry_period: Duration,
    /// URL at which the other replicas reach this one's HTTP server; the leader writes it on the
    /// Lease and a standby passes webhooks on to it (default: http://$POD_IP:PORT, or the listen
    /// address unless it is a wildcard).
    #[arg(long, env = "GITCANARY_ADVERTISE_URL")]
    pub advertise_url: Option<String>,
}

impl LeaderArgs {
    /// `None` without `--leader-elect`. The identity is $POD_NAME, else the host name with a random
    /// suffix.
    fn into_config(self, target_ns: &str) -> Option<ElectionConfig> {
        let LeaderArgs {
            leader_elect,
            leader_election_namespace,
            leader_election_id,
            lease_duration,
            renew_deadline,
            retry_period,
            advertise_url,
        } = self;
        leader_elect.then(|| ElectionConfig {
            namespace: leader_election_namespace
                .or_else(|| std::env::var("POD_NAMESPACE").ok())
                .filter(|ns| !ns.is_empty())
                .unwrap_or_else(|| target_ns.to_string()),
            name: leader_election_id,
            identity: crate::leader::default_identity(),
            timing: Timing {
                lease_duration,
                renew_deadline,
                retry_period,
            },
            advertise: advertise_url.filter(|u| !u.trim().is_empty()),
        })
    }
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
        dashboard_token,
        dashboard_token_file,
        leader,
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
    let election = leader.into_config(&target_ns);
    if let Some(e) = &election {
        e.timing.check()?;
    }
    let client = global.client().await?;
    let mesh = global.mesh().await?;
    if let Some(m) = &mesh {
        tracing::info!(server = %m.server, "mesh configuration goes to a separate API server");
    }
    let webhook_secret = secret(webhook_secret, webhook_secret_file, "the webhook secret")?;
    let dashboard_token = secret(dashboard_token, dashboard_token_file, "the dashboard token")?;
    let mut daemon = Daemon::start_with(
        client,
        DaemonConfig {
            sources: specs,
            listen,
            webhook_secret,
            dashboard: crate::web::DashboardConfig {
                token: dashboard_token,
                mesh_ui: None,
            },
            mesh,
        },
        election,
    )
    .await?;
    // The only line on stdout (the dashboard is at `/`): scripts and the tests read it, and may
    // close the pipe afterwards.
    println!("gitcanary listening on http://{}", daemon.addr);
    tokio::select! {
        _ = wait_for_signal() => {}
        // Exit at once, without draining: another replica may be acting already. Kubernetes restarts
        // this one, which then stands by.
        reason = daemon.stepped_down() => anyhow::bail!("stopped leading: {reason}"),
    }
    tracing::info!("shutting down: finishing the sync pass in flight");
    daemon.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// A secret given inline or, better (it stays out of the process list), as a file.
fn secret(
    inline: Option<String>,
    file: Option<PathBuf>,
    what: &str,
) -> anyhow::Result<Option<Secret>> {
    let source = match (inline, file) {
        (Some(s), _) => SecretSource::Value(Secret::new(s)),
        (None, Some(f)) => SecretSource::File(f),
        (None, None) => return Ok(None),
    };
    Ok(Some(
        source.read().with_context(|| format!("reading {what}"))?,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_inline_or_from_a_file() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("secret");
        std::fs::write(&file, "s3cret\n").expect("write");
        let shown = |s: Option<Secret>| s.map(|s| s.expose().to_string());
        let inline = secret(Some("inline".into()), None, "the token").expect("inline");
        assert_eq!(shown(inline), Some("inline".into()));
        let from_file = secret(None, Some(file), "the token").expect("file");
        assert_eq!(shown(from_file), Some("s3cret".into()));
        assert!(secret(None, None, "the token").expect("none").is_none());
        let missing = dir.path().join("missing");
        let err = secret(None, Some(missing.clone()), "the webhook secret").expect_err("missing");
        let text = format!("{err:#}");
        assert!(text.contains("reading the webhook secret"), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");
    }
}
