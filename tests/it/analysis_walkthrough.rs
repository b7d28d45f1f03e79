//! The seed's second walk-through: yellow stable, an orange canary judged by the seed's
//! AnalysisTemplate against a real Prometheus scraping meshsim (1s scrapes). The template's query is
//! used as written; the `service` argument is corrected to the canary Service, initialDelay/interval
//! and pauses are shortened.

use std::time::Duration;

use gitcanary::sync::config::SourceSpec;
use serde_json::Value;

use crate::common::{Cluster, eventually, fixture};
use crate::git_repo::TestRepo;
use crate::prometheus::Prometheus;
use crate::rollout_walkthrough::{analysis_runs, wait_scaled_down, wait_status as wait};
use crate::sync::{source_args, start_daemon, with_crds};

const BAD: &str = "argoproj/rollouts-demo:orange";

fn template(prometheus: &Prometheus) -> String {
    std::fs::read_to_string(fixture("seed/istio-success-rate.yaml"))
        .expect("template")
        .replace(
            "http://<your-prometheus-endpoint>:9090/api/v1/prometheus/",
            &prometheus.address(),
        )
        .replace("initialDelay: 60s", "initialDelay: 10s")
        .replace("interval: 20s", "interval: 2s")
}

fn rollout(image: &str, service_arg: &str) -> String {
    std::fs::read_to_string(fixture("seed/rollout-with-analysis.yaml"))
        .expect("rollout")
        .replace("argoproj/rollouts-demo:yellow", image)
        .replace("value: canary", &format!("value: {service_arg}"))
        .replace("{duration: 20s}", "{duration: 2s}")
        .replace("      canaryService: istio-rollout-canary", "      scaleDownDelaySeconds: 2\n      abortScaleDownDelaySeconds: 2\n      canaryService: istio-rollout-canary")
}

fn repo(prometheus: &Prometheus, service_arg: &str) -> TestRepo {
    let repo = TestRepo::new();
    for f in [
        "service.yaml",
        "istio-rollout-gateway.yaml",
        "istio-rollout-vsvc.yaml",
    ] {
        repo.write(
            &format!("deploy/{f}"),
            &std::fs::read_to_string(fixture(&format!("seed/{f}"))).expect("seed"),
        );
    }
    repo.write("deploy/istio-success-rate.yaml", &template(prometheus));
    repo.write(
        "deploy/rollout.yaml",
        &rollout("argoproj/rollouts-demo:yellow", service_arg),
    );
    repo.commit("yellow with analysis");
    repo
}

async fn weights(c: &Cluster) -> String {
    c.ok(&[
        "get",
        "vs",
        "istio-rollout-vsvc",
        "-o",
        "jsonpath={.spec.http[0].route[*].weight}",
    ])
    .await
}

struct World {
    c: Cluster,
    prometheus: Prometheus,
    meshsim: meshsim::Meshsim,
}

async fn world() -> World {
    let c = with_crds().await;
    let meshsim = meshsim::Meshsim::start(
        c.client().await,
        meshsim::Config {
            rps: 100.0,
            seed: Some(7),
            ..Default::default()
        },
    )
    .await
    .expect("meshsim");
    let prometheus = Prometheus::start(&[meshsim.addr()]).await;
    World {
        c,
        prometheus,
        meshsim,
    }
}

