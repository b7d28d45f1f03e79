//! Checks of `trafficRouting`: only Istio is implemented, and its VirtualService routes must exist
//! and lead to both the canary and the stable destination, as Argo checks before writing weights.

use std::collections::BTreeSet;

use super::{CANARY, Problems, References, RouteDestination, VirtualServiceRoutes};
use crate::api::{
    CanaryStrategy, IstioDestinationRule, IstioVirtualService, Rollout, RolloutTrafficRouting,
    virtual_service_name_namespace,
};

const ROUTING: &str = "spec.strategy.canary.trafficRouting";

pub(super) fn check_traffic_routing(
    routing: &RolloutTrafficRouting,
    canary: &CanaryStrategy,
    rollout: &Rollout,
    refs: &References,
    problems: &mut Problems,
) {
    let others = [
        ("nginx", routing.nginx.is_some()),
        ("alb", routing.alb.is_some()),
        ("smi", routing.smi.is_some()),
        ("ambassador", routing.ambassador.is_some()),
        ("appMesh", routing.app_mesh.is_some()),
        ("traefik", routing.traefik.is_some()),
        ("apisix", routing.apisix.is_some()),
        ("plugins", routing.plugins.is_some()),
        ("managedRoutes", routing.managed_routes.is_some()),
        ("maxTrafficWeight", routing.max_traffic_weight.is_some()),
    ];
    for (field, _) in others.iter().filter(|(_, present)| *present) {
        problems.unsupported(format!("{ROUTING}.{field}"));
    }
    let Some(istio) = &routing.istio else {
        if !others.iter().any(|(_, present)| *present) {
            problems.push(
                ROUTING,
                "no traffic router is configured; gitcanary implements trafficRouting.istio",
            );
        }
        return;
    };
    let istio_field = format!("{ROUTING}.istio");
    let services = Services::of(canary);
    if istio.destination_rule.is_none() {
        for (field, name) in [
            ("canaryService", services.canary),
            ("stableService", services.stable),
        ] {
            if name.is_empty() {
                problems.push(
                    format!("{CANARY}.{field}"),
                    "Canary service and Stable service must to be set to use Traffic Routing",
                );
            }
        }
    }
    if let Some(rule) = &istio.destination_rule {
        check_destination_rule(
            &format!("{istio_field}.destinationRule"),
            rule,
            refs,
            problems,
        );
    }
    let configured: Vec<(String, &IstioVirtualService)> =
        match (&istio.virtual_service, istio.virtual_services.as_slice()) {
            (Some(single), []) => vec![(format!("{istio_field}.virtualService"), single)],
            (None, several) if !several.is_empty() => several
                .iter()
                .enumerate()
                .map(|(i, vs)| (format!("{istio_field}.virtualServices[{i}]"), vs))
                .collect(),
            _ => {
                problems.push(
                    &istio_field,
                    "either VirtualService or VirtualServices must be configured",
                );
                return;
            }
        };
    let target = Target {
        services,
        rule: istio.destination_rule.as_ref(),
    };
    for (field, reference) in configured {
        check_virtual_service(&field, reference, rollout, refs, &target, problems);
    }
}

/// The canary and stable Service names, empty when unset.
#[derive(Clone, Copy)]
struct Services<'a> {
    canary: &'a str,
    stable: &'a str,
}

impl<'a> Services<'a> {
    fn of(canary: &'a CanaryStrategy) -> Self {
        Services {
            canary: canary.canary_service.as_deref().unwrap_or_default(),
            stable: canary.stable_service.as_deref().unwrap_or_default(),
        }
    }
}

/// What every selected route must lead to.
struct Target<'a> {
    services: Services<'a>,
    rule: Option<&'a IstioDestinationRule>,
}

fn check_destination_rule(
    field: &str,
    rule: &IstioDestinationRule,
    refs: &References,
    problems: &mut Problems,
) {
    for (name, value) in [
        ("name", &rule.name),
        ("canarySubsetName", &rule.canary_subset_name),
        ("stableSubsetName", &rule.stable_subset_name),
    ] {
        if value.is_empty() {
            problems.push(format!("{field}.{name}"), format!("{name} is required"));
        }
    }
    if !rule.canary_subset_name.is_empty() && rule.canary_subset_name == rule.stable_subset_name {
        problems.push(
            format!("{field}.stableSubsetName"),
            "the canary and stable subsets must differ",
        );
    }
    let Some(rules) = &refs.destination_rules else {
        return;
    };
    let Some(subsets) = rules.get(&rule.name) else {
        if !rule.name.is_empty() {
            problems.push(
                format!("{field}.name"),
                format!("DestinationRule '{}' not found", rule.name),
            );
        }
        return;
    };
    for (key, subset) in [
        ("canarySubsetName", &rule.canary_subset_name),
        ("stableSubsetName", &rule.stable_subset_name),
    ]
    .into_iter()
    .chain(
        rule.additional_subset_names
            .iter()
            .map(|s| ("additionalSubsetNames", s)),
    ) {
        if !subset.is_empty() && !subsets.contains(subset) {
            problems.push(
                format!("{field}.{key}"),
                format!(
                    "subset '{subset}' not found in DestinationRule '{}'",
                    rule.name
                ),
            );
        }
    }
}

