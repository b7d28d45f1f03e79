//! The seed walk-through end to end: localkube, a real Git repository, the daemon. Blue is stable,
//! a commit changes the image to yellow, the canary pauses at 10%, a `Promote:` commit approves it,
//! the timed pauses (shortened to 1s in this copy) take it to 100%.

use std::time::Duration;

use gitcanary::sync::config::SourceSpec;
use serde_json::Value;

use crate::common::{Cluster, eventually};
use crate::git_repo::TestRepo;
use crate::sync::{demo_spec, source_args, start_daemon, with_crds};

/// The seed's first state with pauses shortened and the old stable kept 2s instead of 30s.
pub fn walkthrough_repo() -> TestRepo {
    let repo = TestRepo::new();
    for f in [
        "service.yaml",
        "istio-rollout-gateway.yaml",
        "istio-rollout-vsvc.yaml",
        "istio-success-rate.yaml",
    ] {
        let text = std::fs::read_to_string(crate::common::fixture(&format!("seed/{f}")))
            .expect("seed file");
        repo.write(&format!("deploy/{f}"), &text);
    }
    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:blue"),
    );
    repo.commit("seed manifests");
    repo
}

pub fn rollout_manifest(image: &str) -> String {
    std::fs::read_to_string(crate::common::fixture("seed/rollout.yaml"))
        .expect("seed rollout")
        .replace("argoproj/rollouts-demo:blue", image)
        .replace("{duration: 20s}", "{duration: 1s}")
        .replace(
            "      canaryService: istio-rollout-canary",
            "      scaleDownDelaySeconds: 2\n      canaryService: istio-rollout-canary",
        )
}

pub async fn rollout_status(c: &Cluster) -> Value {
    let out = c
        .kubectl(&["get", "rollout", "istio-rollout", "-o", "json"])
        .await;
    serde_json::from_slice::<Value>(&out.stdout)
        .map(|v| v["status"].clone())
        .unwrap_or(Value::Null)
}

