//! Sync against localkube with real Git repositories: apply, prune, drift repair, refusal of a broken
//! commit, and the rollout-owned fields surviving every pass.

use std::time::Duration;

use gitcanary::daemon::{Daemon, DaemonConfig};
use gitcanary::source::args::SourceArgs;
use gitcanary::sync::config::SourceSpec;
use serde_json::{Value, json};

use crate::common::{Cluster, configmap, eventually};
use crate::git_repo::TestRepo;

/// The seed's first state (`rollout.yaml`: blue, no analysis).
pub const SEED_FILES: &[&str] = &[
    "service.yaml",
    "istio-rollout-gateway.yaml",
    "istio-rollout-vsvc.yaml",
    "istio-success-rate.yaml",
    "rollout.yaml",
];

pub async fn with_crds() -> Cluster {
    let crds = gitcanary::cli::crds::bundled().expect("bundled CRDs");
    Cluster::start_with(localkube::Config {
        crds,
        ready_delay: Duration::from_millis(100),
        ..Default::default()
    })
    .await
}

/// A repository with the seed manifests under `deploy/`.
pub fn seed_repo() -> TestRepo {
    let repo = TestRepo::new();
    for f in SEED_FILES {
        let text = std::fs::read_to_string(crate::common::fixture(&format!("seed/{f}")))
            .expect("seed file");
        repo.write(&format!("deploy/{f}"), &text);
    }
    repo.commit("seed manifests");
    repo
}

pub fn source_args(repo: &TestRepo, cache: &std::path::Path) -> SourceArgs {
    SourceArgs {
        url: repo.url(),
        branch: "main".into(),
        path: "deploy".into(),
        interval: Duration::from_secs(3600),
        cache_dir: cache.to_path_buf(),
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
        max_manifest_bytes: 4 << 20,
        no_watch: false,
    }
}

/// The one-source configuration most tests use: source `demo`, namespace `default`, self-heal on.
pub fn demo_spec(repo: &TestRepo, cache: &std::path::Path) -> SourceSpec {
    SourceSpec::from_args(
        "demo",
        source_args(repo, cache),
        "default",
        None,
        true,
        false,
    )
}

pub async fn start_daemon(c: &Cluster, specs: Vec<SourceSpec>) -> Daemon {
    let client = c.client().await;
    let listen = "127.0.0.1:0".parse().expect("addr");
    Daemon::start(
        client,
        DaemonConfig {
            sources: specs,
            listen,
            webhook_secret: None,
            dashboard: Default::default(),
            mesh: None,
        },
    )
    .await
    .expect("daemon starts")
}

