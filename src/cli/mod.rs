//! Command-line interface. `main` only parses and dispatches; each subcommand lives in its own file.

use clap::{Args, Parser, Subcommand};

pub mod approve;
pub mod crds;
pub mod demo;
pub mod diff;
pub mod get;
pub mod gitops;
pub mod localkube;
pub mod meshsim;
pub mod prometheus;
pub mod rollout_view;
pub mod run;
pub mod set_image;
pub mod status;
pub mod validate;

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

impl GlobalArgs {
    /// A client for the cluster: the given kubeconfig (and context), else $KUBECONFIG / ~/.kube/config,
    /// else the in-cluster service account.
    pub async fn client(&self) -> anyhow::Result<kube::Client> {
        use anyhow::Context;
        let options = kube::config::KubeConfigOptions {
            context: self.context.clone(),
            ..Default::default()
        };
        let config = match &self.kubeconfig {
            Some(path) => {
                let kc = kube::config::Kubeconfig::read_from(path)
                    .with_context(|| format!("reading kubeconfig {}", path.display()))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .context("loading the kubeconfig")?
            }
            None if self.context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .context("loading the kubeconfig")?,
            None => kube::Config::infer()
                .await
                .context("finding a kubeconfig or in-cluster configuration")?,
        };
        kube::Client::try_from(config).context("building the Kubernetes client")
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Follow Git and keep the cluster in sync (the daemon).
    Run(Box<run::RunArgs>),
    /// The seed walk-through on this machine: localkube, a Git repository, meshsim, Prometheus, the daemon.
    Demo(demo::DemoArgs),
    /// What syncing a branch would change (exit 1 if anything differs).
    Diff(Box<diff::DiffArgs>),
    /// The daemon's sources: synced commit, state, errors.
    Status(status::StatusArgs),
    /// Show a resource (`get rollout NAME [--watch]`).
    Get(get::GetArgs),
    /// Approve the current pause (or `--full`: all remaining steps).
    Promote(approve::PromoteArgs),
    /// Abort the canary: traffic back to stable.
    Abort(approve::ApproveArgs),
    /// Retry an aborted canary from step 0.
    Retry(approve::ApproveArgs),
    /// Change a container image of a Rollout in Git (commit and push).
    SetImage(set_image::SetImageArgs),
    /// Run a Kubernetes-API-compatible server for tests and demos.
    Localkube(localkube::LocalkubeArgs),
    /// Check a directory of manifests offline; one line per problem, non-zero exit if any.
    Validate(validate::ValidateArgs),
    /// Run the demo data plane: simulated requests through VirtualService weights, Istio metrics.
    Meshsim(meshsim::MeshsimArgs),
}

impl Cli {
    /// Runs the chosen subcommand; the returned code is the process exit code.
    pub async fn run(self) -> anyhow::Result<std::process::ExitCode> {
        match self.command {
            Command::Run(args) => run::run(self.global, *args).await,
            Command::Get(args) => get::run(self.global, args).await,
            Command::Diff(args) => diff::run(self.global, *args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Status(args) => status::run(args).await,
            Command::Promote(args) => {
                let request = if args.full {
                    approve::Request::PromoteFull
                } else {
                    approve::Request::Promote
                };
                approve::run(self.global, request, args.common).await
            }
            Command::Abort(args) => approve::run(self.global, approve::Request::Abort, args).await,
            Command::Retry(args) => approve::run(self.global, approve::Request::Retry, args).await,
            Command::SetImage(args) => set_image::run(self.global, args).await,
            Command::Localkube(args) => localkube::run(args).await,
            Command::Validate(args) => validate::run(args).await,
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
