//! `gitcanary localkube`: the test and demo API server, as a command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

/// Serve a Kubernetes-compatible API (HTTPS, bearer token) until killed.
#[derive(Debug, clap::Args)]
pub struct LocalkubeArgs {
    /// Address to listen on; port 0 picks a free port. Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Where to write the kubeconfig that kubectl and kube-rs use as is.
    #[arg(long)]
    pub kubeconfig_out: PathBuf,
    /// Install the argoproj.io CRDs and the Istio networking CRDs at start.
    #[arg(long)]
    pub install_crds: bool,
    /// How long simulated Pods take to become Ready.
    #[arg(long, default_value = "500ms", value_parser = humantime::parse_duration)]
    pub ready_delay: Duration,
    /// Image pattern (`*` wildcard) whose Pods never become Ready; repeatable.
    #[arg(long = "broken-image")]
    pub broken_images: Vec<String>,
}

pub async fn run(args: LocalkubeArgs) -> anyhow::Result<ExitCode> {
    let LocalkubeArgs {
        listen,
        kubeconfig_out,
        install_crds,
        ready_delay,
        broken_images,
    } = args;
    let crds = if install_crds {
        crate::cli::crds::bundled()?
    } else {
        vec![]
    };
    let config = localkube::Config {
        listen,
        ready_delay,
        broken_images,
        crds,
        ..Default::default()
    };
    let server = localkube::LocalKube::start(config)
        .await
        .context("starting localkube")?;
    server
        .write_kubeconfig(&kubeconfig_out)
        .with_context(|| format!("writing kubeconfig to {}", kubeconfig_out.display()))?;
    println!("localkube listening on {}", server.url());
    println!("kubeconfig written to {}", kubeconfig_out.display());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