pub async fn sources_json(d: &Daemon) -> Value {
    let url = format!("http://{}/api/v1/sources", d.addr);
    let body = http_get(&url).await;
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// Minimal HTTP/1.1 GET over a TCP socket (the daemon's API is plain HTTP on loopback).
pub async fn http_get(url: &str) -> String {
    try_http_get(url)
        .await
        .unwrap_or_else(|| panic!("GET {url} failed"))
}

/// Like [`http_get`], `None` when the server is not there (yet).
pub async fn try_http_get(url: &str) -> Option<String> {
    gitcanary::cli::status::http_get(url).await.ok()
}

async fn phase(d: &Daemon) -> (String, String) {
    let j = sources_json(d).await;
    let s = &j["sources"][0];
    (
        s["phase"].as_str().unwrap_or_default().to_string(),
        s["message"].as_str().unwrap_or_default().to_string(),
    )
}

async fn exists(c: &Cluster, what: &str) -> bool {
    c.kubectl(&["get", what, "-o", "name"])
        .await
        .status
        .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_sync_add_prune_drift_refuse_and_fix() {
    let c = with_crds().await;
    let repo = seed_repo();
    let cache = tempfile::tempdir().expect("cache");
    // The daemon follows a bare repository, as it would a server's; commits are pushed to it.
    let bare_dir = tempfile::tempdir().expect("bare");
    let bare = repo.bare_clone(&bare_dir.path().join("origin.git"));
    repo.git(&["remote", "add", "origin", &bare.display().to_string()]);
    let mut args = source_args(&repo, cache.path());
    args.url = bare.display().to_string();
    let spec = SourceSpec::from_args("demo", args, "default", None, true, false);
    let d = start_daemon(&c, vec![spec]).await;
    eventually(Duration::from_secs(15), "seed objects applied", || async {
        let all = [
            "rollout/istio-rollout",
            "svc/istio-rollout-canary",
            "svc/istio-rollout-stable",
            "vs/istio-rollout-vsvc",
            "gw/istio-rollout-gateway",
            "analysistemplate/istio-success-rate",
        ];
        for w in all {
            if !exists(&c, w).await {
                return None;
            }
        }
        Some(())
    })
    .await;
    eventually(Duration::from_secs(5), "phase Synced", || async {
        (phase(&d).await.0 == "Synced").then_some(())
    })
    .await;
    let labels = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "jsonpath={.metadata.labels}",
        ])
        .await;
    assert!(
        labels.contains("gitcanary.dev/source") && labels.contains("demo"),
        "{labels}"
    );

    // A second commit adds a ConfigMap; file watching picks it up.
    repo.write("deploy/extra.yaml", &configmap("extra", &[("k", "v")]));
    repo.commit("add a ConfigMap");
    repo.git(&["push", "-q", "origin", "main"]);
    eventually(Duration::from_secs(5), "the new ConfigMap", || async {
        exists(&c, "configmap/extra").await.then_some(())
    })
    .await;

    // An unmanaged object of the same kind, then removal of the managed one: pruned, the other untouched.
    c.apply(&configmap("unmanaged", &[])).await;
    repo.remove("deploy/extra.yaml");
    repo.commit("remove the ConfigMap");
    repo.git(&["push", "-q", "origin", "main"]);
    eventually(Duration::from_secs(5), "the ConfigMap pruned", || async {
        (!exists(&c, "configmap/extra").await).then_some(())
    })
    .await;
    assert!(
        exists(&c, "configmap/unmanaged").await,
        "objects outside the inventory are never touched"
    );

    // Someone changes a synced Service's port with kubectl: reverted.
    c.ok(&[
        "patch",
        "svc",
        "istio-rollout-canary",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/ports/0/port","value":8080}]"#,
    ])
    .await;
    eventually(Duration::from_secs(5), "drift reverted", || async {
        let p = c
            .ok(&[
                "get",
                "svc",
                "istio-rollout-canary",
                "-o",
                "jsonpath={.spec.ports[0].port}",
            ])
            .await;
        (p == "80").then_some(())
    })
    .await;

    // A malformed file in a commit that also changes a good one: nothing changes, Failed names the file.
    repo.write(
        "deploy/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n",
    );
    repo.write("deploy/extra2.yaml", &configmap("extra2", &[]));
    repo.commit("a broken manifest");
    repo.git(&["push", "-q", "origin", "main"]);
    let (_, message) = eventually(Duration::from_secs(5), "phase Failed", || async {
        let (p, m) = phase(&d).await;
        (p == "Failed").then_some((p, m))
    })
    .await;
    assert!(message.contains("broken.yaml"), "{message}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !exists(&c, "configmap/extra2").await,
        "nothing of a refused commit is applied"
    );
    // The fix.
    repo.remove("deploy/broken.yaml");
    repo.commit("fix");
    repo.git(&["push", "-q", "origin", "main"]);
    eventually(Duration::from_secs(5), "Synced again", || async {
        (phase(&d).await.0 == "Synced").then_some(())
    })
    .await;
    assert!(exists(&c, "configmap/extra2").await);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_owned_fields_survive_every_sync() {
    let c = with_crds().await;
    let repo = seed_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;
    eventually(Duration::from_secs(15), "synced", || async {
        (phase(&d).await.0 == "Synced").then_some(())
    })
    .await;
    // A canary moves the weights (90/10) and pins the Service selectors, as field manager gitcanary-rollout.
    let text = std::fs::read_to_string(repo.path().join("deploy/rollout.yaml")).expect("rollout");
    repo.write(
        "deploy/rollout.yaml",
        &text.replace("rollouts-demo:blue", "rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    eventually(Duration::from_secs(15), "canary at 10%", || async {
        let w = c
            .ok(&[
                "get",
                "vs",
                "istio-rollout-vsvc",
                "-o",
                "jsonpath={.spec.http[0].route[*].weight}",
            ])
            .await;
        (w == "90 10").then_some(())
    })
    .await;
    let canary_hash = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "jsonpath={.spec.selector.rollouts-pod-template-hash}",
        ])
        .await;
    assert!(!canary_hash.is_empty());
    let managed = c
        .ok(&[
            "get",
            "vs",
            "istio-rollout-vsvc",
            "-o",
            "yaml",
            "--show-managed-fields",
        ])
        .await;
    assert!(managed.contains("manager: gitcanary-rollout"), "{managed}");
    // An unrelated commit, then a drift-triggered pass: the controller's values stay.
    repo.write("deploy/unrelated.yaml", &configmap("unrelated", &[]));
    repo.commit("unrelated change");
    eventually(Duration::from_secs(5), "unrelated applied", || async {
        exists(&c, "configmap/unrelated").await.then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let weights = c
        .ok(&[
            "get",
            "vs",
            "istio-rollout-vsvc",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ])
        .await;
    assert_eq!(weights, "90 10");
    let hash = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "jsonpath={.spec.selector.rollouts-pod-template-hash}",
        ])
        .await;
    assert_eq!(hash, canary_hash);
    let j = sources_json(&d).await;
    assert_eq!(j["sources"][0]["phase"], "Synced", "{j}");
    assert_eq!(
        j["sources"][0]["ignored"],
        json!([]),
        "controller moves are not reported: {j}"
    );
    // A commit that changes a managed weight in Git is reported as ignored, and not applied.
    let vs_text = std::fs::read_to_string(repo.path().join("deploy/istio-rollout-vsvc.yaml"))
        .expect("vs file");
    repo.write(
        "deploy/istio-rollout-vsvc.yaml",
        &vs_text.replace("weight: 100", "weight: 50"),
    );
    repo.commit("change a managed weight");
    let ignored = eventually(Duration::from_secs(5), "ignored field reported", || async {
        let j = sources_json(&d).await;
        let i = j["sources"][0]["ignored"].clone();
        i.as_array().is_some_and(|a| !a.is_empty()).then_some(i)
    })
    .await;
    assert_eq!(
        ignored[0]["field"], "spec.http[0].route[0].weight",
        "{ignored}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let weights = c
        .ok(&[
            "get",
            "vs",
            "istio-rollout-vsvc",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ])
        .await;
    assert_eq!(weights, "90 10");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_broken_source_does_not_stop_the_others() {
    let c = with_crds().await;
    let repo = seed_repo();
    let cache = tempfile::tempdir().expect("cache");
    let good = SourceSpec::from_args(
        "good",
        source_args(&repo, &cache.path().join("good")),
        "default",
        None,
        true,
        false,
    );
    let mut broken_args = source_args(&repo, &cache.path().join("broken"));
    broken_args.url = cache.path().join("no-such-repo").display().to_string();
    let broken = SourceSpec::from_args("broken", broken_args, "default", None, true, false);
    let d = start_daemon(&c, vec![broken, good]).await;
    eventually(
        Duration::from_secs(15),
        "the good source synced",
        || async {
            let j = sources_json(&d).await;
            (j["sources"][1]["phase"] == "Synced").then_some(())
        },
    )
    .await;
    let j = sources_json(&d).await;
    assert_ne!(j["sources"][0]["phase"], "Synced", "{j}");
    assert!(exists(&c, "rollout/istio-rollout").await);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_through_server_errors_and_dropped_watches() {
    let c = with_crds().await;
    let faults = &c.server.cluster().faults;
    faults.add(localkube::FaultRule {
        verb: Some("patch".into()),
        error_code: Some(500),
        every: Some(3),
        ..Default::default()
    });
    faults.add(localkube::FaultRule {
        verb: Some("get".into()),
        error_code: Some(503),
        every: Some(4),
        ..Default::default()
    });
    faults.add(localkube::FaultRule {
        verb: Some("watch".into()),
        drop_watch_after: Some(2),
        ..Default::default()
    });
    let repo = seed_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;
    eventually(Duration::from_secs(30), "synced despite faults", || async {
        (phase(&d).await.0 == "Synced").then_some(())
    })
    .await;
    repo.write("deploy/extra.yaml", &configmap("extra", &[]));
    repo.commit("more");
    eventually(
        Duration::from_secs(15),
        "second commit applied despite faults",
        || async { exists(&c, "configmap/extra").await.then_some(()) },
    )
    .await;
    // kubectl meets the injected errors too: retry it like a person would.
    eventually(
        Duration::from_secs(10),
        "kubectl patch gets through",
        || async {
            let args = [
                "patch",
                "svc",
                "istio-rollout-stable",
                "--type=json",
                "-p",
                r#"[{"op":"replace","path":"/spec/ports/0/port","value":81}]"#,
            ];
            c.kubectl(&args).await.status.success().then_some(())
        },
    )
    .await;
    eventually(
        Duration::from_secs(15),
        "drift reverted despite faults",
        || async {
            let out = c
                .kubectl(&[
                    "get",
                    "svc",
                    "istio-rollout-stable",
                    "-o",
                    "jsonpath={.spec.ports[0].port}",
                ])
                .await;
            (String::from_utf8_lossy(&out.stdout) == "80").then_some(())
        },
    )
    .await;
    d.stop().await;
}

async fn gitcanary_diff(c: &Cluster, repo: &TestRepo) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .args([
            "diff",
            "--repo",
            &repo.url(),
            "--path",
            "deploy",
            "--name",
            "demo",
        ])
        .env("KUBECONFIG", &c.kubeconfig)
        .output()
        .await
        .expect("gitcanary diff runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_what_a_sync_would_change() {
    let c = with_crds().await;
    let repo = seed_repo();
    let (code, out, err) = gitcanary_diff(&c, &repo).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("+++ git/Service/default/istio-rollout-canary"),
        "{out}"
    );
    let cache = tempfile::tempdir().expect("cache");
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;
    eventually(Duration::from_secs(15), "synced", || async {
        (phase(&d).await.0 == "Synced").then_some(())
    })
    .await;
    d.stop().await;
    let (code, out, err) = gitcanary_diff(&c, &repo).await;
    assert_eq!(code, 0, "in sync: {out}{err}");
    assert!(out.is_empty(), "{out}");
    // A Git change and a live change both show, normalized (no clusterIP, no status).
    let svc = std::fs::read_to_string(repo.path().join("deploy/service.yaml")).expect("service");
    repo.write(
        "deploy/service.yaml",
        &svc.replacen("port: 80", "port: 81", 1),
    );
    repo.write("deploy/extra.yaml", &configmap("extra", &[]));
    repo.commit("change a port, add a ConfigMap");
    let (code, out, _) = gitcanary_diff(&c, &repo).await;
    assert_eq!(code, 1);
    assert!(
        out.contains("-  - port: 80") || out.contains("-- port: 80") || out.contains("port: 80\n"),
        "{out}"
    );
    assert!(out.contains("port: 81"), "{out}");
    assert!(out.contains("+++ git/ConfigMap/default/extra"), "{out}");
    assert!(
        !out.contains("clusterIP") && !out.contains("resourceVersion"),
        "{out}"
    );
    // An object that left Git shows as removed.
    repo.remove("deploy/istio-rollout-gateway.yaml");
    repo.commit("remove the gateway");
    let (_, out, _) = gitcanary_diff(&c, &repo).await;
    assert!(
        out.contains("--- live/Gateway/default/istio-rollout-gateway"),
        "{out}"
    );
    assert!(out.contains("-kind: Gateway"), "{out}");
}
