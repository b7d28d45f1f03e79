//! Apply order. Objects other objects depend on go first: CRDs and Namespaces (so their kinds and
//! namespaces exist), configuration, Services, mesh routing, analysis templates, and finally workloads
//! such as Rollouts, which the rollout controller acts on as soon as they appear.

/// The wave an object is applied in; lower waves first, pruning in reverse.
pub fn wave(api_version: &str, kind: &str) -> u8 {
    let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
    match kind {
        "CustomResourceDefinition" | "Namespace" => 0,
        "ConfigMap"
        | "Secret"
        | "ServiceAccount"
        | "Role"
        | "ClusterRole"
        | "RoleBinding"
        | "ClusterRoleBinding"
        | "LimitRange"
        | "ResourceQuota"
        | "PersistentVolumeClaim"
        | "StorageClass"
        | "PriorityClass" => 1,
        "Service" | "Endpoints" => 2,
        _ if group.ends_with("istio.io") => 3,
        "AnalysisTemplate" | "ClusterAnalysisTemplate" => 4,
        _ => 5,
    }
}

/// Sort key that applies in wave order and, within a wave, by kind, namespace and name (stable output).
pub fn apply_key<'a>(
    api_version: &'a str,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
) -> (u8, &'a str, &'a str, &'a str) {
    (wave(api_version, kind), kind, namespace, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waves_follow_dependencies() {
        let cases = [
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition", 0),
            ("v1", "Namespace", 0),
            ("v1", "ConfigMap", 1),
            ("rbac.authorization.k8s.io/v1", "ClusterRole", 1),
            ("v1", "Service", 2),
            ("networking.istio.io/v1alpha3", "VirtualService", 3),
            ("networking.istio.io/v1beta1", "Gateway", 3),
            ("security.istio.io/v1", "AuthorizationPolicy", 3),
            ("argoproj.io/v1alpha1", "AnalysisTemplate", 4),
            ("argoproj.io/v1alpha1", "Rollout", 5),
            ("apps/v1", "Deployment", 5),
        ];
        for (av, kind, want) in cases {
            assert_eq!(wave(av, kind), want, "{av} {kind}");
        }
    }

    #[test]
    fn seed_order() {
        let mut objs = [
            (
                "argoproj.io/v1alpha1",
                "Rollout",
                "default",
                "istio-rollout",
            ),
            (
                "networking.istio.io/v1alpha3",
                "VirtualService",
                "default",
                "istio-rollout-vsvc",
            ),
            ("v1", "Service", "default", "istio-rollout-stable"),
            (
                "argoproj.io/v1alpha1",
                "AnalysisTemplate",
                "default",
                "istio-success-rate",
            ),
            ("v1", "Service", "default", "istio-rollout-canary"),
            (
                "networking.istio.io/v1beta1",
                "Gateway",
                "default",
                "istio-rollout-gateway",
            ),
        ];
        objs.sort_by_key(|(a, k, n, m)| apply_key(a, k, n, m));
        let names: Vec<&str> = objs.iter().map(|o| o.3).collect();
        assert_eq!(
            names,
            vec![
                "istio-rollout-canary",
                "istio-rollout-stable",
                "istio-rollout-gateway",
                "istio-rollout-vsvc",
                "istio-success-rate",
                "istio-rollout"
            ]
        );
    }
}
