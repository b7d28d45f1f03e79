//! The live weights in the VirtualServices a Rollout manages: what the mesh is told, next to what
//! the Rollout's status says it wrote.

use serde::Serialize;
use serde_json::Value;

use crate::api::Rollout;
use crate::rollout::referenced;

/// A VirtualService as read from the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveVirtualService {
    pub namespace: String,
    pub name: String,
    pub spec: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualServiceView {
    pub namespace: String,
    pub name: String,
    /// False when the Rollout names a VirtualService that does not exist.
    pub found: bool,
    pub routes: Vec<RouteView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteView {
    /// `http`, `tls` or `tcp`.
    pub section: &'static str,
    /// The route's name, or its position (`#0`).
    pub name: String,
    pub destinations: Vec<DestinationView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationView {
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// Absent in the spec means the destination gets everything left (Istio's rule); shown as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

fn routes(spec: &Value) -> Vec<RouteView> {
    let mut out = vec![];
    for section in ["http", "tls", "tcp"] {
        let list = spec.get(section).and_then(Value::as_array);
        for (i, route) in list.into_iter().flatten().enumerate() {
            let destinations = route
                .get("route")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|d| DestinationView {
                    host: d["destination"]["host"].as_str().unwrap_or("").to_string(),
                    subset: d["destination"]["subset"].as_str().map(str::to_string),
                    weight: d.get("weight").and_then(Value::as_i64),
                })
                .collect();
            out.push(RouteView {
                section,
                name: route["name"]
                    .as_str()
                    .map_or_else(|| format!("#{i}"), str::to_string),
                destinations,
            });
        }
    }
    out
}

/// The VirtualServices `rollout` names, in its order, each with its routes as live.
pub fn virtual_services(rollout: &Rollout, live: &[LiveVirtualService]) -> Vec<VirtualServiceView> {
    let own_ns = rollout.metadata.namespace.clone().unwrap_or_default();
    referenced(rollout)
        .virtual_services
        .into_iter()
        .map(|(_, name, ns)| {
            let namespace = ns.unwrap_or_else(|| own_ns.clone());
            let found = live
                .iter()
                .find(|v| v.name == name && v.namespace == namespace);
            VirtualServiceView {
                found: found.is_some(),
                routes: found.map(|v| routes(&v.spec)).unwrap_or_default(),
                namespace,
                name,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn routes_of_the_named_virtual_services() {
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "r", "namespace": "apps"},
            "spec": {"strategy": {"canary": {"trafficRouting": {"istio": {"virtualServices": [
                {"name": "vs", "routes": ["primary"]}, {"name": "gone.other"}
            ]}}}}},
        }))
        .expect("rollout");
        let live = [
            LiveVirtualService {
                namespace: "apps".into(),
                name: "vs".into(),
                spec: json!({"http": [
                    {"name": "primary", "route": [
                        {"destination": {"host": "r-stable"}, "weight": 90},
                        {"destination": {"host": "r-canary"}, "weight": 10}]},
                    {"route": [{"destination": {"host": "other", "subset": "v1"}}]}
                ]}),
            },
            LiveVirtualService {
                namespace: "other-ns".into(),
                name: "vs".into(),
                spec: json!({}),
            },
        ];
        let got = virtual_services(&rollout, &live);
        assert_eq!(got.len(), 2);
        assert!(got[0].found);
        let weights: Vec<(String, Option<i64>)> = got[0].routes[0]
            .destinations
            .iter()
            .map(|d| (d.host.clone(), d.weight))
            .collect();
        assert_eq!(
            weights,
            [("r-stable".into(), Some(90)), ("r-canary".into(), Some(10))]
        );
        assert_eq!(got[0].routes[1].name, "#1");
        assert_eq!(
            got[0].routes[1].destinations[0].subset.as_deref(),
            Some("v1")
        );
        assert_eq!(
            (
                got[1].name.as_str(),
                got[1].namespace.as_str(),
                got[1].found
            ),
            ("gone", "other", false)
        );
    }
}
