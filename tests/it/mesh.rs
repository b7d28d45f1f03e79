//! Alibaba Cloud Service Mesh with data-plane KubeAPI access off: the Istio objects live in a second
//! API server (the mesh control plane). Two localkubes play the parts: the data plane serves the
//! Argo Rollouts kinds and runs the workloads, the mesh server serves only Istio's kinds. The daemon
//! gets the mesh server's kubeconfig and must send every Istio read and write there.

use std::time::Duration;

use gitcanary::cluster::MeshServer;
use gitcanary::daemon::{Daemon, DaemonConfig};
use serde_json::Value;

use crate::common::{Cluster, Streaming, eventually};
use crate::rollout_walkthrough::{rollout_manifest, rollout_status, wait_status, walkthrough_repo};
use crate::sync::{demo_spec, sources_json};

const ISTIO: &str = "networking.istio.io";
const VS: &str = "istio-rollout-vsvc";

/// The bundled CRDs of one API group.
fn crds_of(group: &str) -> Vec<Value> {
    gitcanary::cli::crds::bundled()
        .expect("bundled CRDs")
        .into_iter()
        .filter(|c| c.pointer("/spec/group").and_then(Value::as_str) == Some(group))
        .collect()
}

/// (data plane with the Rollout CRDs, mesh control plane with the Istio CRDs only)
async fn two_servers() -> (Cluster, Cluster) {
    let data = Cluster::start_with(localkube::Config {
        crds: crds_of("argoproj.io"),
        ready_delay: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let mesh = Cluster::start_with(localkube::Config {
        crds: crds_of(ISTIO),
        controllers: false,
        ..Default::default()
    })
    .await;
    (data, mesh)
}

async fn mesh_server(mesh: &Cluster) -> MeshServer {
    let kc = kube::config::Kubeconfig::read_from(&mesh.kubeconfig).expect("kubeconfig parses");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kube config");
    MeshServer::from_config(cfg).expect("mesh client")
}

async fn start_daemon(
    data: &Cluster,
    mesh: &Cluster,
    repo: &crate::git_repo::TestRepo,
    cache: &std::path::Path,
) -> Daemon {
    Daemon::start(
        data.client().await,
        DaemonConfig {
            sources: vec![demo_spec(repo, cache)],
            listen: "127.0.0.1:0".parse().expect("addr"),
            webhook_secret: None,
            dashboard: Default::default(),
            mesh: Some(mesh_server(mesh).await),
        },
    )
    .await
    .expect("daemon starts")
}

/// `hosts[0] weight weight` of the mesh server's VirtualService.
async fn vs_line(mesh: &Cluster) -> String {
    let out = mesh
        .kubectl(&[
            "get",
            "vs",
            VS,
            "-o",
            "jsonpath={.spec.hosts[0]} {.spec.http[0].route[*].weight}",
        ])
        .await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn source_phase(d: &Daemon) -> (String, String) {
    let j = sources_json(d).await;
    let s = &j["sources"][0];
    (
        s["phase"].as_str().unwrap_or_default().to_string(),
        s["message"].as_str().unwrap_or_default().to_string(),
    )
}

async fn names(c: &Cluster, kind: &str) -> String {
    c.ok(&["get", kind, "-o", "jsonpath={.items[*].metadata.name}"])
        .await
}

/// `gitcanary diff` (the real binary) with the mesh server's kubeconfig.
async fn gitcanary_diff(
    data: &Cluster,
    mesh: &Cluster,
    repo: &crate::git_repo::TestRepo,
) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .args(["diff", "--repo", &repo.url(), "--path", "deploy"])
        .args(["--name", "demo", "--mesh-kubeconfig"])
        .arg(&mesh.kubeconfig)
        .env("KUBECONFIG", &data.kubeconfig)
        .output()
        .await
        .expect("gitcanary diff runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_objects_live_on_the_mesh_server() {
    let (data, mesh) = two_servers().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start_daemon(&data, &mesh, &repo, cache.path()).await;

    // The first sync: each object on its own server.
    wait_status(&data, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    assert_eq!(names(&mesh, "virtualservices").await, VS);
    assert_eq!(names(&mesh, "gateways").await, "istio-rollout-gateway");
    assert_eq!(
        names(&mesh, "services").await,
        "",
        "no Service on the mesh server"
    );
    let services = names(&data, "services").await;
    assert!(
        services.contains("istio-rollout-canary") && services.contains("istio-rollout-stable"),
        "{services}"
    );
    assert!(!names(&data, "replicasets").await.is_empty());
    let err = mesh.fails(&["get", "rollouts"]).await;
    assert!(err.contains("doesn't have a resource type"), "{err}");
    // The inventory stays with the data plane and lists the mesh objects too.
    let inventory = data
        .ok(&[
            "get",
            "configmap",
            "gitcanary-inventory-demo",
            "-o",
            "jsonpath={.data.objects}",
        ])
        .await;
    assert!(
        inventory.contains("\"kind\":\"VirtualService\"")
            && inventory.contains("\"kind\":\"Gateway\""),
        "{inventory}"
    );
    assert_eq!(vs_line(&mesh).await, "* 100 0");
    let (code, out) = gitcanary_diff(&data, &mesh, &repo).await;
    assert_eq!(code, 0, "diff against both servers finds nothing: {out}");

    // A new image: the canary's weights are written on the mesh server.
    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    let s = wait_status(&data, "paused at step 1", 30, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    let yellow = s["currentPodHash"].as_str().expect("hash").to_string();
    eventually(Duration::from_secs(10), "90/10 on the mesh", || async {
        (vs_line(&mesh).await == "* 90 10").then_some(())
    })
    .await;
    // meshsim, split the same way, routes by the mesh server's weights.
    let sim = meshsim::Meshsim::start_with_mesh(
        data.client().await,
        mesh.client().await,
        meshsim::Config {
            rps: 0.0,
            ..Default::default()
        },
    )
    .await
    .expect("meshsim starts");
    sim.synced().await;
    let weights: Vec<u32> = sim
        .routes()
        .iter()
        .flat_map(|r| r.destinations.iter().map(|d| d.weight))
        .collect();
    assert_eq!(weights, vec![90, 10]);
    sim.shutdown().await;

    // Drift on the mesh server: sync restores Git's host, the controller its own weights; Git's
    // 100/0 never comes back.
    let mut watch: Streaming = mesh.spawn_kubectl(&[
        "get",
        "vs",
        VS,
        "--watch",
        "-o",
        "jsonpath={.spec.hosts[0]} {.spec.http[0].route[*].weight}{\"\\n\"}",
    ]);
    watch
        .wait_for(Duration::from_secs(10), |l| l == "* 90 10")
        .await;
    mesh.ok(&[
        "patch",
        "vs",
        VS,
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/hosts/0","value":"drift.example.com"},
            {"op":"replace","path":"/spec/http/0/route/0/weight","value":50},
            {"op":"replace","path":"/spec/http/0/route/1/weight","value":50}]"#,
    ])
    .await;
    watch
        .wait_for(Duration::from_secs(10), |l| {
            l.starts_with("drift.example.com")
        })
        .await;
    eventually(Duration::from_secs(10), "drift repaired", || async {
        (vs_line(&mesh).await == "* 90 10").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(vs_line(&mesh).await, "* 90 10");
    watch
        .wait_for(Duration::from_secs(5), |l| l == "* 90 10")
        .await;
    assert!(
        !watch.seen.iter().any(|l| l.ends_with("100 0")),
        "sync must not put Git's weights back during the canary: {:?}",
        watch.seen
    );
    assert_eq!(rollout_status(&data).await["currentStepIndex"], 1);

    // A Promote commit: the canary completes with 100/0 on the mesh server.
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Promote yellow\n\nPromote: istio-rollout",
    ]);
    wait_status(&data, "yellow Healthy", 60, |s| {
        s["phase"] == "Healthy" && s["stableRS"].as_str() == Some(yellow.as_str())
    })
    .await;
    eventually(Duration::from_secs(10), "100/0 on the mesh", || async {
        (vs_line(&mesh).await == "* 100 0").then_some(())
    })
    .await;

    // The Gateway leaves Git: pruned from the mesh server.
    repo.remove("deploy/istio-rollout-gateway.yaml");
    repo.commit("no gateway");
    eventually(Duration::from_secs(15), "gateway pruned", || async {
        names(&mesh, "gateways").await.is_empty().then_some(())
    })
    .await;
    assert_eq!(names(&mesh, "virtualservices").await, VS);

    // A VirtualService in a namespace the mesh server lacks: refused, naming server and namespace.
    repo.write(
        "deploy/shop.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n\
         apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: shop\n  namespace: shop\n\
         spec:\n  hosts: [shop]\n  http:\n  - route:\n    - destination:\n        host: shop\n",
    );
    repo.commit("a shop");
    let (_, message) = eventually(Duration::from_secs(15), "refused", || async {
        let p = source_phase(&d).await;
        (p.0 == "Failed").then_some(p)
    })
    .await;
    assert!(
        message.contains(&format!("mesh API server {}", mesh.server.url()))
            && message.contains("namespaces \"shop\" not found")
            && message.contains("create the namespace on the mesh control plane"),
        "{message}"
    );
    assert!(
        data.kubectl(&["get", "namespace", "shop"])
            .await
            .status
            .code()
            != Some(0),
        "a refused commit applies nothing"
    );
    d.stop().await;

    // Every Istio request went to the mesh server, and none about Rollouts did. (kubectl's discovery
    // asks each server only about the groups it lists, so its requests do not blur this.)
    let on_data = &data.server.cluster().requests;
    let on_mesh = &mesh.server.cluster().requests;
    assert_eq!(on_data.count(ISTIO), 0);
    assert!(on_mesh.count(ISTIO) > 0);
    assert!(on_data.count("argoproj.io") > 0);
    assert_eq!(on_mesh.count("argoproj.io"), 0);
}

async fn kubectl_at(kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(crate::common::require_tool("kubectl"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .await
        .expect("kubectl runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_can_keep_the_istio_objects_on_a_second_server() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .args(["demo", "--separate-mesh", "--listen", "127.0.0.1:0"])
        .args(["--mesh-listen", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("demo starts");
    let (main, mesh) = (
        dir.path().join("kubeconfig"),
        dir.path().join("mesh-kubeconfig"),
    );
    eventually(
        Duration::from_secs(30),
        "the VirtualService on the mesh server",
        || async {
            let out = kubectl_at(&mesh, &["get", "vs", VS, "-o", "name"]).await;
            out.status.success().then_some(())
        },
    )
    .await;
    eventually(
        Duration::from_secs(30),
        "the demo's rollout Healthy",
        || async {
            let out = kubectl_at(&main, &["get", "rollout", "istio-rollout", "-o", "json"]).await;
            let v: Value = serde_json::from_slice(&out.stdout).ok()?;
            (v["status"]["phase"] == "Healthy").then_some(())
        },
    )
    .await;
    let out = kubectl_at(&main, &["get", "virtualservices"]).await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("doesn't have a resource type"),
        "the main server serves no Istio kinds: {out:?}"
    );
    let pid = child.id().expect("pid");
    let _ = tokio::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .await;
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stops")
        .expect("exit status");
    assert!(status.success(), "{status:?}");
}
