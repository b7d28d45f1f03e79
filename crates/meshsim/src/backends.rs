//! From a route destination to the pods behind it: host → Service → selector → Ready pods.

use crate::model::{Labels, Pod};

/// The Service a destination host names. Istio resolves a short host in the VirtualService's own
/// namespace; in `name.ns` or `name.ns.svc.cluster.local` the second label is the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceRef<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
}

pub fn service_ref(host: &str) -> ServiceRef<'_> {
    let mut labels = host.split('.');
    let name = labels.next().unwrap_or(host);
    let namespace = labels.next().filter(|ns| !ns.is_empty());
    ServiceRef { name, namespace }
}

/// The cluster-local name Istio puts in `destination_service`.
pub fn fqdn(service: &str, namespace: &str) -> String {
    format!("{service}.{namespace}.svc.cluster.local")
}

/// Whether a Service selector picks a pod: every selector label must be on the pod with the same
/// value (so a `rollouts-pod-template-hash` key pins one ReplicaSet). An empty selector picks
/// nothing: a Service without a selector gets no endpoints from Kubernetes.
pub fn selects(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty()
        && selector
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
}

/// The pods a Service sends traffic to: selected and Ready.
pub fn ready_backends<'a>(
    selector: &Labels,
    pods: impl IntoIterator<Item = &'a Pod>,
) -> Vec<&'a Pod> {
    pods.into_iter()
        .filter(|pod| pod.ready && selects(selector, &pod.labels))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn pod(name: &str, ready: bool, pairs: &[(&str, &str)]) -> Pod {
        Pod {
            name: name.into(),
            labels: labels(pairs),
            ready,
            image: None,
            workload: "w".into(),
        }
    }

    #[test]
    fn host_to_service() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("istio-rollout-stable", "istio-rollout-stable", None),
            ("reviews.prod", "reviews", Some("prod")),
            (
                "istio-rollout-canary.default.svc.cluster.local",
                "istio-rollout-canary",
                Some("default"),
            ),
            ("trailing.", "trailing", None),
            ("", "", None),
        ];
        for (host, name, namespace) in cases {
            assert_eq!(
                service_ref(host),
                ServiceRef {
                    name,
                    namespace: *namespace
                },
                "{host}"
            );
        }
        assert_eq!(fqdn("a", "b"), "a.b.svc.cluster.local");
    }

    #[test]
    fn selector_to_pods() {
        let hash = "rollouts-pod-template-hash";
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Pairs, Pairs, bool)] = &[
            (&[("app", "x")], &[("app", "x")], true),
            (&[("app", "x")], &[("app", "x"), (hash, "abc")], true),
            (
                &[("app", "x"), (hash, "abc")],
                &[("app", "x"), (hash, "abc")],
                true,
            ),
            (
                &[("app", "x"), (hash, "abc")],
                &[("app", "x"), (hash, "def")],
                false,
            ),
            (&[("app", "x"), (hash, "abc")], &[("app", "x")], false),
            (&[("app", "x")], &[("app", "y")], false),
            (&[], &[("app", "x")], false),
        ];
        for (selector, pod_labels, want) in cases {
            assert_eq!(
                selects(&labels(selector), &labels(pod_labels)),
                *want,
                "{selector:?} vs {pod_labels:?}"
            );
        }
    }

    #[test]
    fn only_ready_selected_pods_back_a_service() {
        let pods = [
            pod("stable-1", true, &[("app", "x"), ("h", "s")]),
            pod("stable-2", false, &[("app", "x"), ("h", "s")]),
            pod("canary-1", true, &[("app", "x"), ("h", "c")]),
            pod("other", true, &[("app", "y")]),
        ];
        let names = |selector: &[(&str, &str)]| -> Vec<String> {
            ready_backends(&labels(selector), &pods)
                .into_iter()
                .map(|p| p.name.clone())
                .collect()
        };
        assert_eq!(names(&[("app", "x")]), ["stable-1", "canary-1"]);
        assert_eq!(names(&[("app", "x"), ("h", "s")]), ["stable-1"]);
        assert_eq!(names(&[("app", "x"), ("h", "c")]), ["canary-1"]);
        assert!(names(&[("app", "z")]).is_empty());
    }
}
