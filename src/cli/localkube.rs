//! `gitcanary localkube`: the test and demo API server, as a command.

use std::process::ExitCode;

/// Serve a Kubernetes-compatible API until killed.
#[derive(Debug, clap::Args)]
pub struct LocalkubeArgs {}

pub async fn run(_args: LocalkubeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("localkube is not wired yet")
}
