//! The HTTP call against a tiny in-process server with canned Prometheus answers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use chrono::DateTime;

use super::super::*;
use crate::analysis::MeasurementValue;
use crate::api::{PrometheusMetric, WebMetricHeader};

const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.95"]}]}}"#;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

/// Serves `VECTOR` under a path prefix, only with the right bearer token and query.
fn prometheus_behind_a_proxy() -> Router {
    Router::new().route(
        "/api/v1/prometheus/api/v1/query",
        get(
            |headers: HeaderMap, Query(params): Query<HashMap<String, String>>| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok())
                    != Some("Bearer t0ken")
                {
                    return (
                        StatusCode::UNAUTHORIZED,
                        "missing or wrong token".to_owned(),
                    );
                }
                match params.get("query").map(String::as_str) {
                    Some("sum(rate(x[1m]))")
                        if params.get("time").map(String::as_str) == Some("1700000000") =>
                    {
                        (StatusCode::OK, VECTOR.to_owned())
                    }
                    Some("bad(") => (
                        StatusCode::BAD_REQUEST,
                        r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#
                            .to_owned(),
                    ),
                    _ => (
                        StatusCode::OK,
                        r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#
                            .to_owned(),
                    ),
                }
            },
        ),
    )
}

fn request(address: SocketAddr, query: &str, token: &str) -> QueryRequest {
    let metric = PrometheusMetric {
        address: Some(format!("http://{address}/api/v1/prometheus/")),
        query: Some(query.to_owned()),
        headers: vec![WebMetricHeader {
            key: "Authorization".into(),
            value: format!("Bearer {token}"),
        }],
        timeout: Some(5),
        ..Default::default()
    };
    QueryRequest::build(
        &metric,
        None,
        DateTime::from_timestamp(1_700_000_000, 0).expect("valid"),
    )
    .expect("valid request")
}

async fn measure(
    client: &PrometheusClient,
    request: &QueryRequest,
) -> Result<MeasurementValue, String> {
    let raw = client.send(request).await.map_err(|e| e.to_string())?;
    parse_response(raw.status, &raw.body)
        .map(|r| r.value)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn queries_through_a_path_prefix_with_a_bearer_token() {
    let address = serve(prometheus_behind_a_proxy()).await;
    let client = PrometheusClient::new().expect("client");
    assert_eq!(
        measure(&client, &request(address, "sum(rate(x[1m]))", "t0ken")).await,
        Ok(MeasurementValue::Vector(vec![0.95]))
    );
    assert_eq!(
        measure(&client, &request(address, "other", "t0ken")).await,
        Ok(MeasurementValue::Vector(vec![]))
    );
    assert_eq!(
        measure(&client, &request(address, "bad(", "t0ken")).await,
        Err("bad_data: parse error".to_owned())
    );
    assert_eq!(
        measure(&client, &request(address, "sum(rate(x[1m]))", "wrong")).await,
        Err("client error: 401: missing or wrong token".to_owned())
    );
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let router = Router::new().route(
        "/api/v1/query",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            VECTOR
        }),
    );
    let address = serve(router).await;
    let mut slow = request(address, "up", "t0ken");
    slow.url.set_path("/api/v1/query");
    slow.timeout = Duration::from_millis(200);
    let err = PrometheusClient::new()
        .expect("client")
        .send(&slow)
        .await
        .expect_err("times out");
    assert!(matches!(err, ProviderError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("no answer within 200ms"), "{err}");
}

#[tokio::test]
async fn connection_errors_name_the_endpoint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let err = PrometheusClient::new()
        .expect("client")
        .send(&request(address, "up", "t0ken"))
        .await
        .expect_err("nothing listens");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "GET http://{address}/api/v1/prometheus/api/v1/query: "
        )),
        "{text}"
    );
    assert!(
        !text.contains("query="),
        "the query string stays out of messages: {text}"
    );
}