/// Starts the daemon on a repo, waits for yellow Healthy, then commits the orange canary and
/// promotes the manual pause.
async fn to_orange(w: &World, repo: &TestRepo) -> gitcanary::daemon::Daemon {
    let cache = tempfile::tempdir().expect("cache").keep();
    let d = start_daemon(
        &w.c,
        vec![SourceSpec::from_args(
            "demo",
            source_args(repo, &cache),
            "default",
            None,
            true,
            false,
        )],
    )
    .await;
    wait(&w.c, "yellow Healthy", 30, |s| s["phase"] == "Healthy").await;
    let text = std::fs::read_to_string(repo.path().join("deploy/rollout.yaml")).expect("rollout");
    repo.write(
        "deploy/rollout.yaml",
        &text.replace("argoproj/rollouts-demo:yellow", BAD),
    );
    repo.commit("orange");
    wait(&w.c, "orange paused at 10%", 30, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_orange_canary_passes_every_measurement_and_completes() {
    let w = world().await;
    let repo = repo(&w.prometheus, "istio-rollout-canary");
    let d = to_orange(&w, &repo).await;
    // Let the analysis take its first measurement while paused, then approve.
    eventually(Duration::from_secs(40), "a first measurement", || async {
        let ars = analysis_runs(&w.c).await;
        let n = ars.first()?["status"]["metricResults"][0]["measurements"]
            .as_array()?
            .len();
        (n > 0).then_some(())
    })
    .await;
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "go\n\nPromote: istio-rollout",
    ]);
    let s = wait(&w.c, "orange stable", 90, |s| {
        s["phase"] == "Healthy"
            && s["stableRS"] == s["currentPodHash"]
            && s["currentStepIndex"] == 18
    })
    .await;
    assert!(
        s["canary"]["currentBackgroundAnalysisRunStatus"].is_null()
            || s["canary"]["currentBackgroundAnalysisRunStatus"]["status"] != "Failed",
        "{s}"
    );
    assert_eq!(weights(&w.c).await, "100 0");
    let ars = analysis_runs(&w.c).await;
    assert!(!ars.is_empty(), "a background AnalysisRun was created");
    let run = &ars[0];
    let measurements = run["status"]["metricResults"][0]["measurements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!measurements.is_empty(), "{run}");
    assert!(
        measurements.iter().all(|m| m["phase"] == "Successful"),
        "{run}"
    );
    assert_eq!(
        run["status"]["phase"], "Successful",
        "terminated when the rollout completed: {run}"
    );
    d.stop().await;
    w.prometheus.stop().await;
    drop(w.meshsim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_on_the_canary_roll_it_back() {
    let w = world().await;
    let repo = repo(&w.prometheus, "istio-rollout-canary");
    let d = to_orange(&w, &repo).await;
    w.meshsim.set_error_rate(BAD, 0.5).expect("error rate");
    let s = wait(&w.c, "aborted by analysis", 60, |s| {
        s["phase"] == "Degraded"
    })
    .await;
    let message = s["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("RolloutAborted: Rollout aborted update to revision 2"),
        "{s}"
    );
    assert!(message.contains("analysis"), "{s}");
    assert_eq!(weights(&w.c).await, "100 0");
    let stable = s["stableRS"].as_str().unwrap_or_default().to_string();
    let canary = s["currentPodHash"].as_str().unwrap_or_default().to_string();
    let sel =
        w.c.ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "jsonpath={.spec.selector.rollouts-pod-template-hash}",
        ])
        .await;
    assert_eq!(sel, stable);
    wait_scaled_down(&w.c, &canary, "canary scaled down after the delay", 15).await;
    let ars = analysis_runs(&w.c).await;
    assert!(
        ars.iter().any(|r| r["status"]["phase"] == "Failed"),
        "{ars:?}"
    );
    d.stop().await;
    w.prometheus.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_own_service_argument_finds_no_data_and_aborts() {
    let w = world().await;
    let repo = repo(&w.prometheus, "canary");
    let d = to_orange(&w, &repo).await;
    let s = wait(&w.c, "aborted after consecutive errors", 90, |s| {
        s["phase"] == "Degraded"
    })
    .await;
    let ars = analysis_runs(&w.c).await;
    let run = ars
        .iter()
        .find(|r| r["status"]["phase"] == "Error")
        .cloned()
        .unwrap_or(Value::Null);
    let last = run["status"]["metricResults"][0]["measurements"]
        .as_array()
        .and_then(|m| m.last().cloned())
        .unwrap_or(Value::Null);
    let msg = last["message"].as_str().unwrap_or_default();
    assert!(msg.contains("no data"), "{run}");
    assert!(
        msg.contains("canary.default.svc.cluster.local"),
        "the resolved query is in the message: {run}"
    );
    assert!(
        s["message"]
            .as_str()
            .is_some_and(|m| m.contains("RolloutAborted")),
        "{s}"
    );
    d.stop().await;
    w.prometheus.stop().await;
}
