//! meshsim against a real localkube: the seed's Services and VirtualService, ReplicaSets standing in
//! for the rollout controller's, and requests that follow the weights, the pinned selectors, the
//! injected error rates and pod readiness, as the metrics and the page's feeds report them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use ::meshsim::{Meshsim, RouteView};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Cluster, eventually, fixture};

const HASH: &str = "rollouts-pod-template-hash";
const BLUE_HASH: &str = "6bf8d7c9d5";
const YELLOW_HASH: &str = "7c6d9f8b4";
const BLUE: &str = "argoproj/rollouts-demo:blue";
const YELLOW: &str = "argoproj/istio-rollout:yellow";
const CANARY: &str = "istio-rollout-canary.default.svc.cluster.local";
const STABLE: &str = "istio-rollout-stable.default.svc.cluster.local";
const WAIT: Duration = Duration::from_secs(10);

/// A localkube with the Istio CRDs and the seed's Services and VirtualService, and a meshsim
/// watching it that sends only when told (so a fixed seed gives the same answers every run).
async fn seeded(broken_images: Vec<String>) -> (Cluster, Meshsim) {
    let cluster = Cluster::start_with(localkube::Config {
        crds: gitcanary::cli::crds::bundled().expect("bundled CRDs"),
        ready_delay: Duration::from_millis(100),
        broken_images,
        ..Default::default()
    })
    .await;
    for file in ["seed/service.yaml", "seed/istio-rollout-vsvc.yaml"] {
        cluster.ok(&["apply", "-f", &fixture(file)]).await;
    }
    let sim = Meshsim::start(
        cluster.client().await,
        ::meshsim::Config {
            rps: 0.0,
            seed: Some(42),
            ..Default::default()
        },
    )
    .await
    .expect("meshsim starts");
    tokio::time::timeout(WAIT, sim.synced())
        .await
        .expect("meshsim lists the cluster");
    (cluster, sim)
}

/// A ReplicaSet like the rollout controller's: the app label plus the pod template hash.
fn replica_set(hash: &str, image: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: istio-rollout-{hash}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: istio-rollout, {HASH}: {hash}}}
  template:
    metadata:
      labels: {{app: istio-rollout, {HASH}: {hash}}}
    spec:
      containers:
      - name: istio-rollout
        image: {image}
"
    )
}

/// The (weight, colours, ready pods) of each destination of the seed's `primary` route.
fn primary(routes: &[RouteView]) -> Vec<(u32, Vec<&'static str>, usize)> {
    routes
        .iter()
        .find(|r| r.route == "primary")
        .map(|r| {
            r.destinations
                .iter()
                .map(|d| (d.weight, d.colours.clone(), d.ready_pods))
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_for_primary(sim: &Meshsim, want: &[(u32, Vec<&'static str>, usize)], what: &str) {
    eventually(WAIT, what, || async {
        (primary(&sim.routes()) == want).then_some(())
    })
    .await;
}

/// Blue pods behind both Services, all traffic to stable (the seed's starting point).
async fn blue_only(cluster: &Cluster, sim: &Meshsim) {
    cluster.apply(&replica_set(BLUE_HASH, BLUE, 2)).await;
    wait_for_primary(
        sim,
        &[(100, vec!["blue"], 2), (0, vec!["blue"], 2)],
        "two ready blue pods",
    )
    .await;
}

/// What the rollout controller does at `setWeight: 10`: a yellow ReplicaSet, each Service pinned to
/// its ReplicaSet by the hash, and the VirtualService weights at 90/10.
async fn canary_at_ten_percent(cluster: &Cluster, sim: &Meshsim) {
    cluster.apply(&replica_set(YELLOW_HASH, YELLOW, 1)).await;
    for (service, hash) in [
        ("istio-rollout-stable", BLUE_HASH),
        ("istio-rollout-canary", YELLOW_HASH),
    ] {
        let patch = format!(r#"{{"spec":{{"selector":{{"{HASH}":"{hash}"}}}}}}"#);
        cluster
            .ok(&["patch", "service", service, "-p", &patch])
            .await;
    }
    let weights = r#"{"spec":{"http":[{"name":"primary","match":[{"uri":{"prefix":"/"}}],"route":[
        {"destination":{"host":"istio-rollout-stable"},"weight":90},
        {"destination":{"host":"istio-rollout-canary"},"weight":10}]}]}}"#;
    cluster
        .ok(&[
            "patch",
            "virtualservice",
            "istio-rollout-vsvc",
            "--type",
            "merge",
            "-p",
            weights,
        ])
        .await;
    wait_for_primary(
        sim,
        &[(90, vec!["blue"], 2), (10, vec!["yellow"], 1)],
        "90/10 with pinned selectors",
    )
    .await;
}

/// A bare HTTP/1.1 exchange with meshsim; returns the status code and the body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to meshsim");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("headers and body");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    (code, body.to_owned())
}

