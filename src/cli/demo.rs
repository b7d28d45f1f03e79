//! `gitcanary demo`: the seed walk-through on this machine, with no cluster. Starts localkube (CRDs
//! installed), a Git repository made from `example-repo/`, meshsim (the data plane and colour grid), a
//! real Prometheus when one is installed, and the daemon; prints what to try next. With
//! `--separate-mesh`, a second localkube plays the ASM control plane that holds the Istio objects.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cluster::{Cluster, MeshServer};
use crate::daemon::{Daemon, DaemonConfig};
use crate::source::args::SourceArgs;
use crate::sync::config::SourceSpec;

/// The example repository, embedded so the demo runs from the binary alone.
const EXAMPLE: &[(&str, &str)] = &[
    (
        "deploy/service.yaml",
        include_str!("../../example-repo/deploy/service.yaml"),
    ),
    (
        "deploy/istio-rollout-gateway.yaml",
        include_str!("../../example-repo/deploy/istio-rollout-gateway.yaml"),
    ),
    (
        "deploy/istio-rollout-vsvc.yaml",
        include_str!("../../example-repo/deploy/istio-rollout-vsvc.yaml"),
    ),
    (
        "deploy/istio-success-rate.yaml",
        include_str!("../../example-repo/deploy/istio-success-rate.yaml"),
    ),
    (
        "deploy/rollout.yaml",
        include_str!("../../example-repo/deploy/rollout.yaml"),
    ),
    (
        "with-analysis/rollout.yaml",
        include_str!("../../example-repo/with-analysis/rollout.yaml"),
    ),
    ("README.md", include_str!("../../example-repo/README.md")),
];

/// Run the seed walk-through locally: API server, Git repository, data plane, Prometheus, daemon.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the daemon serves its dashboard and API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where meshsim serves the colour grid and its metrics.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub mesh_listen: SocketAddr,
    /// Keep everything here (kubeconfig, repo, logs) instead of a temporary directory.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Do not remove the temporary directory on exit.
    #[arg(long)]
    pub keep: bool,
    /// Keep the Istio objects in a second localkube, as Alibaba Cloud Service Mesh does with
    /// data-plane KubeAPI access off (its kubeconfig: `DIR/mesh-kubeconfig`).
    #[arg(long)]
    pub separate_mesh: bool,
}

