//! Table tests: each case is a VirtualService spec, a Rollout reference, a weight, and the
//! expected routes or Argo's error.

use serde_json::{Value, json};

use super::*;
use crate::api::{TcpRoute, TlsRoute};

const HOSTS: Targets<'static> = Targets {
    canary_service: "canary",
    stable_service: "stable",
    subsets: None,
};

fn reference(routes: &[&str]) -> IstioVirtualService {
    IstioVirtualService {
        name: "vs".into(),
        routes: routes.iter().map(|r| (*r).to_owned()).collect(),
        ..Default::default()
    }
}

fn seed_spec() -> Value {
    json!({
        "gateways": ["gw"],
        "hosts": ["*"],
        "http": [{
            "match": [{"uri": {"prefix": "/"}}],
            "name": "primary",
            "route": [
                {"destination": {"host": "istio-rollout-stable"}, "weight": 100},
                {"destination": {"host": "istio-rollout-canary"}},
            ],
        }],
    })
}

#[test]
fn the_seed_route_gets_its_weights() {
    let targets = Targets {
        canary_service: "istio-rollout-canary",
        stable_service: "istio-rollout-stable",
        subsets: None,
    };
    for (weight, stable) in [(10, 90), (0, 100), (100, 0), (55, 45)] {
        let out = rewrite(&reference(&["primary"]), &seed_spec(), &targets, weight).expect("ok");
        let http = out.http.clone().expect("http");
        assert_eq!(http[0]["route"][0]["weight"], json!(stable), "{weight}");
        assert_eq!(http[0]["route"][1]["weight"], json!(weight), "{weight}");
        assert_eq!(http[0]["match"], seed_spec()["http"][0]["match"]);
        assert!(out.tls.is_none() && out.tcp.is_none());
        assert!(out.differs_from(&seed_spec()));
    }
}

#[test]
fn an_unchanged_route_is_not_written() {
    let spec = json!({"http": [{"route": [
        {"destination": {"host": "stable"}, "weight": 70},
        {"destination": {"host": "canary"}, "weight": 30},
    ]}]});
    let out = rewrite(&reference(&[]), &spec, &HOSTS, 30).expect("ok");
    assert!(!out.differs_from(&spec));
    assert!(
        rewrite(&reference(&[]), &spec, &HOSTS, 40)
            .expect("ok")
            .differs_from(&spec)
    );
}

#[test]
fn hosts_match_up_to_the_first_dot_and_other_routes_are_untouched() {
    let spec = json!({"http": [
        {"name": "other", "route": [{"destination": {"host": "elsewhere"}, "weight": 100}]},
        {"name": "main", "route": [
            {"destination": {"host": "stable.ns.svc.cluster.local", "port": {"number": 80}}, "weight": 100},
            {"destination": {"host": "canary.ns"}, "weight": 0},
            {"destination": {"host": "leftover"}, "weight": 5},
            {"destination": {"host": "idle"}, "weight": 0},
        ]},
    ]});
    let out = rewrite(&reference(&["main"]), &spec, &HOSTS, 20).expect("ok");
    let http = out.http.expect("http");
    assert_eq!(http[0], spec["http"][0]);
    assert_eq!(
        http[1]["route"],
        json!([
            {"destination": {"host": "stable.ns.svc.cluster.local", "port": {"number": 80}}, "weight": 80},
            {"destination": {"host": "canary.ns"}, "weight": 20},
            {"destination": {"host": "idle"}, "weight": 0},
        ])
    );
}

#[test]
fn subsets_split_one_host_and_additional_subsets_keep_their_share() {
    let additional = vec!["baseline".to_owned()];
    let targets = Targets {
        canary_service: "",
        stable_service: "",
        subsets: Some(("canary", "stable", &additional)),
    };
    let spec = json!({"http": [{"route": [
        {"destination": {"host": "svc", "subset": "stable"}, "weight": 90},
        {"destination": {"host": "svc", "subset": "canary"}, "weight": 0},
        {"destination": {"host": "svc", "subset": "baseline"}, "weight": 10},
    ]}]});
    let out = rewrite(&reference(&[]), &spec, &targets, 30).expect("ok");
    let weights: Vec<Value> = out.http.expect("http")[0]["route"]
        .as_array()
        .expect("route")
        .iter()
        .map(|d| d["weight"].clone())
        .collect();
    assert_eq!(weights, [json!(60), json!(30), json!(10)]);
}

