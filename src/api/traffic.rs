//! `spec.strategy.canary.trafficRouting`: where canary weights are applied. gitcanary speaks Istio
//! (and Alibaba Cloud ASM, which serves the same API); the other providers are stored, not run.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::{null_as_default, preserve_unknown_list, preserve_unknown_object};

/// Traffic routing providers; gitcanary implements `istio` only.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutTrafficRouting {
    /// Weights written into Istio VirtualServices, optionally with DestinationRule subsets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub istio: Option<IstioTrafficRouting>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub nginx: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub alb: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub smi: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub ambassador: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub app_mesh: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub traefik: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub apisix: Option<serde_json::Value>,
    /// Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub plugins: Option<serde_json::Value>,
    /// Argo's header/mirror routes managed by the controller. Not implemented by gitcanary (nor the
    /// steps that need it); kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_list")]
    pub managed_routes: Option<serde_json::Value>,
    /// Argo allows it with Nginx and plugins only; Istio weights are always out of 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_traffic_weight: Option<i32>,
}

/// `trafficRouting.istio`: exactly one of `virtualService` and `virtualServices`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IstioTrafficRouting {
    /// The VirtualService whose route weights are rewritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_service: Option<IstioVirtualService>,
    /// Several VirtualServices rewritten together (e.g. one per gateway).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub virtual_services: Vec<IstioVirtualService>,
    /// Split by subsets of one host instead of by two Services: the subsets' pod hash labels are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_rule: Option<IstioDestinationRule>,
}

/// A VirtualService and which of its routes carry the canary weights.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IstioVirtualService {
    /// `name`, or `name.namespace` for a VirtualService in another namespace.
    pub name: String,
    /// Names of the HTTP routes to rewrite; may be omitted when the VirtualService has one HTTP route.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub routes: Vec<String>,
    /// TLS routes to rewrite, picked by port and SNI hosts.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tls_routes: Vec<TlsRoute>,
    /// TCP routes to rewrite, picked by port.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tcp_routes: Vec<TcpRoute>,
}

/// Selects the TLS routes whose match has this port and exactly these SNI hosts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsRoute {
    /// Port of the route's match (0 or absent: a match without port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// SNI hosts of the route's match, compared as a set.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sni_hosts: Vec<String>,
}

/// Selects the TCP routes whose match has this port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TcpRoute {
    /// Port of the route's match (0 or absent: a match without port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
}

/// A DestinationRule whose subsets select the canary and stable pods by pod template hash.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IstioDestinationRule {
    /// Name of the DestinationRule.
    pub name: String,
    /// Subset pointed at the canary pods.
    pub canary_subset_name: String,
    /// Subset pointed at the stable pods.
    pub stable_subset_name: String,
    /// Other subsets that keep their weight and labels (e.g. a baseline the user manages).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_subset_names: Vec<String>,
}

impl IstioTrafficRouting {
    /// Every configured VirtualService, however it was written.
    pub fn all_virtual_services(&self) -> Vec<&IstioVirtualService> {
        self.virtual_service
            .iter()
            .chain(&self.virtual_services)
            .collect()
    }
}

/// Splits Argo's VirtualService reference `name[.namespace[.…]]` the way Argo does: the first
/// dot-separated field is the name, the second (if any) the namespace, the rest is ignored, so
/// `vs.prod.svc.cluster.local` means `vs` in `prod`.
pub fn virtual_service_name_namespace(reference: &str) -> (&str, Option<&str>) {
    let mut fields = reference.split('.');
    let name = fields.next().unwrap_or_default();
    (name, fields.next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_service_references_split_like_argo() {
        let cases = [
            ("vsvc", ("vsvc", None)),
            ("vsvc.prod", ("vsvc", Some("prod"))),
            ("vsvc.prod.svc.cluster.local", ("vsvc", Some("prod"))),
            ("vsvc.prod.extra", ("vsvc", Some("prod"))),
        ];
        for (input, expected) in cases {
            assert_eq!(virtual_service_name_namespace(input), expected, "{input}");
        }
    }
}
