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
    let client = global.client().await?;
    // VirtualServices come from the mesh API server when there is one (`--mesh-kubeconfig`).
    let mesh = match global.mesh().await? {
        Some(m) => m.client,
        None => client.clone(),
    };
    let config = ::meshsim::Config {
        namespace,
        listen,
        rps,
        seed,
        path,
        ..Default::default()
    };
    let sim = ::meshsim::Meshsim::start_with_mesh(client, mesh, config)
        .await
        .context("starting meshsim")?;
    println!("meshsim serving {}", sim.url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
