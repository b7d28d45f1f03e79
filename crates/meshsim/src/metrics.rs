//! `istio_requests_total` with the labels Istio's proxies report, so the seed's Prometheus query
//! (`reporter="source"`, `destination_service=~"<svc>.<ns>.svc.cluster.local"`, `response_code!~"5.*"`)
//! reads meshsim as it reads a real mesh.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::colour::UNKNOWN;
use crate::exchange::Exchange;

/// All simulated traffic enters through the ingress gateway.
const SOURCE_WORKLOAD: &str = "istio-ingressgateway";
const SOURCE_NAMESPACE: &str = "istio-system";

/// Every value is a colour, a code, a flag or the name of a Service or workload in the watched
/// namespace, so the number of series stays bounded (no pod names, no paths).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub reporter: &'static str,
    pub source_workload: &'static str,
    pub source_workload_namespace: &'static str,
    pub destination_service: String,
    pub destination_service_name: String,
    pub destination_service_namespace: String,
    pub destination_workload: String,
    pub destination_workload_namespace: String,
    pub destination_version: &'static str,
    pub request_protocol: &'static str,
    pub response_code: String,
    pub response_flags: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct MeshMetrics {
    requests: Family<RequestLabels, Counter>,
}

impl MeshMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = MeshMetrics::default();
        // The client library appends `_total` to counters.
        registry.register(
            "istio_requests",
            "Requests through the simulated mesh, as Istio's proxies count them",
            metrics.requests.clone(),
        );
        metrics
    }

    /// Counts one request as the gateway (`source`) saw it and, when a pod answered, as that pod's
    /// sidecar (`destination`) saw it too.
    pub fn record(&self, exchange: &Exchange<'_>) {
        for labels in labels(exchange) {
            self.requests.get_or_create(&labels).inc();
        }
    }
}

/// The label sets one request is counted under.
pub fn labels(exchange: &Exchange<'_>) -> Vec<RequestLabels> {
    let (service, name, namespace) = match &exchange.target {
        Some(t) => (t.fqdn(), t.name.clone(), t.namespace.clone()),
        None => (UNKNOWN.into(), UNKNOWN.into(), UNKNOWN.into()),
    };
    let (workload, workload_namespace) = match exchange.pod {
        Some(pod) => (pod.workload.clone(), namespace.clone()),
        None => (UNKNOWN.into(), UNKNOWN.into()),
    };
    let source = RequestLabels {
        reporter: "source",
        source_workload: SOURCE_WORKLOAD,
        source_workload_namespace: SOURCE_NAMESPACE,
        destination_service: service,
        destination_service_name: name,
        destination_service_namespace: namespace,
        destination_workload: workload,
        destination_workload_namespace: workload_namespace,
        destination_version: exchange.colour().unwrap_or(UNKNOWN),
        request_protocol: "http",
        response_code: exchange.code.to_string(),
        response_flags: exchange.flags,
    };
    match exchange.pod {
        Some(_) => {
            let destination = RequestLabels {
                reporter: "destination",
                ..source.clone()
            };
            vec![source, destination]
        }
        None => vec![source],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::Target;
    use crate::model::Pod;

    fn encode(registry: &Registry) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, registry).expect("encodes");
        out
    }

    #[test]
    fn a_served_request_is_reported_by_both_proxies() {
        let pod = Pod {
            name: "istio-rollout-abc-x".into(),
            labels: Default::default(),
            ready: true,
            image: Some("argoproj/rollouts-demo:yellow".into()),
            workload: "istio-rollout".into(),
        };
        let exchange = Exchange {
            code: 500,
            flags: "-",
            target: Some(Target {
                name: "istio-rollout-canary".into(),
                namespace: "default".into(),
            }),
            pod: Some(&pod),
        };
        let mut registry = Registry::default();
        let metrics = MeshMetrics::register(&mut registry);
        metrics.record(&exchange);
        metrics.record(&exchange);
        let text = encode(&registry);
        let source = text
            .lines()
            .find(|l| l.contains("reporter=\"source\""))
            .expect("a source series");
        assert!(source.starts_with("istio_requests_total{"), "{source}");
        for label in [
            "source_workload=\"istio-ingressgateway\"",
            "destination_service=\"istio-rollout-canary.default.svc.cluster.local\"",
            "destination_service_name=\"istio-rollout-canary\"",
            "destination_service_namespace=\"default\"",
            "destination_workload=\"istio-rollout\"",
            "destination_version=\"yellow\"",
            "response_code=\"500\"",
            "request_protocol=\"http\"",
        ] {
            assert!(source.contains(label), "{label} missing from {source}");
        }
        assert!(source.ends_with(" 2"), "{source}");
        assert!(text.contains("reporter=\"destination\""));
    }

    #[test]
    fn unanswered_requests_only_have_a_source_report() {
        let exchange = Exchange {
            code: 404,
            flags: "NR",
            target: None,
            pod: None,
        };
        let sets = labels(&exchange);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].destination_service, "unknown");
        assert_eq!(sets[0].destination_version, "unknown");
        assert_eq!(sets[0].response_flags, "NR");
    }
}
