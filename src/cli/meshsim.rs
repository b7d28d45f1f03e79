//! `gitcanary meshsim`: the demo data plane, as a command.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::GlobalArgs;

/// Send simulated requests through the cluster's VirtualService weights, serve the colour-grid page
/// and export `istio_requests_total`, until killed.
#[derive(Debug, clap::Args)]
pub struct MeshsimArgs {
    /// Address of the demo page, `/metrics` and `/error-rate`; port 0 picks a free port.
    #[arg(long, env = "MESHSIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Simulated requests per second; 0 sends only when `/color` is asked.
    #[arg(long, env = "MESHSIM_RPS", default_value_t = 50.0)]
    pub rps: f64,
    /// Seed for the weighted choices and injected errors, for repeatable runs.
    #[arg(long, env = "MESHSIM_SEED")]
    pub seed: Option<u64>,
    /// Path of the simulated requests, matched against the VirtualService routes.
    #[arg(long, env = "MESHSIM_PATH", default_value = "/color")]
    pub path: String,
}

pub async fn run(global: &GlobalArgs, args: MeshsimArgs) -> anyhow::Result<ExitCode> {
    let MeshsimArgs {
        listen,
        rps,
        seed,
        path,
    } = args;
    let namespace = global
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    let client = client(global).await?;
    let config = ::meshsim::Config {
        namespace,
        listen,
        rps,
        seed,
        path,
        ..Default::default()
    };
    let sim = ::meshsim::Meshsim::start(client, config)
        .await
        .context("starting meshsim")?;
    println!("meshsim serving {}", sim.url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// A client for `--kubeconfig` (or $KUBECONFIG) and `--context`; without either, whatever kube-rs
/// infers (~/.kube/config, then the in-cluster service account).
async fn client(global: &GlobalArgs) -> anyhow::Result<kube::Client> {
    let options = kube::config::KubeConfigOptions {
        context: global.context.clone(),
        ..Default::default()
    };
    let config = match (&global.kubeconfig, &global.context) {
        (Some(path), _) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("using kubeconfig {}", path.display()))?
        }
        (None, Some(_)) => kube::Config::from_kubeconfig(&options)
            .await
            .context("using the kubeconfig context")?,
        (None, None) => kube::Config::infer()
            .await
            .context("finding a kubeconfig or in-cluster credentials")?,
    };
    kube::Client::try_from(config).context("building the Kubernetes client")
}