#[test]
fn tls_and_tcp_routes_are_picked_by_port_and_sni() {
    let spec = json!({
        "tls": [
            {"match": [{"port": 443, "sniHosts": ["a.example"]}], "route": [
                {"destination": {"host": "stable"}, "weight": 100},
                {"destination": {"host": "canary"}, "weight": 0}]},
            {"match": [{"port": 443, "sniHosts": ["b.example"]}], "route": [
                {"destination": {"host": "stable"}, "weight": 100},
                {"destination": {"host": "canary"}, "weight": 0}]},
        ],
        "tcp": [
            {"match": [{"port": 3306}], "route": [
                {"destination": {"host": "stable"}, "weight": 100},
                {"destination": {"host": "canary"}, "weight": 0}]},
        ],
    });
    let mut reference = reference(&[]);
    reference.tls_routes = vec![TlsRoute {
        port: Some(443),
        sni_hosts: vec!["b.example".into()],
    }];
    let out = rewrite(&reference, &spec, &HOSTS, 25).expect("ok");
    let tls = out.tls.expect("tls");
    assert_eq!(tls[0], spec["tls"][0]);
    assert_eq!(tls[1]["route"][1]["weight"], json!(25));
    assert_eq!(out.tcp.expect("tcp")[0]["route"][0]["weight"], json!(75));

    reference.tcp_routes = vec![TcpRoute { port: Some(5432) }];
    assert_eq!(
        rewrite(&reference, &spec, &HOSTS, 25),
        Err(VirtualServiceError::NoMatchingTcpRoutes)
    );
}

#[test]
fn argo_errors() {
    let two_http = json!({"http": [
        {"name": "a", "route": [{"destination": {"host": "stable"}}, {"destination": {"host": "canary"}}]},
        {"name": "b", "route": [{"destination": {"host": "stable"}}]},
    ]});
    let cases: Vec<(&str, IstioVirtualService, Value, &str)> = vec![
        (
            "missing route",
            reference(&["primary"]),
            two_http.clone(),
            "HTTP Route 'primary' is not found in the defined Virtual Service.",
        ),
        (
            "ambiguous",
            reference(&[]),
            two_http.clone(),
            "spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes",
        ),
        (
            "no canary",
            reference(&["b"]),
            two_http.clone(),
            "Canary Service 'canary' not found in route",
        ),
        (
            "no stable",
            reference(&[]),
            json!({"http": [{"route": [{"destination": {"host": "canary"}}]}]}),
            "Stable Service 'stable' not found in route",
        ),
        (
            "not an object",
            reference(&[]),
            json!({"http": ["oops"]}),
            "Invalid casting: field 'http[]' is not of type 'map[string]interface'",
        ),
        (
            "ambiguous tls",
            reference(&[]),
            json!({"tls": [{"route": []}, {"route": []}]}),
            "spec.tls[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.tlsRoutes",
        ),
    ];
    for (name, reference, spec, message) in cases {
        let err = rewrite(&reference, &spec, &HOSTS, 10).expect_err(name);
        assert_eq!(err.to_string(), message, "{name}");
    }
    let subsets = Targets {
        subsets: Some(("c", "s", &[])),
        ..HOSTS
    };
    let spec = json!({"http": [{"route": [{"destination": {"host": "x", "subset": "s"}}]}]});
    assert_eq!(
        rewrite(&reference(&[]), &spec, &subsets, 10)
            .expect_err("subset")
            .to_string(),
        "Canary DestinationRule subset 'c' not found in route"
    );
}
