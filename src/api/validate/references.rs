//! What validation knows about the objects a Rollout refers to. Each kind is optional: `None` means
//! "not known here" (e.g. offline, or not yet synced) and skips the checks that need it, so a
//! missing object is only reported when we actually looked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The objects a Rollout may refer to. Keys are object names in the Rollout's namespace; a
/// VirtualService in another namespace is keyed `namespace/name`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct References {
    /// Service names.
    pub services: Option<BTreeSet<String>>,
    /// VirtualServices with their routes.
    pub virtual_services: Option<BTreeMap<String, VirtualServiceRoutes>>,
    /// DestinationRules with their subset names.
    pub destination_rules: Option<BTreeMap<String, BTreeSet<String>>>,
    /// AnalysisTemplate names.
    pub analysis_templates: Option<BTreeSet<String>>,
    /// ClusterAnalysisTemplate names.
    pub cluster_analysis_templates: Option<BTreeSet<String>>,
}

/// The routes of a VirtualService that weights can be written to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VirtualServiceRoutes {
    /// `spec.http[]`, in order.
    pub http: Vec<HttpRouteInfo>,
    /// `spec.tls[]`, in order.
    pub tls: Vec<L4RouteInfo>,
    /// `spec.tcp[]`, in order.
    pub tcp: Vec<L4RouteInfo>,
}

/// An HTTP route: its name and weighted destinations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpRouteInfo {
    /// `name`, which Rollouts use to pick the route.
    pub name: Option<String>,
    /// `route[].destination`.
    pub destinations: Vec<RouteDestination>,
}

/// A TLS or TCP route: what it matches and its destinations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct L4RouteInfo {
    /// `match[]`.
    pub matches: Vec<L4Match>,
    /// `route[].destination`.
    pub destinations: Vec<RouteDestination>,
}

/// One `match` block of a TLS or TCP route.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct L4Match {
    /// `port`.
    pub port: Option<i64>,
    /// `sniHosts` (TLS only).
    pub sni_hosts: Vec<String>,
}

/// A `destination`: a host (a Service name, possibly qualified) and an optional subset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteDestination {
    /// `host`, e.g. `stable`, `stable.ns` or `stable.ns.svc.cluster.local`.
    pub host: String,
    /// `subset` of a DestinationRule.
    pub subset: Option<String>,
}

fn items<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn destinations(route: &Value) -> Vec<RouteDestination> {
    items(route, "route")
        .filter_map(|r| r.get("destination"))
        .map(|d| RouteDestination {
            host: string(d, "host").unwrap_or_default(),
            subset: string(d, "subset"),
        })
        .collect()
}

fn l4_routes(spec: &Value, key: &str) -> Vec<L4RouteInfo> {
    items(spec, key)
        .map(|route| L4RouteInfo {
            matches: items(route, "match")
                .map(|m| L4Match {
                    port: m.get("port").and_then(Value::as_i64),
                    sni_hosts: items(m, "sniHosts")
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                })
                .collect(),
            destinations: destinations(route),
        })
        .collect()
}

impl VirtualServiceRoutes {
    /// Reads the routes from a VirtualService `spec` (any version), ignoring anything malformed:
    /// the API server and Istio validate the VirtualService itself.
    pub fn from_spec(spec: &Value) -> Self {
        VirtualServiceRoutes {
            http: items(spec, "http")
                .map(|route| HttpRouteInfo {
                    name: string(route, "name"),
                    destinations: destinations(route),
                })
                .collect(),
            tls: l4_routes(spec, "tls"),
            tcp: l4_routes(spec, "tcp"),
        }
    }
}

/// Subset names of a DestinationRule `spec`.
pub fn destination_rule_subsets(spec: &Value) -> BTreeSet<String> {
    items(spec, "subsets")
        .filter_map(|s| string(s, "name"))
        .collect()
}

impl References {
    /// Everything a set of manifests (e.g. one Git snapshot) defines, as seen from a Rollout in
    /// `namespace` (`None`: objects without a namespace count as the Rollout's). Every kind is
    /// marked known, so anything referenced but absent is reported; set a kind back to `None` when
    /// the manifests are not the whole picture.
    pub fn from_manifests<'a>(
        manifests: impl IntoIterator<Item = &'a Value>,
        namespace: Option<&str>,
    ) -> Self {
        let mut refs = References {
            services: Some(BTreeSet::new()),
            virtual_services: Some(BTreeMap::new()),
            destination_rules: Some(BTreeMap::new()),
            analysis_templates: Some(BTreeSet::new()),
            cluster_analysis_templates: Some(BTreeSet::new()),
        };
        for manifest in manifests {
            let group = manifest
                .get("apiVersion")
                .and_then(Value::as_str)
                .and_then(|v| v.rsplit_once('/'))
                .map_or("", |(group, _)| group);
            let kind = manifest
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let metadata = manifest.get("metadata").unwrap_or(&Value::Null);
            let Some(name) = string(metadata, "name") else {
                continue;
            };
            let object_namespace = string(metadata, "namespace");
            let local = object_namespace.is_none() || object_namespace.as_deref() == namespace;
            let spec = manifest.get("spec").unwrap_or(&Value::Null);
            match (group, kind) {
                ("", "Service") if local => insert(&mut refs.services, name),
                ("networking.istio.io", "VirtualService") => {
                    let key = match object_namespace {
                        Some(ns) if !local => format!("{ns}/{name}"),
                        _ => name,
                    };
                    if let Some(map) = &mut refs.virtual_services {
                        map.insert(key, VirtualServiceRoutes::from_spec(spec));
                    }
                }
                ("networking.istio.io", "DestinationRule") if local => {
                    if let Some(map) = &mut refs.destination_rules {
                        map.insert(name, destination_rule_subsets(spec));
                    }
                }
                ("argoproj.io", "AnalysisTemplate") if local => {
                    insert(&mut refs.analysis_templates, name)
                }
                ("argoproj.io", "ClusterAnalysisTemplate") => {
                    insert(&mut refs.cluster_analysis_templates, name)
                }
                _ => {}
            }
        }
        refs
    }
}

fn insert(set: &mut Option<BTreeSet<String>>, name: String) {
    if let Some(set) = set {
        set.insert(name);
    }
}
