//! The seed's AnalysisTemplate run end to end: Rollout args (service, namespace from
//! `metadata.namespace`) → query templating → an in-process Prometheus behind the seed's
//! `/api/v1/prometheus/` path → parsing → judgement → run phase.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::analysis::fixtures::{SEED_TEMPLATE, at, seed_run_with};
use crate::analysis::measure::{Measurer, RESOLVED_QUERY_KEY};
use crate::analysis::run::RunUpdate;
use crate::api::{AnalysisPhase, AnalysisRun, AnalysisTemplate, SecretKeyRef};

const SEED_SELECTOR: &str = "destination_service=~\"canary.shop.svc.cluster.local\"";

fn vector(values: &[&str]) -> String {
    let samples: Vec<String> = values
        .iter()
        .map(|v| format!(r#"{{"metric":{{}},"value":[1700000000,"{v}"]}}"#))
        .collect();
    format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
        samples.join(",")
    )
}

/// What the fake Prometheus answers, and the queries it was asked.
#[derive(Default)]
struct Fake {
    answer: String,
    queries: Vec<String>,
}

type Shared = Arc<Mutex<Fake>>;

async fn query(
    State(fake): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> String {
    let mut fake = fake.lock().expect("fake state");
    fake.queries
        .push(params.get("query").cloned().unwrap_or_default());
    fake.answer.clone()
}

async fn fake_prometheus(answer: String) -> (SocketAddr, Shared) {
    let fake: Shared = Arc::new(Mutex::new(Fake {
        answer,
        queries: Vec::new(),
    }));
    let router = Router::new()
        .route("/api/v1/prometheus/api/v1/query", get(query))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (address, fake)
}

/// The seed template with its placeholder address pointed at the fake, as a user would fill it in.
fn template_for(address: SocketAddr) -> AnalysisTemplate {
    let yaml = SEED_TEMPLATE.replace("<your-prometheus-endpoint>:9090", &address.to_string());
    serde_yaml::from_str(&yaml).expect("template parses")
}

fn no_secrets(_: &SecretKeyRef) -> Result<String, String> {
    Err("no secrets here".to_owned())
}

struct Driver {
    measurer: Measurer,
    run: AnalysisRun,
    now: DateTime<Utc>,
}

impl Driver {
    async fn new(address: SocketAddr) -> Driver {
        Driver {
            measurer: Measurer::new(None).expect("client"),
            run: seed_run_with(&template_for(address)),
            now: at(0),
        }
    }

    /// Reconciles at the current time and moves the clock to the requested requeue time.
    async fn reconcile(&mut self) -> RunUpdate {
        let update = self
            .measurer
            .reconcile(&self.run, &no_secrets, self.now)
            .await;
        self.run.status = Some(update.status.clone());
        if let Some(next) = update.requeue_at {
            self.now = next;
        }
        update
    }

    fn phase(&self) -> Option<AnalysisPhase> {
        self.run.status.as_ref().and_then(|s| s.phase)
    }

    fn message(&self) -> String {
        self.run
            .status
            .as_ref()
            .and_then(|s| s.message.clone())
            .unwrap_or_default()
    }

    fn measurements(&self) -> Vec<(AnalysisPhase, Option<String>, Option<String>)> {
        self.run
            .status
            .iter()
            .flat_map(|s| s.metric_results.iter())
            .flat_map(|r| r.measurements.iter())
            .map(|m| (m.phase, m.value.clone(), m.message.clone()))
            .collect()
    }
}

#[test]
fn the_reconcile_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let measurer = Measurer::new(None).expect("client");
    let run = crate::analysis::fixtures::seed_run();
    assert_send(&measurer.reconcile(&run, &no_secrets, at(0)));
}

#[tokio::test]
async fn healthy_canary_measures_successfully_until_terminated() {
    let (address, fake) = fake_prometheus(vector(&["0.95"])).await;
    let mut driver = Driver::new(address).await;

    let first = driver.reconcile().await;
    assert_eq!(driver.phase(), Some(AnalysisPhase::Running));
    assert_eq!(first.requeue_at, Some(at(60)), "initialDelay: 60s");
    assert!(fake.lock().expect("fake").queries.is_empty());

    for _ in 0..3 {
        driver.reconcile().await;
    }
    assert_eq!(
        driver.phase(),
        Some(AnalysisPhase::Running),
        "unbounded: runs until told to stop"
    );
    assert_eq!(driver.now, at(120), "measured at 60, 80, 100; next at 120");
    assert_eq!(
        driver.measurements(),
        vec![(AnalysisPhase::Successful, Some("[0.95]".to_owned()), None); 3]
    );

    let queries = fake.lock().expect("fake").queries.clone();
    assert_eq!(queries.len(), 3);
    assert!(queries[0].contains(SEED_SELECTOR), "{}", queries[0]);
    assert!(!queries[0].contains("{{"), "{}", queries[0]);
    let result = &driver.run.status.as_ref().expect("status").metric_results[0];
    assert_eq!(
        result.metadata.get(RESOLVED_QUERY_KEY),
        Some(&queries[0]),
        "the resolved query is recorded on the metric"
    );

    driver.run.spec.terminate = true;
    let last = driver.reconcile().await;
    assert_eq!(driver.phase(), Some(AnalysisPhase::Successful));
    assert_eq!(driver.message(), "Run Terminated");
    assert_eq!(last.requeue_at, None);
}

#[tokio::test]
async fn a_counted_healthy_metric_completes_successfully() {
    let (address, _) = fake_prometheus(vector(&["0.97"])).await;
    let mut driver = Driver::new(address).await;
    driver.run.spec.metrics[0].count = Some(IntOrString::Int(3));
    for _ in 0..4 {
        driver.reconcile().await;
    }
    assert_eq!(driver.phase(), Some(AnalysisPhase::Successful));
    assert_eq!(driver.message(), "");
    let status = driver.run.status.as_ref().expect("status");
    assert_eq!(status.metric_results[0].count, 3);
    assert!(status.completed_at.is_some());
}

#[tokio::test]
async fn a_low_success_rate_fails_the_run() {
    let (address, _) = fake_prometheus(vector(&["0.5"])).await;
    let mut driver = Driver::new(address).await;
    driver.reconcile().await;
    let update = driver.reconcile().await;
    assert_eq!(
        driver.phase(),
        Some(AnalysisPhase::Failed),
        "failureLimit defaults to 0"
    );
    assert_eq!(
        driver.message(),
        "Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)"
    );
    assert_eq!(update.requeue_at, None);
    assert_eq!(
        driver.measurements(),
        vec![(AnalysisPhase::Failed, Some("[0.5]".to_owned()), None)]
    );
}

#[tokio::test]
async fn failures_are_tolerated_up_to_the_failure_limit() {
    let (address, _) = fake_prometheus(vector(&["0.5"])).await;
    let mut driver = Driver::new(address).await;
    driver.run.spec.metrics[0].failure_limit = Some(IntOrString::Int(2));
    let mut phases = Vec::new();
    for _ in 0..4 {
        driver.reconcile().await;
        phases.push(driver.phase());
    }
    assert_eq!(
        phases,
        vec![
            Some(AnalysisPhase::Running),
            Some(AnalysisPhase::Running),
            Some(AnalysisPhase::Running),
            Some(AnalysisPhase::Failed)
        ]
    );
    assert_eq!(
        driver.message(),
        "Metric \"success-rate\" assessed Failed due to failed (3) > failureLimit (2)"
    );
}

#[tokio::test]
async fn no_data_errors_name_the_query_and_error_the_run_after_the_limit() {
    let (address, fake) = fake_prometheus(vector(&[])).await;
    let mut driver = Driver::new(address).await;
    driver.reconcile().await;
    let mut times = Vec::new();
    while driver.phase() == Some(AnalysisPhase::Running) && times.len() < 10 {
        times.push(driver.now);
        driver.reconcile().await;
    }
    assert_eq!(
        times,
        vec![at(60), at(70), at(80), at(90), at(100)],
        "retried every 10 s after an error"
    );
    assert_eq!(driver.phase(), Some(AnalysisPhase::Error));

    let query = fake.lock().expect("fake").queries[0].clone();
    let one_line = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let no_data = format!(
        "could not evaluate successCondition \"result[0] > 0.90\": metric result is nil or empty: no data returned from the metric provider for query: {one_line}"
    );
    let measurements = driver.measurements();
    assert_eq!(measurements.len(), 5);
    assert!(measurements.iter().all(|(phase, value, message)| {
        *phase == AnalysisPhase::Error
            && value.as_deref() == Some("[]")
            && message.as_deref() == Some(no_data.as_str())
    }));
    assert!(no_data.contains(SEED_SELECTOR), "{no_data}");
    assert_eq!(
        driver.message(),
        format!(
            "Metric \"success-rate\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): \"Error Message: {no_data}\""
        )
    );
    let result = &driver.run.status.as_ref().expect("status").metric_results[0];
    assert_eq!(
        (result.error, result.consecutive_error, result.count),
        (5, 5, 0)
    );
}

#[tokio::test]
async fn an_unreachable_prometheus_is_a_measurement_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let mut driver = Driver::new(address).await;
    driver.reconcile().await;
    driver.reconcile().await;
    let (phase, value, message) = driver.measurements().remove(0);
    assert_eq!((phase, value), (AnalysisPhase::Error, None));
    assert!(
        message.as_deref().is_some_and(|m| m.starts_with(&format!(
            "GET http://{address}/api/v1/prometheus/api/v1/query: "
        ))),
        "{message:?}"
    );
    assert_eq!(
        driver.phase(),
        Some(AnalysisPhase::Running),
        "one error is tolerated"
    );
}