/// Writes the example repository (Prometheus address filled in) and commits it on `main`.
pub fn make_repo(dir: &Path, prometheus: &str) -> anyhow::Result<()> {
    for (rel, text) in EXAMPLE {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text.replace("PROMETHEUS_ADDRESS", prometheus))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let repo =
        git2::Repository::init_opts(dir, git2::RepositoryInitOptions::new().initial_head("main"))
            .with_context(|| format!("creating a Git repository in {}", dir.display()))?;
    let mut index = repo.index()?;
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = git2::Signature::now("gitcanary demo", "demo@gitcanary.invalid")?;
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "The seed walk-through: istio-rollout, blue",
        &tree,
        &[],
    )?;
    Ok(())
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let DemoArgs {
        listen,
        mesh_listen,
        dir,
        keep,
        separate_mesh,
    } = args;
    let (dir, _temp) = match dir {
        Some(d) => {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            (d, None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("gitcanary-demo-")
                .tempdir()?;
            let path = t.path().to_path_buf();
            (path, if keep { None } else { Some(t) })
        }
    };
    let repo_dir = dir.join("repo");
    if repo_dir.exists() {
        bail!(
            "{} already exists; give another --dir or remove it",
            repo_dir.display()
        );
    }
    let (mesh_crds, crds): (Vec<_>, Vec<_>) =
        crate::cli::crds::bundled()?.into_iter().partition(|crd| {
            let group = crd.pointer("/spec/group").and_then(|g| g.as_str());
            separate_mesh && group.map(crate::cluster::cluster_of) == Some(Cluster::Mesh)
        });
    let server = localkube::LocalKube::start(localkube::Config {
        crds,
        ready_delay: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .context("starting localkube")?;
    let kubeconfig = dir.join("kubeconfig");
    server
        .write_kubeconfig(&kubeconfig)
        .context("writing the kubeconfig")?;
    let client = kube::Client::try_from(config_of(&kubeconfig).await?)?;
    let mesh_kubeconfig = dir.join("mesh-kubeconfig");
    let mesh_server = if separate_mesh {
        let server = localkube::LocalKube::start(localkube::Config {
            crds: mesh_crds,
            controllers: false,
            ..Default::default()
        })
        .await
        .context("starting the mesh control plane's localkube")?;
        server
            .write_kubeconfig(&mesh_kubeconfig)
            .context("writing the mesh kubeconfig")?;
        let mesh = MeshServer::from_config(config_of(&mesh_kubeconfig).await?)?;
        Some((server, mesh))
    } else {
        None
    };
    let mesh_client = mesh_server
        .as_ref()
        .map_or_else(|| client.clone(), |(_, m)| m.client.clone());
    let mesh = meshsim::Meshsim::start_with_mesh(
        client.clone(),
        mesh_client,
        meshsim::Config {
            listen: mesh_listen,
            ..Default::default()
        },
    )
    .await
    .context("starting meshsim")?;
    let prometheus = super::prometheus::Prometheus::start(&dir, &[mesh.addr()]).await?;
    let prom_address = match &prometheus {
        Some(p) => format!("127.0.0.1:{}", p.port),
        None => {
            eprintln!(
                "\n!!! prometheus is not installed: analysis cannot measure anything in this demo."
            );
            eprintln!(
                "!!! Install it (Debian: apt-get install prometheus) to see a bad canary rolled back.\n"
            );
            "127.0.0.1:9".to_string()
        }
    };
    make_repo(&repo_dir, &prom_address)?;
    let source = SourceArgs {
        url: repo_dir.display().to_string(),
        branch: "main".into(),
        path: "deploy".into(),
        interval: Duration::from_secs(30),
        cache_dir: dir.join("cache"),
        git_username: None,
        git_password: None,
        git_password_file: None,
        git_token: None,
        git_token_file: None,
        ssh_key_file: None,
        ssh_key_passphrase_file: None,
        ssh_known_hosts: None,
        allowed_signers: None,
        allowed_pgp_keys: vec![],
        max_manifest_bytes: crate::source::manifest::DEFAULT_MAX_FILE_BYTES,
        no_watch: false,
    };
    let spec = SourceSpec::from_args("demo", source, "default", None, true, false);
    let daemon = Daemon::start(
        client,
        DaemonConfig {
            sources: vec![spec],
            listen,
            webhook_secret: None,
            dashboard: crate::web::DashboardConfig {
                token: None,
                mesh_ui: Some(
                    url::Url::parse(&format!("{}/", mesh.url())).context("meshsim's URL")?,
                ),
            },
            mesh: mesh_server.as_ref().map(|(_, m)| m.clone()),
        },
    )
    .await?;
    let kc = kubeconfig.display();
    let repo = repo_dir.display();
    println!(
        "\ngitcanary demo is running.\n\n  dashboard:    http://{}/\n  daemon API:   http://{0}/api/v1/sources\n  colour grid:  {}/  (meshsim; metrics at /metrics)\n  prometheus:   {}\n  kubeconfig:   {kc}\n  repository:   {repo}  (branch main, manifests in deploy/)\n\nTry next:\n  export KUBECONFIG={kc}\n  gitcanary get rollout istio-rollout --watch\n  gitcanary set-image istio-rollout istio-rollout=argoproj/rollouts-demo:yellow --repo {repo} --path deploy\n  git -C {repo} commit --allow-empty -m 'Ship yellow' -m 'Promote: istio-rollout'     # approve the pause by commit\n  gitcanary promote istio-rollout                                                         # … or by annotation\n  cp {repo}/with-analysis/rollout.yaml {repo}/deploy/rollout.yaml && git -C {repo} commit -qam 'Judge canaries with Prometheus'\n  gitcanary set-image istio-rollout istio-rollout=argoproj/rollouts-demo:orange --repo {repo} --path deploy\n  curl -s -X POST {}/error-rate -H 'Content-Type: application/json' -d '{{\"image\":\"argoproj/rollouts-demo:orange\",\"rate\":0.5}}'   # watch analysis roll it back\n\nCtrl-C stops everything{}.",
        daemon.addr,
        mesh.url(),
        prometheus
            .as_ref()
            .map(|p| p.address())
            .unwrap_or_else(|| "not installed (analysis unavailable)".into()),
        mesh.url(),
        if _temp.is_some() {
            " and removes the temporary directory"
        } else {
            ""
        },
    );
    if mesh_server.is_some() {
        println!(
            "\nThe Istio objects live in a second API server (the mesh control plane, as in ASM):\n  kubectl --kubeconfig {} get virtualservices --watch\n  (gitcanary run/diff/meshsim take it as --mesh-kubeconfig {})",
            mesh_kubeconfig.display(),
            mesh_kubeconfig.display(),
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    daemon.stop().await;
    mesh.shutdown().await;
    if let Some(p) = prometheus {
        p.stop().await;
    }
    if let Some((s, _)) = mesh_server {
        s.shutdown().await;
    }
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn config_of(kubeconfig: &Path) -> anyhow::Result<kube::Config> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    Ok(kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_repository_is_valid_and_names_its_prometheus() {
        let dir = tempfile::tempdir().unwrap();
        make_repo(dir.path(), "127.0.0.1:9999").unwrap();
        let (objects, problems) = crate::cli::validate::check_dir(
            &dir.path().join("deploy"),
            crate::source::Limits::default(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(objects.len(), 6);
        let template =
            std::fs::read_to_string(dir.path().join("deploy/istio-success-rate.yaml")).unwrap();
        assert!(
            template.contains("http://127.0.0.1:9999/api/v1/prometheus/"),
            "{template}"
        );
        let repo = git2::Repository::open(dir.path()).unwrap();
        assert_eq!(repo.head().unwrap().shorthand(), Some("main"));
        // The second step of the walk-through: the Rollout with analysis replaces the first one.
        std::fs::copy(
            dir.path().join("with-analysis/rollout.yaml"),
            dir.path().join("deploy/rollout.yaml"),
        )
        .unwrap();
        let (with, problems) = crate::cli::validate::check_dir(
            &dir.path().join("deploy"),
            crate::source::Limits::default(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            crate::cli::validate::analysis_warnings(&with).is_empty(),
            "the demo corrects the seed's service argument"
        );
    }
}
