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
    /// Kubeconfig of a separate API server for the mesh configuration (Istio's networking, security,
    /// telemetry and extensions kinds): the ASM control plane when data-plane KubeAPI access is off.
    #[arg(long, global = true, env = "GITCANARY_MESH_KUBECONFIG")]
    pub mesh_kubeconfig: Option<std::path::PathBuf>,
    /// Context for the mesh API server (in --mesh-kubeconfig, else in the main kubeconfig).
    #[arg(long, global = true, env = "GITCANARY_MESH_CONTEXT")]
    pub mesh_context: Option<String>,
}

impl GlobalArgs {
    /// A client for the cluster: the given kubeconfig (and context), else $KUBECONFIG / ~/.kube/config,
    /// else the in-cluster service account.
    pub async fn client(&self) -> anyhow::Result<kube::Client> {
        use anyhow::Context;
        let config = load_config(self.kubeconfig.as_deref(), self.context.clone()).await?;
        kube::Client::try_from(config).context("building the Kubernetes client")
    }

    /// The separate mesh API server, when `--mesh-kubeconfig` or `--mesh-context` names one.
    pub async fn mesh(&self) -> anyhow::Result<Option<crate::cluster::MeshServer>> {
        use anyhow::Context;
        if self.mesh_kubeconfig.is_none() && self.mesh_context.is_none() {
            return Ok(None);
        }
        let path = self
            .mesh_kubeconfig
            .as_deref()
            .or(self.kubeconfig.as_deref());
        let config = load_config(path, self.mesh_context.clone())
            .await
            .context("configuring the mesh API server")?;
        let mesh = crate::cluster::MeshServer::from_config(config)
            .context("building the mesh API server's client")?;
        Ok(Some(mesh))
    }

    /// Both clients: objects of the mesh's API groups go to the mesh server, when there is one.
    pub async fn clusters(&self) -> anyhow::Result<crate::cluster::Clusters> {
        Ok(crate::cluster::Clusters::new(
            self.client().await?,
            self.mesh().await?,
        ))
    }
}

/// A kubeconfig file (and context), else $KUBECONFIG / ~/.kube/config (with a context), else
/// whatever kube-rs infers (the in-cluster service account).
async fn load_config(
    path: Option<&std::path::Path>,
    context: Option<String>,
) -> anyhow::Result<kube::Config> {
    use anyhow::Context;
    let has_context = context.is_some();
    let options = kube::config::KubeConfigOptions {
        context,
        ..Default::default()
    };
    let config = match path {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .with_context(|| format!("loading kubeconfig {}", path.display()))?
        }
        None if has_context => kube::Config::from_kubeconfig(&options)
            .await
            .context("loading the kubeconfig")?,
        None => kube::Config::infer()
            .await
            .context("finding a kubeconfig or in-cluster configuration")?,
    };
    Ok(config)
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
    use std::path::PathBuf;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn kubeconfig(dir: &std::path::Path, name: &str, servers: &[(&str, &str)]) -> PathBuf {
        let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for (ctx, server) in servers {
            text += &format!("- name: {ctx}\n  cluster:\n    server: {server}\n");
        }
        text += "users:\n- name: u\n  user:\n    token: t\ncontexts:\n";
        for (ctx, _) in servers {
            text += &format!("- name: {ctx}\n  context:\n    cluster: {ctx}\n    user: u\n");
        }
        text += &format!("current-context: {}\n", servers[0].0);
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[tokio::test]
    async fn the_mesh_server_comes_from_its_own_kubeconfig_or_context() {
        let dir = tempfile::tempdir().unwrap();
        let main = kubeconfig(
            dir.path(),
            "main",
            &[
                ("data", "https://data.example:6443"),
                ("asm", "https://asm.example:6443"),
            ],
        );
        let asm = kubeconfig(
            dir.path(),
            "asm",
            &[("m", "https://user:pw@10.0.0.9:6443/")],
        );
        let cases = [
            (None, None, None),
            (
                Some(asm.clone()),
                None,
                Some("https://user:***@10.0.0.9:6443"),
            ),
            (None, Some("asm"), Some("https://asm.example:6443")),
        ];
        for (mesh_kubeconfig, mesh_context, want) in cases {
            let global = GlobalArgs {
                kubeconfig: Some(main.clone()),
                mesh_kubeconfig,
                mesh_context: mesh_context.map(str::to_string),
                ..Default::default()
            };
            let mesh = global.mesh().await.unwrap();
            assert_eq!(mesh.as_ref().map(|m| m.server.as_str()), want, "{global:?}");
        }
    }
}