fn check_virtual_service(
    field: &str,
    reference: &IstioVirtualService,
    rollout: &Rollout,
    refs: &References,
    target: &Target<'_>,
    problems: &mut Problems,
) {
    if reference.name.is_empty() {
        problems.push(format!("{field}.name"), "name is required");
        return;
    }
    let Some(known) = &refs.virtual_services else {
        return;
    };
    let (name, namespace) = virtual_service_name_namespace(&reference.name);
    let local = namespace.is_none() || namespace == rollout.metadata.namespace.as_deref();
    let key = match namespace {
        Some(ns) if !local => format!("{ns}/{name}"),
        _ => name.to_owned(),
    };
    let Some(routes) = known.get(&key) else {
        problems.push(
            format!("{field}.name"),
            format!("VirtualService '{}' not found", reference.name),
        );
        return;
    };
    check_http_routes(field, reference, routes, target, problems);
    check_l4_routes(field, Protocol::Tls, reference, routes, target, problems);
    check_l4_routes(field, Protocol::Tcp, reference, routes, target, problems);
}

/// Argo's route selection for HTTP: the named routes, or the only route when none is named.
fn check_http_routes(
    field: &str,
    reference: &IstioVirtualService,
    routes: &VirtualServiceRoutes,
    target: &Target<'_>,
    problems: &mut Problems,
) {
    if reference.routes.is_empty() {
        match routes.http.as_slice() {
            [] => {}
            [only] => check_destinations(&format!("{field}.name"), &only.destinations, target, problems),
            _ => problems.push(
                format!("{field}.routes"),
                "spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes",
            ),
        }
        return;
    }
    for (index, wanted) in reference.routes.iter().enumerate() {
        let route_field = format!("{field}.routes[{index}]");
        match routes
            .http
            .iter()
            .find(|r| r.name.as_deref() == Some(wanted.as_str()))
        {
            Some(route) => check_destinations(&route_field, &route.destinations, target, problems),
            None => problems.push(
                route_field,
                format!("HTTP Route '{wanted}' is not found in the defined Virtual Service."),
            ),
        }
    }
}

#[derive(Clone, Copy)]
enum Protocol {
    Tls,
    Tcp,
}

impl Protocol {
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Protocol::Tls => ("tls", "tlsRoutes", "TLS"),
            Protocol::Tcp => ("tcp", "tcpRoutes", "TCP"),
        }
    }
}

/// Argo's route selection for TLS and TCP: by port (and SNI hosts as a set), or the only route.
fn check_l4_routes(
    field: &str,
    protocol: Protocol,
    reference: &IstioVirtualService,
    routes: &VirtualServiceRoutes,
    target: &Target<'_>,
    problems: &mut Problems,
) {
    let (section, key, label) = protocol.names();
    let (available, wanted): (_, Vec<(i64, BTreeSet<&str>)>) = match protocol {
        Protocol::Tls => (
            &routes.tls,
            reference
                .tls_routes
                .iter()
                .map(|r| {
                    (
                        r.port.unwrap_or(0),
                        r.sni_hosts.iter().map(String::as_str).collect(),
                    )
                })
                .collect(),
        ),
        Protocol::Tcp => (
            &routes.tcp,
            reference
                .tcp_routes
                .iter()
                .map(|r| (r.port.unwrap_or(0), BTreeSet::new()))
                .collect(),
        ),
    };
    if wanted.is_empty() {
        match available.as_slice() {
            [] => {}
            [only] => check_destinations(&format!("{field}.name"), &only.destinations, target, problems),
            _ => problems.push(
                format!("{field}.{key}"),
                format!(
                    "spec.{section}[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.{key}"
                ),
            ),
        }
        return;
    }
    for (index, (port, sni_hosts)) in wanted.iter().enumerate() {
        let route_field = format!("{field}.{key}[{index}]");
        let selected: Vec<_> = available
            .iter()
            .filter(|route| {
                let ports: BTreeSet<i64> =
                    route.matches.iter().map(|m| m.port.unwrap_or(0)).collect();
                let route_port = ports.iter().next().copied().unwrap_or(0);
                let route_hosts: BTreeSet<&str> = route
                    .matches
                    .iter()
                    .flat_map(|m| m.sni_hosts.iter().map(String::as_str))
                    .collect();
                ports.len() <= 1
                    && route_port == *port
                    && (matches!(protocol, Protocol::Tcp) || route_hosts == *sni_hosts)
            })
            .collect();
        if selected.is_empty() {
            problems.push(
                &route_field,
                format!("No matching {label} routes found in the defined Virtual Service."),
            );
        }
        for route in selected {
            check_destinations(&route_field, &route.destinations, target, problems);
        }
    }
}

/// A Service named by a destination host: Argo compares only up to the first dot.
fn short_host(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

/// Argo's rule: with a DestinationRule the route must lead to both subsets, otherwise to both
/// Services (Argo stops at the first miss; both are reported here).
fn check_destinations(
    field: &str,
    destinations: &[RouteDestination],
    target: &Target<'_>,
    problems: &mut Problems,
) {
    if let Some(rule) = target.rule {
        let has_subset = |subset: &str| {
            destinations
                .iter()
                .any(|d| d.subset.as_deref() == Some(subset))
        };
        for (role, subset) in [
            ("Canary", &rule.canary_subset_name),
            ("Stable", &rule.stable_subset_name),
        ] {
            if !subset.is_empty() && !has_subset(subset) {
                problems.push(
                    field,
                    format!("{role} DestinationRule subset '{subset}' not found in route"),
                );
            }
        }
        return;
    }
    let Services { canary, stable } = target.services;
    let has_host = |service: &str| destinations.iter().any(|d| short_host(&d.host) == service);
    for (role, service) in [("Canary", canary), ("Stable", stable)] {
        if !service.is_empty() && !has_host(service) {
            problems.push(
                field,
                format!("{role} Service '{service}' not found in route"),
            );
        }
    }
}
