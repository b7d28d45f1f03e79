//! Two `gitcanary run --leader-elect` processes against one localkube and one Git repository: one
//! leads, the other stands by without writing, and takes over — when the leader is killed, once the
//! Lease expires; when it is stopped cleanly, at once — with the canary where the first one left it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncBufReadExt;

use crate::common::{Cluster, eventually};
use crate::rollout_walkthrough::{
    rollout_manifest, rollout_status, wait_status, walkthrough_repo, weights,
};
use crate::sync::{try_http_get, with_crds};

/// `gitcanary run` as a child process with its own identity, cache and log file.
struct Replica {
    identity: String,
    child: tokio::process::Child,
    url: String,
    log: PathBuf,
}

impl Replica {
    async fn start(
        c: &Cluster,
        repo: &std::path::Path,
        dir: &std::path::Path,
        identity: &str,
        timing: &[&str],
    ) -> Replica {
        let log = dir.join(format!("{identity}.log"));
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitcanary"))
            .args(["--kubeconfig", &c.kubeconfig.display().to_string()])
            .args(["-n", "default", "run", "--name", "demo"])
            .args(["--repo", &repo.display().to_string(), "--path", "deploy"])
            .args(if timing.contains(&"--interval") {
                &[][..]
            } else {
                &["--interval", "1s"][..]
            })
            .args(["--listen", "127.0.0.1:0"])
            .arg("--cache-dir")
            .arg(dir.join(format!("cache-{identity}")))
            .arg("--leader-elect")
            .args(timing)
            .env("POD_NAME", identity)
            .env("GITCANARY_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("gitcanary run starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
            .unwrap_or_default();
        let url = first
            .strip_prefix("gitcanary listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "{identity} did not start: {first:?}\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_string();
        Replica {
            identity: identity.into(),
            child,
            url,
            log,
        }
    }

    /// The value of an unlabelled metric, `None` if the series is absent.
    async fn metric(&self, name: &str) -> Option<f64> {
        let text = try_http_get(&format!("{}/metrics", self.url)).await?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }

    /// Whether any sync pass has run in this process (a standby must have run none).
    async fn synced_any(&self) -> bool {
        let text = try_http_get(&format!("{}/metrics", self.url))
            .await
            .unwrap_or_default();
        text.lines()
            .any(|l| l.starts_with("gitcanary_sync_results_total{"))
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn signal(&self, sig: &str) {
        let pid = self.child.id().expect("still running");
        let status = tokio::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .await
            .expect("kill runs");
        assert!(status.success(), "kill {sig} {pid}");
    }
}

/// The Lease's spec, `Null` while there is none.
async fn lease(c: &Cluster) -> Value {
    let out = c
        .kubectl(&["get", "lease", "gitcanary", "-o", "json"])
        .await;
    serde_json::from_slice::<Value>(&out.stdout)
        .map(|v| v["spec"].clone())
        .unwrap_or(Value::Null)
}

async fn holder(c: &Cluster) -> Option<String> {
    lease(c).await["holderIdentity"]
        .as_str()
        .map(str::to_string)
}

/// Starts two replicas at once and returns (leader, standby) once one holds the Lease and reports
/// leading, and the other reports standing by.
async fn two_replicas(
    c: &Cluster,
    repo: &std::path::Path,
    dir: &std::path::Path,
    timing: &[&str],
) -> (Replica, Replica) {
    let (a, b) = tokio::join!(
        Replica::start(c, repo, dir, "replica-a", timing),
        Replica::start(c, repo, dir, "replica-b", timing),
    );
    let leader = eventually(Duration::from_secs(20), "a Lease holder", || async {
        holder(c).await
    })
    .await;
    let (leader, standby) = match leader.as_str() {
        "replica-a" => (a, b),
        "replica-b" => (b, a),
        other => panic!("the Lease names {other:?}, neither replica"),
    };
    eventually(Duration::from_secs(10), "leader's metric 1", || async {
        (leader.metric("gitcanary_leader").await == Some(1.0)).then_some(())
    })
    .await;
    eventually(Duration::from_secs(10), "standby's metric 0", || async {
        (standby.metric("gitcanary_leader").await == Some(0.0)).then_some(())
    })
    .await;
    (leader, standby)
}

/// The standby serves probes and the API, reports standing by, and has synced nothing.
async fn assert_standing_by(standby: &Replica, leader: &Replica) {
    assert_eq!(
        standby.metric("gitcanary_leader").await,
        Some(0.0),
        "{}",
        standby.logs()
    );
    assert!(
        !standby.synced_any().await,
        "the standby ran a sync pass:\n{}",
        standby.logs()
    );
    let ready = try_http_get(&format!("{}/readyz", standby.url))
        .await
        .unwrap_or_default();
    assert!(ready.contains("standing by"), "{ready}");
    let api = try_http_get(&format!("{}/api/v1/sources", standby.url))
        .await
        .unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Value>(&api).unwrap_or_default()["sources"],
        serde_json::json!([]),
        "{api}"
    );
    let logs = standby.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("another replica leads; standing by"))
        .unwrap_or_else(|| panic!("no standby line in:\n{logs}"));
    assert!(line.contains(&leader.identity), "{line}");
}

const FAST: &[&str] = &[
    "--lease-duration",
    "3s",
    "--renew-deadline",
    "2s",
    "--retry-period",
    "500ms",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_leader_is_replaced_within_the_lease_and_the_canary_continues() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let dir = tempfile::tempdir().expect("dir");
    let (mut leader, standby) = two_replicas(&c, repo.path(), dir.path(), FAST).await;

    wait_status(&c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    let paused = wait_status(&c, "paused at the first pause", 30, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    assert_eq!(weights(&c).await, "90 10");
    assert_standing_by(&standby, &leader).await;
    let before = lease(&c).await;
    assert_eq!(
        before["holderIdentity"],
        leader.identity.as_str(),
        "{before}"
    );
    let transitions = before["leaseTransitions"].as_i64().unwrap_or(0);

    // SIGKILL: no release, the standby must wait for the Lease to expire (3s) and take it.
    leader.child.start_kill().expect("kill the leader");
    let _ = leader.child.wait().await;
    eventually(
        Duration::from_secs(5),
        "the standby holding the Lease within its duration",
        || async { (holder(&c).await.as_deref() == Some(standby.identity.as_str())).then_some(()) },
    )
    .await;
    let after = lease(&c).await;
    assert_eq!(
        after["leaseTransitions"].as_i64(),
        Some(transitions + 1),
        "{after}"
    );
    eventually(Duration::from_secs(5), "new leader's metric 1", || async {
        (standby.metric("gitcanary_leader").await == Some(1.0)).then_some(())
    })
    .await;
    // The new leader syncs (its readiness waits for that), then finds the canary where it was.
    eventually(Duration::from_secs(20), "new leader ready", || async {
        let r = try_http_get(&format!("{}/readyz", standby.url)).await?;
        (r == "ok").then_some(())
    })
    .await;
    assert!(standby.synced_any().await, "{}", standby.logs());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = rollout_status(&c).await;
    assert_eq!(s["phase"], "Paused", "{s}");
    assert_eq!(s["currentStepIndex"], 1, "{s}");
    assert_eq!(s["currentPodHash"], paused["currentPodHash"], "{s}");
    assert_eq!(s["stableRS"], paused["stableRS"], "{s}");
    assert_eq!(
        s["gitcanary"]["approvals"], paused["gitcanary"]["approvals"],
        "{s}"
    );
    assert_eq!(weights(&c).await, "90 10");

    // The new leader acts on the next approval.
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Promote the yellow canary\n\nPromote: istio-rollout",
    ]);
    let yellow = paused["currentPodHash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let s = wait_status(&c, "yellow Healthy on the new leader", 60, |s| {
        s["phase"] == "Healthy" && s["stableRS"].as_str() == Some(yellow.as_str())
    })
    .await;
    assert_eq!(
        s["gitcanary"]["approvals"].as_array().map(Vec::len),
        Some(1),
        "{s}"
    );
    assert_eq!(weights(&c).await, "100 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_stopped_cleanly_hands_the_lease_over_at_once() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let dir = tempfile::tempdir().expect("dir");
    // A Lease of 20s: a takeover within 5s can only come from the release.
    let timing = [
        "--lease-duration",
        "20s",
        "--renew-deadline",
        "10s",
        "--retry-period",
        "500ms",
    ];
    let (mut leader, standby) = two_replicas(&c, repo.path(), dir.path(), &timing).await;
    wait_status(&c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    assert_standing_by(&standby, &leader).await;

    leader.signal("-TERM").await;
    eventually(
        Duration::from_secs(5),
        "the standby holding the Lease long before it would expire",
        || async { (holder(&c).await.as_deref() == Some(standby.identity.as_str())).then_some(()) },
    )
    .await;
    let status = tokio::time::timeout(Duration::from_secs(20), leader.child.wait())
        .await
        .expect("the old leader exits")
        .expect("exit status");
    assert!(status.success(), "{status:?}\n{}", leader.logs());
    assert!(
        leader.logs().contains("released the leader Lease"),
        "{}",
        leader.logs()
    );
    eventually(Duration::from_secs(20), "new leader synced", || async {
        standby.synced_any().await.then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_lease_is_taken_stops_and_exits_with_an_error() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let dir = tempfile::tempdir().expect("dir");
    let mut only = Replica::start(&c, repo.path(), dir.path(), "replica-a", FAST).await;
    eventually(Duration::from_secs(20), "leading", || async {
        (only.metric("gitcanary_leader").await == Some(1.0)).then_some(())
    })
    .await;
    c.ok(&[
        "patch",
        "lease",
        "gitcanary",
        "--type=merge",
        "-p",
        r#"{"spec":{"holderIdentity":"someone-else"}}"#,
    ])
    .await;
    let status = tokio::time::timeout(Duration::from_secs(10), only.child.wait())
        .await
        .expect("the replica exits")
        .expect("exit status");
    assert!(!status.success(), "{status:?}\n{}", only.logs());
    let logs = only.logs();
    assert!(
        logs.contains(
            "stopped leading: lost Lease default/gitcanary: it is now held by \"someone-else\""
        ),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_cannot_renew_within_the_deadline_stops_and_exits_with_an_error() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let dir = tempfile::tempdir().expect("dir");
    let mut only = Replica::start(&c, repo.path(), dir.path(), "replica-a", FAST).await;
    eventually(Duration::from_secs(20), "leading", || async {
        (only.metric("gitcanary_leader").await == Some(1.0)).then_some(())
    })
    .await;
    // Renewals hang for longer than the renew deadline (2s).
    c.server.cluster().faults.add(localkube::FaultRule {
        verb: Some("update".into()),
        resource: Some("leases".into()),
        latency_ms: Some(30_000),
        ..Default::default()
    });
    let status = tokio::time::timeout(Duration::from_secs(10), only.child.wait())
        .await
        .expect("the replica exits")
        .expect("exit status");
    assert!(!status.success(), "{status:?}\n{}", only.logs());
    let logs = only.logs();
    assert!(
        logs.contains(
            "stopped leading: could not renew Lease default/gitcanary within the renew deadline of 2s"
        ),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_reaching_the_standby_is_passed_on_to_the_leader() {
    use crate::source_webhook::{github_signature, post};
    const SECRET: &str = "hook-secret";
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let dir = tempfile::tempdir().expect("dir");
    // Polling once an hour and no file watching: only a webhook makes the leader fetch.
    let args: Vec<&str> = FAST
        .iter()
        .copied()
        .chain(["--interval", "1h", "--no-watch", "--webhook-secret", SECRET])
        .collect();
    let (leader, standby) = two_replicas(&c, repo.path(), dir.path(), &args).await;
    wait_status(&c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    let out = c
        .kubectl(&["get", "lease", "gitcanary", "-o", "json"])
        .await;
    let lease: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(
        lease["metadata"]["annotations"]["gitcanary.dev/leader-url"],
        leader.url.as_str(),
        "the leader writes its address on the Lease: {lease}"
    );

    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        rollout_status(&c).await["phase"],
        "Healthy",
        "nothing fetched the commit before the webhook"
    );
    let addr = standby
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("standby address");
    let body = r#"{"ref":"refs/heads/main"}"#;
    assert_eq!(
        post(
            addr,
            &[("X-Hub-Signature-256", github_signature("wrong", body))],
            body
        )
        .await,
        401,
        "the standby checks the signature before passing anything on"
    );
    let good = [("X-Hub-Signature-256", github_signature(SECRET, body))];
    assert_eq!(post(addr, &good, body).await, 202, "{}", standby.logs());
    wait_status(&c, "the leader fetched and started the canary", 10, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    assert!(
        standby.logs().contains("passed on to the leader"),
        "{}",
        standby.logs()
    );
    assert!(
        !standby.synced_any().await,
        "the standby itself synced:\n{}",
        standby.logs()
    );
}