pub async fn weights(c: &Cluster) -> String {
    let out = c
        .kubectl(&[
            "get",
            "vs",
            "istio-rollout-vsvc",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ])
        .await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until the ReplicaSet of a pod hash is scaled to zero.
pub async fn wait_scaled_down(c: &Cluster, hash: &str, what: &str, secs: u64) {
    eventually(Duration::from_secs(secs), what, || async {
        let r = c
            .ok(&[
                "get",
                "rs",
                &format!("istio-rollout-{hash}"),
                "-o",
                "jsonpath={.spec.replicas}",
            ])
            .await;
        (r == "0").then_some(())
    })
    .await;
}

/// The AnalysisRuns in the default namespace, as JSON.
pub async fn analysis_runs(c: &Cluster) -> Vec<Value> {
    let out = c.ok(&["get", "analysisruns", "-o", "json"]).await;
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default()
}

pub async fn wait_status(
    c: &Cluster,
    what: &str,
    secs: u64,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    eventually(Duration::from_secs(secs), what, || async {
        let s = rollout_status(c).await;
        pred(&s).then_some(s)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_to_yellow_with_a_promote_commit() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;

    // Initial deploy: straight to stable, Healthy at step 18/18.
    let s = wait_status(&c, "blue Healthy", 20, |s| s["phase"] == "Healthy").await;
    assert_eq!(s["currentStepIndex"], 18, "{s}");
    assert_eq!(s["stableRS"], s["currentPodHash"], "{s}");
    let blue_hash = s["stableRS"].as_str().expect("stableRS").to_string();
    let view = get_rollout(&c).await;
    let header: Vec<&str> = view.lines().take(14).collect();
    assert_eq!(
        header,
        vec![
            "Name:            istio-rollout",
            "Namespace:       default",
            "Status:          ✔ Healthy",
            "Strategy:        Canary",
            "  Step:          18/18",
            "  SetWeight:     100",
            "  ActualWeight:  100",
            "Images:          argoproj/rollouts-demo:blue (stable)",
            "Replicas:",
            "  Desired:       1",
            "  Current:       1",
            "  Updated:       1",
            "  Ready:         1",
            "  Available:     1",
        ],
        "{view}"
    );
    let tree: Vec<String> = view.lines().skip(15).map(squash).collect();
    assert_eq!(tree[0], "NAME KIND STATUS AGE INFO", "{view}");
    assert_eq!(tree[1], "⟳ istio-rollout Rollout ✔ Healthy <age>", "{view}");
    assert_eq!(tree[2], "└──# revision:1", "{view}");
    assert_eq!(
        tree[3],
        format!("└──⧉ istio-rollout-{blue_hash} ReplicaSet ✔ Healthy <age> stable"),
        "{view}"
    );
    assert!(
        tree[4].starts_with(&format!("└──□ istio-rollout-{blue_hash}-"))
            && tree[4].ends_with("Pod ✔ Running <age> ready:1/1"),
        "{view}"
    );

    // A commit changes the image: canary ReplicaSet, 90/10, paused at step 1.
    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    let s = wait_status(&c, "paused at the first pause", 20, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    assert_eq!(s["pauseConditions"][0]["reason"], "CanaryPauseStep", "{s}");
    assert_eq!(weights(&c).await, "90 10");
    let yellow_hash = s["currentPodHash"]
        .as_str()
        .expect("currentPodHash")
        .to_string();
    assert_ne!(yellow_hash, blue_hash);
    let canary_sel = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "jsonpath={.spec.selector.rollouts-pod-template-hash}",
        ])
        .await;
    assert_eq!(canary_sel, yellow_hash);

    // It stays paused without an approval.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rollout_status(&c).await["currentStepIndex"], 1);

    // A Promote commit approves the pause; the timed pauses run out; yellow becomes stable.
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Promote the yellow canary\n\nPromote: istio-rollout",
    ]);
    let s = wait_status(&c, "yellow Healthy", 60, |s| {
        s["phase"] == "Healthy" && s["stableRS"].as_str() == Some(yellow_hash.as_str())
    })
    .await;
    assert_eq!(s["currentStepIndex"], 18, "{s}");
    assert_eq!(weights(&c).await, "100 0");
    let stable_sel = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-stable",
            "-o",
            "jsonpath={.spec.selector.rollouts-pod-template-hash}",
        ])
        .await;
    assert_eq!(stable_sel, yellow_hash);
    let approvals = &s["gitcanary"]["approvals"];
    assert_eq!(approvals.as_array().map(Vec::len), Some(1), "{s}");
    // The blue ReplicaSet is scaled to zero after the delay.
    wait_scaled_down(&c, &blue_hash, "blue scaled down", 10).await;
    d.stop().await;
}

