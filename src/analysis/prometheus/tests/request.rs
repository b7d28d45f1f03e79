use chrono::DateTime;

use super::super::*;
use crate::api::{
    BasicAuth, PrometheusAuth, PrometheusMetric, PrometheusRangeQuery, WebMetricHeader,
};

fn metric(address: &str, query: &str) -> PrometheusMetric {
    PrometheusMetric {
        address: Some(address.to_owned()),
        query: Some(query.to_owned()),
        ..Default::default()
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("valid")
}

#[test]
fn urls_keep_the_address_path_like_the_go_client() {
    let cases = [
        (
            "http://prometheus:9090",
            "http://prometheus:9090/api/v1/query?query=up&time=1700000000",
        ),
        (
            "http://prometheus:9090/",
            "http://prometheus:9090/api/v1/query?query=up&time=1700000000",
        ),
        (
            "http://arms.example:9090/api/v1/prometheus/",
            "http://arms.example:9090/api/v1/prometheus/api/v1/query?query=up&time=1700000000",
        ),
        (
            "https://proxy.example/tenant/a",
            "https://proxy.example/tenant/a/api/v1/query?query=up&time=1700000000",
        ),
        (
            "http://thanos:10902/?dedup=true",
            "http://thanos:10902/api/v1/query?dedup=true&query=up&time=1700000000",
        ),
    ];
    for (address, want) in cases {
        let request = QueryRequest::build(&metric(address, "up"), None, now()).expect("valid");
        assert_eq!(request.url.as_str(), want, "{address}");
    }
}

#[test]
fn queries_are_url_encoded_and_time_has_a_fraction_only_when_needed() {
    let query = "sum(irate(istio_requests_total{destination_service=~\"canary.shop.svc.cluster.local\",response_code!~\"5.*\"}[40s]))";
    let at = DateTime::from_timestamp(1_700_000_000, 250_000_000).expect("valid");
    let request = QueryRequest::build(&metric("http://p:9090", query), None, at).expect("valid");
    let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("query".to_owned(), query.to_owned()));
    assert_eq!(pairs[1], ("time".to_owned(), "1700000000.25".to_owned()));
    assert!(!request.url.as_str().contains('"'), "{}", request.url);
}

#[test]
fn address_fallback_and_errors() {
    let mut m = metric("", "up");
    assert_eq!(
        QueryRequest::build(&m, None, now()),
        Err(ProviderError::NoAddress)
    );
    let request = QueryRequest::build(&m, Some("http://fallback:9090"), now()).expect("valid");
    assert_eq!(request.url.host_str(), Some("fallback"));
    m.address = None;
    assert!(QueryRequest::build(&m, Some("http://fallback:9090"), now()).is_ok());

    let bad = |address: &str| {
        QueryRequest::build(&metric(address, "up"), None, now()).map_err(|e| e.to_string())
    };
    assert!(
        bad("prometheus:9090").is_err_and(|e| e.contains("not a URL")),
        "host:port is not a URL"
    );
    assert!(bad("ftp://prometheus").is_err_and(|e| e.contains("scheme \"ftp\"")));
    assert!(bad("not a url").is_err());
    assert_eq!(
        QueryRequest::build(&metric("http://p", "  "), None, now()),
        Err(ProviderError::NoQuery)
    );
}

#[test]
fn timeout_tls_headers_and_auth() {
    let mut m = metric("https://p:9090", "up");
    let request = QueryRequest::build(&m, None, now()).expect("valid");
    assert_eq!(
        (request.timeout, request.insecure),
        (DEFAULT_TIMEOUT, false)
    );
    assert!(request.headers.is_empty());

    m.timeout = Some(5);
    m.insecure = true;
    m.headers = vec![
        WebMetricHeader {
            key: "Authorization".into(),
            value: "Bearer t0ken".into(),
        },
        WebMetricHeader {
            key: "X-Scope-OrgID".into(),
            value: "team-a".into(),
        },
    ];
    let request = QueryRequest::build(&m, None, now()).expect("valid");
    assert_eq!(request.timeout, std::time::Duration::from_secs(5));
    assert!(request.insecure);
    assert_eq!(
        request.headers,
        vec![
            ("Authorization".to_owned(), "Bearer t0ken".to_owned()),
            ("X-Scope-OrgID".to_owned(), "team-a".to_owned()),
        ]
    );
    assert!(
        !format!("{request:?}").contains("t0ken"),
        "Debug must not print header values"
    );

    m.timeout = Some(-1);
    assert_eq!(
        QueryRequest::build(&m, None, now()),
        Err(ProviderError::NegativeTimeout(-1))
    );

    let mut basic = metric("http://p", "up");
    basic.authentication = Some(PrometheusAuth {
        basic_auth: Some(BasicAuth {
            username: Some("user".into()),
            password: Some("pass".into()),
        }),
        ..Default::default()
    });
    let request = QueryRequest::build(&basic, None, now()).expect("valid");
    assert_eq!(
        request.headers,
        vec![("Authorization".to_owned(), "Basic dXNlcjpwYXNz".to_owned())]
    );
}

#[test]
fn range_queries() {
    let mut m = metric("http://p:9090/prefix/", "rate(x[1m])");
    m.range_query = Some(PrometheusRangeQuery {
        start: Some("now() - duration(\"5m\")".into()),
        end: Some("now()".into()),
        step: Some("30s".into()),
    });
    let request = QueryRequest::build(&m, None, now()).expect("valid");
    assert_eq!(
        request.url.as_str(),
        "http://p:9090/prefix/api/v1/query_range?query=rate%28x%5B1m%5D%29&start=1699999700&end=1700000000&step=30"
    );

    let broken = |start: &str, end: &str, step: &str| {
        let mut m = metric("http://p", "up");
        m.range_query = Some(PrometheusRangeQuery {
            start: Some(start.into()),
            end: Some(end.into()),
            step: Some(step.into()),
        });
        QueryRequest::build(&m, None, now()).map_err(|e| e.to_string())
    };
    assert!(
        broken("now()", "now()", "0s")
            .is_err_and(|e| e.contains("rangeQuery.step \"0s\" is not a positive duration"))
    );
    assert!(broken("", "now()", "1m").is_err_and(|e| e.contains("rangeQuery.start is required")));
    assert!(
        broken("now()", "now() - duration(\"1h\")", "1m")
            .is_err_and(|e| e.contains("rangeQuery.end is before start"))
    );
    assert!(
        broken("tomorrow", "now()", "1m")
            .is_err_and(|e| e.contains("rangeQuery.start \"tomorrow\": unsupported expression"))
    );
}

#[test]
fn unsupported_features_say_so() {
    let mut m = metric("http://p", "up");
    m.authentication = Some(PrometheusAuth {
        oauth2: Some(Default::default()),
        ..Default::default()
    });
    assert_eq!(
        QueryRequest::build(&m, None, now()).map_err(|e| e.to_string()),
        Err("authentication.oauth2 is not supported by gitcanary's prometheus provider".to_owned())
    );
}