/// `istio_requests_total` samples as (labels, value).
fn request_counters(text: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    text.lines()
        .filter_map(|line| line.strip_prefix("istio_requests_total{"))
        .map(|rest| {
            let (labels, value) = rest.rsplit_once("} ").expect("labels then value");
            let labels = labels
                .split("\",")
                .map(|pair| {
                    let (k, v) = pair.split_once("=\"").expect("key=\"value\"");
                    (k.to_owned(), v.trim_end_matches('"').to_owned())
                })
                .collect();
            (labels, value.parse().expect("a number"))
        })
        .collect()
}

/// Source-reported requests to a Service, in total and with a 5xx code: the two sums of the seed's
/// success-rate query.
fn source_requests(text: &str, service: &str) -> (f64, f64) {
    let mut total = 0.0;
    let mut failed = 0.0;
    for (labels, value) in request_counters(text) {
        if labels["reporter"] == "source" && labels["destination_service"] == service {
            total += value;
            if labels["response_code"].starts_with('5') {
                failed += value;
            }
        }
    }
    (total, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_follow_the_weights_and_the_pinned_selectors() {
    let (cluster, sim) = seeded(vec![]).await;
    blue_only(&cluster, &sim).await;
    let stats = sim.send(1000);
    assert_eq!(stats.share("blue"), 1.0, "{stats:?}");
    assert_eq!(stats.code_count(200), 1000, "{stats:?}");

    canary_at_ten_percent(&cluster, &sim).await;
    let stats = sim.send(1000);
    let yellow = stats.share("yellow");
    assert!((0.06..=0.14).contains(&yellow), "{yellow}: {stats:?}");
    assert_eq!(stats.share("blue") + yellow, 1.0, "{stats:?}");
    assert_eq!(stats.code_count(200), 1000, "{stats:?}");
    assert_eq!(sim.stats().total, 1000, "the window holds the last 1000");

    let addr = sim.addr();
    let (code, page) = http(addr, "GET", "/", "").await;
    assert_eq!(code, 200);
    assert!(page.contains("id=\"grid\"") && page.contains("error-rate"));
    let (code, feed) = http(addr, "GET", "/api/requests?since=1990", "").await;
    assert_eq!(code, 200);
    let feed: serde_json::Value = serde_json::from_str(&feed).expect("JSON");
    assert_eq!(feed["next"], 2000);
    assert_eq!(feed["answers"].as_array().map(Vec::len), Some(10));
    let (code, state) = http(addr, "GET", "/api/state", "").await;
    assert_eq!(code, 200);
    let state: serde_json::Value = serde_json::from_str(&state).expect("JSON");
    assert_eq!(state["routes"][0]["destinations"][1]["weight"], 10);
    let images: Vec<&str> = state["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(|i| i["image"].as_str())
        .collect();
    assert_eq!(images, [YELLOW, BLUE]);
    let (code, colour) = http(addr, "GET", "/color", "").await;
    assert_eq!(code, 200);
    assert!(colour == "\"blue\"" || colour == "\"yellow\"", "{colour}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_errors_show_in_the_canary_success_rate() {
    let (cluster, sim) = seeded(vec![]).await;
    blue_only(&cluster, &sim).await;
    canary_at_ten_percent(&cluster, &sim).await;
    let addr = sim.addr();

    let set = format!(r#"{{"image": "{YELLOW}", "rate": 0.5}}"#);
    let (code, _) = http(addr, "POST", "/error-rate", &set).await;
    assert_eq!(code, 200);
    let (code, listed) = http(addr, "GET", "/error-rate", "").await;
    assert_eq!(code, 200);
    assert_eq!(listed, format!(r#"[{{"image":"{YELLOW}","rate":0.5}}]"#));
    let (code, refused) = http(addr, "POST", "/error-rate", r#"{"image": "x", "rate": 2}"#).await;
    assert_eq!(code, 400, "{refused}");

    let stats = sim.send(3000);
    let yellow = stats.by_colour["yellow"];
    assert!(yellow.errors > 0 && yellow.ok > 0, "{stats:?}");
    assert_eq!(stats.by_colour["blue"].errors, 0, "{stats:?}");

    let (code, metrics) = http(addr, "GET", "/metrics", "").await;
    assert_eq!(code, 200);
    let (total, failed) = source_requests(&metrics, CANARY);
    let error_share = failed / total;
    assert!((0.4..=0.6).contains(&error_share), "{failed}/{total}");
    assert_eq!(
        total,
        (yellow.ok + yellow.errors) as f64,
        "all canary answers are yellow"
    );
    let (stable_total, stable_failed) = source_requests(&metrics, STABLE);
    assert_eq!(stable_failed, 0.0);
    assert_eq!(stable_total + total, 3000.0);
    let canary_labels = request_counters(&metrics)
        .into_iter()
        .map(|(labels, _)| labels)
        .find(|l| l["destination_service"] == CANARY && l["response_code"] == "500")
        .expect("a canary 500 series");
    for (key, value) in [
        ("source_workload", "istio-ingressgateway"),
        ("destination_service_name", "istio-rollout-canary"),
        ("destination_service_namespace", "default"),
        ("destination_workload", "istio-rollout"),
        ("destination_version", "yellow"),
        ("request_protocol", "http"),
    ] {
        assert_eq!(canary_labels[key], value, "{canary_labels:?}");
    }

    let clear = format!(r#"{{"image": "{YELLOW}", "rate": 0}}"#);
    let (code, listed) = http(addr, "POST", "/error-rate", &clear).await;
    assert_eq!((code, listed.as_str()), (200, "[]"));
    let stats = sim.send(500);
    assert_eq!(stats.code_count(200), 500, "{stats:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ready_pods_answer_503() {
    let broken = "argoproj/rollouts-demo:red";
    let (cluster, sim) = seeded(vec![broken.into()]).await;
    // A pod that never becomes Ready is selected by both Services but gets no traffic.
    cluster.apply(&replica_set("5f7b8c9d", broken, 1)).await;
    let client = cluster.client().await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::default_namespaced(client);
    eventually(WAIT, "the broken pod to be pending", || async {
        let list = pods.list(&Default::default()).await.ok()?;
        list.items
            .iter()
            .any(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .is_some()
            })
            .then_some(())
    })
    .await;
    blue_only(&cluster, &sim).await;
    assert_eq!(sim.send(200).share("blue"), 1.0);

    cluster
        .ok(&[
            "scale",
            &format!("rs/istio-rollout-{BLUE_HASH}"),
            "--replicas=0",
        ])
        .await;
    wait_for_primary(&sim, &[(100, vec![], 0), (0, vec![], 0)], "no ready pods").await;
    let stats = sim.send(100);
    assert_eq!(stats.code_count(503), 100, "{stats:?}");
    assert!(stats.by_colour.is_empty(), "{stats:?}");

    let (code, body) = http(sim.addr(), "GET", "/color", "").await;
    assert_eq!((code, body.as_str()), (503, "no healthy upstream"));
    let metrics = sim.metrics_text().expect("metrics encode");
    let unavailable = request_counters(&metrics)
        .into_iter()
        .find(|(l, _)| l["response_code"] == "503")
        .expect("a 503 series");
    assert_eq!(unavailable.0["destination_service"], STABLE);
    assert_eq!(unavailable.0["reporter"], "source");
    assert_eq!(unavailable.0["response_flags"], "UH");
    assert_eq!(unavailable.1, 101.0);
    sim.shutdown().await;
}
