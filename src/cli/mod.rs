//! Command-line interface. `main` only parses and dispatches; each subcommand lives in its own file.

use clap::{Args, Parser, Subcommand};

pub mod crds;
pub mod localkube;
pub mod meshsim;

/// GitOps progressive delivery on a service mesh.
#[derive(Debug, Parser)]
#[command(name = "gitcanary", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand that talks to a cluster understands.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Kubeconfig file; defaults to $KUBECONFIG, then ~/.kube/config, then the in-cluster service account.
    #[arg(long, global = true, env = "KUBECONFIG")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Namespace of the objects named on the command line.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Kubernetes-API-compatible server for tests and demos.
    Localkube(localkube::LocalkubeArgs),
    /// Run the demo data plane: simulated requests through VirtualService weights, Istio metrics.
    Meshsim(meshsim::MeshsimArgs),
}

impl Cli {
    /// Runs the chosen subcommand; the returned code is the process exit code.
    pub async fn run(self) -> anyhow::Result<std::process::ExitCode> {
        match self.command {
            Command::Localkube(args) => localkube::run(args).await,
            Command::Meshsim(args) => meshsim::run(&self.global, args).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
