//! Rewriting VirtualService weights (§4.2). The route lists are atomic on the server, so the
//! result is each whole list, computed from the live one with only the selected routes' weights
//! changed; everything else (other routes, matches, retries, unknown fields) is kept as read.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::steps::MAX_WEIGHT;
use crate::api::IstioVirtualService;

/// Why weights cannot be written; the texts are Argo's, so searches for them lead somewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VirtualServiceError {
    #[error("HTTP Route '{route}' is not found in the defined Virtual Service.")]
    HttpRouteNotFound { route: String },
    #[error("No matching TLS routes found in the defined Virtual Service.")]
    NoMatchingTlsRoutes,
    #[error("No matching TCP routes found in the defined Virtual Service.")]
    NoMatchingTcpRoutes,
    #[error(
        "spec.{section}[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.{key}"
    )]
    AmbiguousRoutes {
        section: &'static str,
        key: &'static str,
    },
    #[error("Canary Service '{service}' not found in route")]
    CanaryServiceNotInRoute { service: String },
    #[error("Stable Service '{service}' not found in route")]
    StableServiceNotInRoute { service: String },
    #[error("Canary DestinationRule subset '{subset}' not found in route")]
    CanarySubsetNotInRoute { subset: String },
    #[error("Stable DestinationRule subset '{subset}' not found in route")]
    StableSubsetNotInRoute { subset: String },
    #[error("Invalid casting: field '{field}' is not of type 'map[string]interface'")]
    InvalidCasting { field: String },
}

/// Where canary and stable traffic goes: two Services (host level) or two subsets of one
/// DestinationRule (subset level), plus subsets whose weights are left alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct Targets<'a> {
    pub canary_service: &'a str,
    pub stable_service: &'a str,
    /// `(canary, stable, additional)` subset names when a DestinationRule is used.
    pub subsets: Option<(&'a str, &'a str, &'a [String])>,
}

/// The new route lists; `None` for a section the VirtualService does not have.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rewritten {
    pub http: Option<Value>,
    pub tls: Option<Value>,
    pub tcp: Option<Value>,
}

impl Rewritten {
    /// Whether writing would change anything in `spec`.
    pub fn differs_from(&self, spec: &Value) -> bool {
        [("http", &self.http), ("tls", &self.tls), ("tcp", &self.tcp)]
            .into_iter()
            .any(|(key, new)| new.as_ref().is_some_and(|new| spec.get(key) != Some(new)))
    }
}

/// A Service named by a destination host: Argo compares only up to the first dot.
pub fn short_host(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Canary,
    Stable,
    Additional,
    Other,
}

fn role(destination: &Value, targets: &Targets<'_>) -> Role {
    let host = destination
        .pointer("/destination/host")
        .and_then(Value::as_str)
        .map(short_host)
        .unwrap_or_default();
    let subset = destination
        .pointer("/destination/subset")
        .and_then(Value::as_str);
    let named = |service: &str| !service.is_empty() && host == service;
    match targets.subsets {
        Some((canary, stable, additional)) => match subset {
            Some(s) if s == canary => Role::Canary,
            Some(s) if s == stable => Role::Stable,
            Some(s) if additional.iter().any(|a| a == s) => Role::Additional,
            _ => Role::Other,
        },
        None if named(targets.canary_service) => Role::Canary,
        None if named(targets.stable_service) => Role::Stable,
        None => Role::Other,
    }
}