#[tokio::test]
async fn a_missing_secret_errors_the_run() {
    let (address, _) = fake_prometheus(vector(&["0.95"])).await;
    let mut driver = Driver::new(address).await;
    driver.run.spec.args.push(crate::api::Argument {
        name: "token".into(),
        value: None,
        value_from: Some(crate::api::ValueFrom {
            secret_key_ref: Some(SecretKeyRef {
                name: "prom".into(),
                key: "token".into(),
            }),
            field_ref: None,
        }),
    });
    driver.reconcile().await;
    driver.reconcile().await;
    assert_eq!(driver.phase(), Some(AnalysisPhase::Error));
    assert_eq!(
        driver.message(),
        "Unable to resolve metric arguments: args.token: secret prom/token could not be read: no secrets here"
    );
}

#[tokio::test]
async fn secret_arguments_are_sent_but_never_shown() {
    let (address, _) = fake_prometheus("not json".to_owned()).await;
    let mut driver = Driver::new(address).await;
    let prometheus = driver.run.spec.metrics[0]
        .provider
        .prometheus
        .as_mut()
        .expect("prometheus");
    // a query that echoes the secret, to check redaction of messages and metadata
    prometheus.query = Some("up{token=\"{{args.token}}\"}".into());
    driver.run.spec.args.push(crate::api::Argument {
        name: "token".into(),
        value: None,
        value_from: Some(crate::api::ValueFrom {
            secret_key_ref: Some(SecretKeyRef {
                name: "prom".into(),
                key: "token".into(),
            }),
            field_ref: None,
        }),
    });
    let lookup = |_: &SecretKeyRef| Ok("s3cr3t".to_owned());
    let measurer = Measurer::new(None).expect("client");
    let mut run = driver.run.clone();
    for now in [at(0), at(60)] {
        let update = measurer.reconcile(&run, &lookup, now).await;
        run.status = Some(update.status);
    }
    let status = serde_json::to_string(&run.status).expect("serializes");
    assert!(!status.contains("s3cr3t"), "{status}");
    assert!(status.contains("up{token=\\\"*****\\\"}"), "{status}");
}