/// `gitcanary get rollout istio-rollout`, run as a user would.
pub async fn get_rollout(c: &Cluster) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .args(["get", "rollout", "istio-rollout"])
        .env("KUBECONFIG", &c.kubeconfig)
        .output()
        .await
        .expect("gitcanary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Collapses runs of spaces and replaces ages (`12s`, `3m`) so tree lines compare exactly.
fn squash(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            if w.len() <= 4
                && w.ends_with(['s', 'm', 'h', 'd'])
                && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit())
                && w.len() > 1
            {
                "<age>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("   └──", "└──")
}

async fn gitcanary(c: &Cluster, args: &[&str]) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .args(args)
        .env("KUBECONFIG", &c.kubeconfig)
        .output()
        .await
        .expect("gitcanary runs");
    assert!(
        out.status.success(),
        "gitcanary {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotations_restarts_new_images_abort_retry_and_the_argo_plugin_patch() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;
    wait_status(&c, "blue Healthy", 20, |s| s["phase"] == "Healthy").await;

    // An approval committed before the canary exists must not approve it later.
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "too early\n\nPromote: istio-rollout",
    ]);
    // set-image through the CLI: a commit that edits the manifest in place.
    let repo_path = repo.path().display().to_string();
    gitcanary(
        &c,
        &[
            "set-image",
            "istio-rollout",
            "istio-rollout=argoproj/rollouts-demo:yellow",
            "--repo",
            &repo_path,
            "--path",
            "deploy",
        ],
    )
    .await;
    let manifest =
        std::fs::read_to_string(repo.path().join("deploy/rollout.yaml")).expect("manifest");
    assert!(
        manifest.contains("image: argoproj/rollouts-demo:yellow"),
        "{manifest}"
    );
    let s = wait_status(&c, "paused at step 1", 20, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        rollout_status(&c).await["currentStepIndex"],
        1,
        "the early Promote did not count"
    );
    let yellow = s["currentPodHash"].as_str().expect("hash").to_string();

    // Restart the daemon while paused: same step, same weight, no approval replayed.
    d.stop().await;
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = rollout_status(&c).await;
    assert_eq!(
        (s["currentStepIndex"].clone(), s["phase"].clone()),
        (1.into(), "Paused".into()),
        "{s}"
    );
    assert_eq!(weights(&c).await, "90 10");

    // Promote by annotation (gitcanary promote); consumed once acted on.
    gitcanary(&c, &["promote", "istio-rollout"]).await;
    wait_status(&c, "past the manual pause", 10, |s| {
        s["currentStepIndex"].as_i64().is_some_and(|i| i >= 2)
    })
    .await;
    let ann = c
        .ok(&[
            "get",
            "rollout",
            "istio-rollout",
            "-o",
            "jsonpath={.metadata.annotations}",
        ])
        .await;
    assert!(
        !ann.contains("gitcanary.dev/promote"),
        "the annotation is consumed: {ann}"
    );

    // Restart mid-way through the timed pauses: it carries on from where it was.
    wait_status(&c, "at 40%", 20, |s| {
        s["currentStepIndex"].as_i64().is_some_and(|i| i >= 6)
    })
    .await;
    d.stop().await;
    let before = rollout_status(&c).await["currentStepIndex"]
        .as_i64()
        .unwrap_or(0);
    let d = start_daemon(&c, vec![demo_spec(&repo, cache.path())]).await;
    let s = wait_status(&c, "progressing after the restart", 20, |s| {
        s["currentStepIndex"].as_i64().is_some_and(|i| i > before)
    })
    .await;
    assert_eq!(s["currentPodHash"], yellow.as_str());

    // Abort: weight back to 0, canary Service on the stable hash, Degraded with Argo's message.
    gitcanary(&c, &["abort", "istio-rollout"]).await;
    let s = wait_status(&c, "aborted", 10, |s| s["phase"] == "Degraded").await;
    assert!(
        s["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("RolloutAborted: Rollout aborted update to revision 2")),
        "{s}"
    );
    assert_eq!(weights(&c).await, "100 0");
    let canary_sel = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "jsonpath={.spec.selector.rollouts-pod-template-hash}",
        ])
        .await;
    assert_eq!(canary_sel, s["stableRS"].as_str().unwrap_or_default());
    // Retry: back to step 0, paused again at the manual pause.
    gitcanary(&c, &["retry", "istio-rollout"]).await;
    wait_status(&c, "retried and paused", 20, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;

    // The Argo kubectl plugin's promote: a status patch clearing the pause conditions.
    c.ok(&[
        "patch",
        "rollout",
        "istio-rollout",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"pauseConditions":null}}"#,
    ])
    .await;
    wait_status(&c, "the plugin's promote honoured", 10, |s| {
        s["currentStepIndex"].as_i64().is_some_and(|i| i >= 2)
    })
    .await;

    // A new image mid-rollout: a new canary at step 0, the superseded one scaled down.
    let text = std::fs::read_to_string(repo.path().join("deploy/rollout.yaml")).expect("manifest");
    repo.write(
        "deploy/rollout.yaml",
        &text.replace("rollouts-demo:yellow", "rollouts-demo:orange"),
    );
    repo.commit("orange");
    let s = wait_status(&c, "orange canary paused", 20, |s| {
        s["phase"] == "Paused"
            && s["currentStepIndex"] == 1
            && s["currentPodHash"] != yellow.as_str()
    })
    .await;
    assert_ne!(s["currentPodHash"], s["stableRS"]);
    wait_scaled_down(&c, &yellow, "the superseded yellow canary scaled down", 10).await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_signers_configured_only_signed_approvals_count() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    let signer = crate::git_signing::SshSigner::new("release-manager@example.com");
    let allowed = cache.path().join("allowed_signers");
    std::fs::write(&allowed, signer.allowed_signers_line()).expect("allowed signers");
    let mut args = source_args(&repo, &cache.path().join("mirror"));
    args.allowed_signers = Some(allowed);
    let d = start_daemon(
        &c,
        vec![SourceSpec::from_args(
            "demo", args, "default", None, true, false,
        )],
    )
    .await;
    wait_status(&c, "blue Healthy", 20, |s| s["phase"] == "Healthy").await;
    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    wait_status(&c, "paused", 20, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    // Unsigned: refused, reported, not acted on.
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "unsigned approval\n\nPromote: istio-rollout",
    ]);
    let reason = eventually(Duration::from_secs(10), "a rejection event", || async {
        let ev = c
            .ok(&[
                "get",
                "events.events.k8s.io",
                "-o",
                "jsonpath={range .items[*]}{.reason}: {.note}{\"\\n\"}{end}",
            ])
            .await;
        ev.lines()
            .find(|l| {
                l.contains("unsigned approval")
                    || l.to_lowercase().contains("rejected")
                    || l.to_lowercase().contains("not signed")
            })
            .map(str::to_string)
    })
    .await;
    assert!(!reason.is_empty());
    assert_eq!(
        rollout_status(&c).await["currentStepIndex"],
        1,
        "an unsigned approval does not promote"
    );
    // Signed by an allowed signer: promotes.
    signer.commit(repo.path(), "signed approval\n\nPromote: istio-rollout");
    wait_status(&c, "promoted by the signed commit", 20, |s| {
        s["currentStepIndex"].as_i64().is_some_and(|i| i >= 2)
    })
    .await;
    let s = rollout_status(&c).await;
    let approvals = s["gitcanary"]["approvals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(approvals.len(), 1, "{s}");
    assert!(
        approvals[0]["signer"]
            .as_str()
            .is_some_and(|x| x.contains("release-manager@example.com")),
        "{s}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_command_starts_everything_and_stops_on_ctrl_c() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().expect("dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--mesh-listen",
            "127.0.0.1:0",
            "--dir",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("demo starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(l)) = lines.next_line().await {
            printed.push_str(&l);
            printed.push('\n');
            if l.starts_with("Ctrl-C") {
                break;
            }
        }
    })
    .await;
    for want in [
        "dashboard:",
        "daemon API:",
        "colour grid:",
        "kubeconfig:",
        "repository:",
        "gitcanary set-image istio-rollout",
        "Promote: istio-rollout",
    ] {
        assert!(printed.contains(want), "missing {want:?} in:\n{printed}");
    }
    let kubeconfig = dir.path().join("kubeconfig");
    eventually(
        Duration::from_secs(30),
        "the demo's rollout Healthy",
        || async {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
                .args(["get", "rollout", "istio-rollout"])
                .env("KUBECONFIG", &kubeconfig)
                .output()
                .await
                .ok()?;
            String::from_utf8_lossy(&out.stdout)
                .contains("✔ Healthy")
                .then_some(())
        },
    )
    .await;
    assert!(dir.path().join("repo/deploy/rollout.yaml").is_file());
    // The dashboard shows meshsim's grid, fetched through the daemon.
    let dashboard = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("dashboard:"))
        .map(|u| u.trim().to_string())
        .expect("the dashboard's address");
    let info = crate::sync::http_get(&format!("{dashboard}api/v1/dashboard")).await;
    assert!(info.contains(r#""mesh":true"#), "{info}");
    let state = crate::sync::http_get(&format!("{dashboard}mesh/api/state")).await;
    assert!(state.contains("istio-rollout-vsvc"), "{state}");
    // Ctrl-C stops it cleanly.
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