fn weight_of(destination: &Value) -> i64 {
    destination
        .get("weight")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Sets the weights of one selected route: canary := `canary_weight`, stable := the rest minus what
/// additional subsets keep; destinations that are neither are dropped unless they carry no weight.
fn rewrite_route(
    route: &Value,
    field: &str,
    targets: &Targets<'_>,
    canary_weight: i32,
) -> Result<Value, VirtualServiceError> {
    let Some(object) = route.as_object() else {
        return Err(VirtualServiceError::InvalidCasting {
            field: field.to_owned(),
        });
    };
    let destinations = object
        .get("route")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |wanted: Role| destinations.iter().any(|d| role(d, targets) == wanted);
    match targets.subsets {
        Some((canary, stable, _)) => {
            if !has(Role::Canary) {
                return Err(VirtualServiceError::CanarySubsetNotInRoute {
                    subset: canary.to_owned(),
                });
            }
            if !has(Role::Stable) {
                return Err(VirtualServiceError::StableSubsetNotInRoute {
                    subset: stable.to_owned(),
                });
            }
        }
        None => {
            if !has(Role::Canary) {
                return Err(VirtualServiceError::CanaryServiceNotInRoute {
                    service: targets.canary_service.to_owned(),
                });
            }
            if !has(Role::Stable) {
                return Err(VirtualServiceError::StableServiceNotInRoute {
                    service: targets.stable_service.to_owned(),
                });
            }
        }
    }
    let kept: i64 = destinations
        .iter()
        .filter(|d| role(d, targets) == Role::Additional)
        .map(weight_of)
        .sum();
    let canary = i64::from(canary_weight.clamp(0, MAX_WEIGHT));
    let stable = (i64::from(MAX_WEIGHT) - canary - kept).max(0);
    let rewritten: Vec<Value> = destinations
        .into_iter()
        .filter_map(|mut d| {
            let weight = match role(&d, targets) {
                Role::Canary => canary,
                Role::Stable => stable,
                Role::Additional => return Some(d),
                Role::Other if weight_of(&d) == 0 => return Some(d),
                Role::Other => return None,
            };
            if let Some(map) = d.as_object_mut() {
                map.insert("weight".into(), json!(weight));
            }
            Some(d)
        })
        .collect();
    let mut object = object.clone();
    object.insert("route".into(), Value::Array(rewritten));
    Ok(Value::Object(object))
}

fn ports_and_hosts(route: &Value) -> (BTreeSet<i64>, BTreeSet<String>) {
    let matches = route
        .get("match")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ports = matches
        .iter()
        .map(|m| m.get("port").and_then(Value::as_i64).unwrap_or(0))
        .collect();
    let hosts = matches
        .iter()
        .flat_map(|m| {
            m.get("sniHosts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|h| h.as_str().map(str::to_owned))
        .collect();
    (ports, hosts)
}

/// Indexes of the L4 routes a `{port, sniHosts}` selector picks: one port (0 if none) equal to
/// `port`, and (TLS) the same SNI hosts as a set.
fn l4_matches(routes: &[Value], port: i64, sni: Option<&BTreeSet<String>>) -> Vec<usize> {
    routes
        .iter()
        .enumerate()
        .filter(|(_, route)| {
            let (ports, hosts) = ports_and_hosts(route);
            let route_port = ports.iter().next().copied().unwrap_or(0);
            ports.len() <= 1 && route_port == port && sni.is_none_or(|s| *s == hosts)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Which routes of one section to rewrite.
fn select(
    section: &'static str,
    routes: &[Value],
    reference: &IstioVirtualService,
) -> Result<Vec<usize>, VirtualServiceError> {
    let key = match section {
        "http" => "routes",
        "tls" => "tlsRoutes",
        _ => "tcpRoutes",
    };
    let listed = match section {
        "http" => !reference.routes.is_empty(),
        "tls" => !reference.tls_routes.is_empty(),
        _ => !reference.tcp_routes.is_empty(),
    };
    if !listed {
        return match routes.len() {
            0 => Ok(vec![]),
            1 => Ok(vec![0]),
            _ => Err(VirtualServiceError::AmbiguousRoutes { section, key }),
        };
    }
    let mut picked = BTreeSet::new();
    match section {
        "http" => {
            for wanted in &reference.routes {
                let index = routes
                    .iter()
                    .position(|r| r.get("name").and_then(Value::as_str) == Some(wanted))
                    .ok_or_else(|| VirtualServiceError::HttpRouteNotFound {
                        route: wanted.clone(),
                    })?;
                picked.insert(index);
            }
        }
        "tls" => {
            for wanted in &reference.tls_routes {
                let hosts = wanted.sni_hosts.iter().cloned().collect();
                let found = l4_matches(routes, wanted.port.unwrap_or(0), Some(&hosts));
                if found.is_empty() {
                    return Err(VirtualServiceError::NoMatchingTlsRoutes);
                }
                picked.extend(found);
            }
        }
        _ => {
            for wanted in &reference.tcp_routes {
                let found = l4_matches(routes, wanted.port.unwrap_or(0), None);
                if found.is_empty() {
                    return Err(VirtualServiceError::NoMatchingTcpRoutes);
                }
                picked.extend(found);
            }
        }
    }
    Ok(picked.into_iter().collect())
}

/// The route lists of `spec` with the routes `reference` selects set to `canary_weight`.
pub fn rewrite(
    reference: &IstioVirtualService,
    spec: &Value,
    targets: &Targets<'_>,
    canary_weight: i32,
) -> Result<Rewritten, VirtualServiceError> {
    let mut out = Rewritten::default();
    for section in ["http", "tls", "tcp"] {
        let Some(routes) = spec.get(section).and_then(Value::as_array) else {
            continue;
        };
        let mut routes = routes.clone();
        for index in select(section, &routes, reference)? {
            let field = format!("{section}[]");
            routes[index] = rewrite_route(&routes[index], &field, targets, canary_weight)?;
        }
        let value = Some(Value::Array(routes));
        match section {
            "http" => out.http = value,
            "tls" => out.tls = value,
            _ => out.tcp = value,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
