//! Which fields belong to the rollout controller, so that sync never sends them.
//!
//! A Rollout names a VirtualService (and routes in it), a canary and a stable Service, and optionally a
//! DestinationRule. While it exists, the rollout controller owns the weights of those routes, the
//! `rollouts-pod-template-hash` key of the two Services' selectors and that label on the canary/stable
//! subsets. Sync replaces those values in what it applies with the live ones (a VirtualService's `http`
//! list and a Service's `selector` are atomic, so sending the live value is the only way "not to send"
//! a nested field without a conflict), and reports a Git value that differs as ignored.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub const HASH_LABEL: &str = "rollouts-pod-template-hash";

/// (namespace, name)
pub type Key = (String, String);

/// Routes of one VirtualService that a Rollout manages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManagedRoutes {
    /// HTTP route names; empty = the VirtualService's single HTTP route.
    pub http: BTreeSet<String>,
    /// The Rollout's TLS/TCP route selectors are not interpreted: all TLS/TCP routes are masked.
    pub tls_tcp: bool,
}

/// Everything rollout-controlled, from the Rollouts in a snapshot.
#[derive(Clone, Debug, Default)]
pub struct Managed {
    pub services: BTreeSet<Key>,
    pub virtual_services: BTreeMap<Key, ManagedRoutes>,
    pub destination_rules: BTreeMap<Key, BTreeSet<String>>,
}

/// A rollout-owned field of an object sync applies: Git's value (not applied) and the live one (sent
/// back instead).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ignored {
    pub field: String,
    pub git: String,
    pub live: String,
}

impl Ignored {
    pub fn differs(&self) -> bool {
        self.git != self.live
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// `name` or `name.namespace` (Argo's form; a `.svc.cluster.local` style suffix is cut first).
fn split_ref(name: &str, default_ns: &str) -> Key {
    let trimmed = name
        .trim_end_matches(".svc.cluster.local")
        .trim_end_matches(".cluster.local");
    match trimmed.split_once('.') {
        Some((n, ns)) if !ns.contains('.') => (ns.to_string(), n.to_string()),
        _ => (default_ns.to_string(), trimmed.to_string()),
    }
}

impl Managed {
    /// Collects what the given Rollouts (with their namespaces) manage.
    pub fn from_rollouts<'a>(rollouts: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Managed {
        let mut m = Managed::default();
        for (ns, ro) in rollouts {
            let canary = ro.pointer("/spec/strategy/canary");
            let Some(canary) = canary else { continue };
            for svc in ["/canaryService", "/stableService"] {
                if let Some(name) = s(canary, svc).filter(|n| !n.is_empty()) {
                    m.services.insert((ns.to_string(), name.to_string()));
                }
            }
            let Some(istio) = canary.pointer("/trafficRouting/istio") else {
                continue;
            };
            let mut vss: Vec<&Value> = vec![];
            if let Some(vs) = istio.get("virtualService") {
                vss.push(vs);
            }
            if let Some(list) = istio.get("virtualServices").and_then(Value::as_array) {
                vss.extend(list);
            }
            for vs in vss {
                let Some(name) = s(vs, "/name") else { continue };
                let entry = m.virtual_services.entry(split_ref(name, ns)).or_default();
                if let Some(routes) = vs.get("routes").and_then(Value::as_array) {
                    entry
                        .http
                        .extend(routes.iter().filter_map(|r| r.as_str().map(str::to_string)));
                }
                entry.tls_tcp |= vs.get("tlsRoutes").is_some() || vs.get("tcpRoutes").is_some();
            }
            if let Some(dr) = istio.get("destinationRule")
                && let Some(name) = s(dr, "/name")
            {
                let subsets = m.destination_rules.entry(split_ref(name, ns)).or_default();
                for k in ["/canarySubsetName", "/stableSubsetName"] {
                    if let Some(sub) = s(dr, k) {
                        subsets.insert(sub.to_string());
                    }
                }
            }
        }
        m
    }

    /// Whether the rollout controller owns fields of this object (its writes need a resourceVersion
    /// precondition so a concurrent controller write is never overwritten with stale values).
    pub fn touches(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let key = (namespace.to_string(), name.to_string());
        match kind {
            "Service" => self.services.contains(&key),
            "VirtualService" => self.virtual_services.contains_key(&key),
            "DestinationRule" => self.destination_rules.contains_key(&key),
            _ => false,
        }
    }

    /// The object to apply: `desired` with rollout-owned fields taken from `live` (or dropped when there
    /// is nothing live yet for the Service selector key). Also returns the Git values that were ignored.
    /// Borrows `desired` when nothing in it is owned by the controller (nearly every object): a
    /// pass and every watch event's drift check mask thousands of objects.
    pub fn mask<'d>(
        &self,
        namespace: &str,
        desired: &'d Value,
        live: Option<&Value>,
    ) -> (std::borrow::Cow<'d, Value>, Vec<Ignored>) {
        let kind = s(desired, "/kind").unwrap_or_default();
        let group = s(desired, "/apiVersion")
            .and_then(|a| a.split_once('/'))
            .map(|(g, _)| g)
            .unwrap_or("");
        let name = s(desired, "/metadata/name").unwrap_or_default();
        let key = (namespace.to_string(), name.to_string());
        let owned = match (group, kind) {
            ("", "Service") => self.services.contains(&key),
            ("networking.istio.io", "VirtualService") => {
                live.is_some() && self.virtual_services.contains_key(&key)
            }
            ("networking.istio.io", "DestinationRule") => {
                live.is_some() && self.destination_rules.contains_key(&key)
            }
            _ => false,
        };
        if !owned {
            return (std::borrow::Cow::Borrowed(desired), vec![]);
        }
        let mut out = desired.clone();
        let mut ignored = vec![];
        match (group, kind) {
            ("", "Service") if self.services.contains(&key) => {
                // `spec.selector` is an atomic map: sending it without the controller's key would
                // conflict (or, forced, drop the key), so the live key is sent back unchanged.
                let live_v = live
                    .and_then(|l| l.pointer(&format!("/spec/selector/{HASH_LABEL}")))
                    .cloned();
                if let Some(sel) = out
                    .pointer_mut("/spec/selector")
                    .and_then(Value::as_object_mut)
                {
                    let git = sel.remove(HASH_LABEL);
                    ignored.push(Ignored {
                        field: format!("spec.selector.{HASH_LABEL}"),
                        git: show_opt(&git),
                        live: show_opt(&live_v),
                    });
                    if let Some(v) = live_v {
                        sel.insert(HASH_LABEL.into(), v);
                    }
                }
            }
            ("networking.istio.io", "VirtualService") => {
                if let (Some(routes), Some(live)) = (self.virtual_services.get(&key), live) {
                    mask_virtual_service(&mut out, live, routes, &mut ignored);
                }
            }
            ("networking.istio.io", "DestinationRule") => {
                if let (Some(subsets), Some(live)) = (self.destination_rules.get(&key), live) {
                    mask_destination_rule(&mut out, live, subsets, &mut ignored);
                }
            }
            _ => {}
        }
        (std::borrow::Cow::Owned(out), ignored)
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn show_opt(v: &Option<Value>) -> String {
    v.as_ref().map(show).unwrap_or_else(|| "<unset>".into())
}

/// The route of `live` that corresponds to desired route `idx` (by name when named, else by position).
fn live_route<'a>(live_routes: &'a [Value], desired: &Value, idx: usize) -> Option<&'a Value> {
    match desired.get("name").and_then(Value::as_str) {
        Some(n) => live_routes
            .iter()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(n)),
        None => live_routes.get(idx),
    }
}

fn same_destination(a: &Value, b: &Value) -> bool {
    let host = |v: &Value| {
        v.pointer("/destination/host")
            .and_then(Value::as_str)
            .map(|h| h.split('.').next().unwrap_or(h).to_string())
    };
    let subset = |v: &Value| v.pointer("/destination/subset").cloned();
    host(a) == host(b) && subset(a) == subset(b)
}

fn mask_routes(
    section: &str,
    desired: &mut Value,
    live: &Value,
    selected: &dyn Fn(usize, &Value, usize) -> bool,
    ignored: &mut Vec<Ignored>,
) {
    let live_routes: Vec<Value> = live
        .pointer(&format!("/spec/{section}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(routes) = desired
        .pointer_mut(&format!("/spec/{section}"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    let count = routes.len();
    for (i, route) in routes.iter_mut().enumerate() {
        if !selected(i, route, count) {
            continue;
        }
        let Some(live_route) = live_route(&live_routes, route, i) else {
            continue;
        };
        let live_dests: Vec<Value> = live_route
            .get("route")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(dests) = route.get_mut("route").and_then(Value::as_array_mut) else {
            continue;
        };
        for (j, dest) in dests.iter_mut().enumerate() {
            let live_weight = live_dests
                .iter()
                .find(|d| same_destination(d, dest))
                .and_then(|d| d.get("weight"))
                .cloned();
            let git_weight = dest.get("weight").cloned();
            ignored.push(Ignored {
                field: format!("spec.{section}[{i}].route[{j}].weight"),
                git: show_opt(&git_weight),
                live: show_opt(&live_weight),
            });
            if let Some(d) = dest.as_object_mut() {
                match live_weight {
                    Some(w) => d.insert("weight".into(), w),
                    None => d.remove("weight"),
                };
            }
        }
    }
}

fn mask_virtual_service(
    desired: &mut Value,
    live: &Value,
    routes: &ManagedRoutes,
    ignored: &mut Vec<Ignored>,
) {
    let http_sel = |i: usize, r: &Value, count: usize| -> bool {
        if routes.http.is_empty() {
            // Argo: without route names the single route (or the first unnamed one) is managed.
            count == 1 || (i == 0 && r.get("name").is_none())
        } else {
            r.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| routes.http.contains(n))
        }
    };
    mask_routes("http", desired, live, &http_sel, ignored);
    if routes.tls_tcp {
        let all = |_: usize, _: &Value, _: usize| true;
        mask_routes("tls", desired, live, &all, ignored);
        mask_routes("tcp", desired, live, &all, ignored);
    }
}

fn mask_destination_rule(
    desired: &mut Value,
    live: &Value,
    managed: &BTreeSet<String>,
    ignored: &mut Vec<Ignored>,
) {
    let live_subsets: Vec<Value> = live
        .pointer("/spec/subsets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(subsets) = desired
        .pointer_mut("/spec/subsets")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for (i, sub) in subsets.iter_mut().enumerate() {
        let Some(name) = sub.get("name").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        if !managed.contains(&name) {
            continue;
        }
        let live_hash = live_subsets
            .iter()
            .find(|l| l.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .and_then(|l| l.pointer(&format!("/labels/{HASH_LABEL}")))
            .cloned();
        let git_hash = sub.pointer(&format!("/labels/{HASH_LABEL}")).cloned();
        ignored.push(Ignored {
            field: format!("spec.subsets[{i}].labels.{HASH_LABEL}"),
            git: show_opt(&git_hash),
            live: show_opt(&live_hash),
        });
        let Some(obj) = sub.as_object_mut() else {
            continue;
        };
        let labels = obj
            .entry("labels")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(labels) = labels.as_object_mut() {
            match live_hash {
                Some(h) => labels.insert(HASH_LABEL.into(), h),
                None => labels.remove(HASH_LABEL),
            };
        }
        if obj
            .get("labels")
            .and_then(Value::as_object)
            .is_some_and(|l| l.is_empty())
        {
            obj.remove("labels");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_rollout() -> Value {
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "istio-rollout"},
            "spec": {"strategy": {"canary": {"canaryService": "istio-rollout-canary", "stableService": "istio-rollout-stable",
                "trafficRouting": {"istio": {"virtualService": {"name": "istio-rollout-vsvc", "routes": ["primary"]}}}}}}})
    }

    fn vs(stable: Option<i64>, canary: Option<i64>) -> Value {
        let dest = |host: &str, w: Option<i64>| {
            let mut d = json!({"destination": {"host": host}});
            if let Some(w) = w {
                d["weight"] = json!(w);
            }
            d
        };
        json!({"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService", "metadata": {"name": "istio-rollout-vsvc"},
            "spec": {"gateways": ["istio-rollout-gateway"], "hosts": ["*"],
                "http": [{"name": "primary", "match": [{"uri": {"prefix": "/"}}],
                          "route": [dest("istio-rollout-stable", stable), dest("istio-rollout-canary", canary)]},
                         {"name": "other", "route": [dest("istio-rollout-stable", Some(100))]}]}})
    }

    #[test]
    fn seed_rollout_manages_its_services_and_route() {
        let ro = seed_rollout();
        let m = Managed::from_rollouts([("default", &ro)]);
        assert!(
            m.services
                .contains(&("default".into(), "istio-rollout-canary".into()))
        );
        assert!(
            m.services
                .contains(&("default".into(), "istio-rollout-stable".into()))
        );
        let routes = &m.virtual_services[&("default".into(), "istio-rollout-vsvc".into())];
        assert!(routes.http.contains("primary"));
    }

    #[test]
    fn live_weights_win_and_git_changes_are_reported() {
        let ro = seed_rollout();
        let m = Managed::from_rollouts([("default", &ro)]);
        let table = [
            // (git stable, git canary, live stable, live canary, ignored count)
            (Some(100), None, Some(90), Some(10), 2),
            (Some(90), Some(10), Some(90), Some(10), 0),
            (Some(100), None, Some(100), None, 0),
            (Some(50), Some(50), Some(100), Some(0), 2),
        ];
        for (gs, gc, ls, lc, n) in table {
            let desired = vs(gs, gc);
            let (out, ignored) = m.mask("default", &desired, Some(&vs(ls, lc)));
            assert_eq!(
                out["spec"]["http"][0]["route"][0].get("weight").cloned(),
                ls.map(|w| json!(w))
            );
            assert_eq!(
                out["spec"]["http"][0]["route"][1].get("weight").cloned(),
                lc.map(|w| json!(w))
            );
            let differing = ignored.iter().filter(|i| i.differs()).count();
            assert_eq!(differing, n, "{ignored:?}");
            // The unmanaged route keeps Git's value.
            assert_eq!(out["spec"]["http"][1]["route"][0]["weight"], 100);
        }
    }

    #[test]
    fn first_apply_uses_git_weights() {
        let m = Managed::from_rollouts([("default", &seed_rollout())]);
        let desired = vs(Some(100), None);
        let (out, ignored) = m.mask("default", &desired, None);
        assert_eq!(*out, vs(Some(100), None));
        assert!(ignored.is_empty());
    }

    #[test]
    fn service_selector_hash_is_never_sent() {
        let m = Managed::from_rollouts([("default", &seed_rollout())]);
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istio-rollout-canary"},
            "spec": {"selector": {"app": "istio-rollout", HASH_LABEL: "abc"}}});
        let live = json!({"spec": {"selector": {"app": "istio-rollout", HASH_LABEL: "def"}}});
        let (out, ignored) = m.mask("default", &svc, Some(&live));
        assert_eq!(
            out["spec"]["selector"],
            json!({"app": "istio-rollout", HASH_LABEL: "def"})
        );
        let (first, _) = m.mask("default", &svc, None);
        assert_eq!(
            first["spec"]["selector"],
            json!({"app": "istio-rollout"}),
            "never set from Git"
        );
        assert_eq!(
            ignored,
            vec![Ignored {
                field: format!("spec.selector.{HASH_LABEL}"),
                git: "abc".into(),
                live: "def".into()
            }]
        );
        let other = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "unrelated"}, "spec": {"selector": {HASH_LABEL: "x"}}});
        let (out, _) = m.mask("default", &other, None);
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        assert_eq!(*out, other);
    }

    #[test]
    fn destination_rule_subset_labels_come_from_live() {
        let ro = json!({"spec": {"strategy": {"canary": {"trafficRouting": {"istio": {
            "virtualService": {"name": "vs"}, "destinationRule": {"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}}}}}}});
        let m = Managed::from_rollouts([("ns", &ro)]);
        let dr = json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "dr"},
            "spec": {"host": "svc", "subsets": [{"name": "canary"}, {"name": "stable", "labels": {"app": "x"}}]}});
        let live = json!({"spec": {"subsets": [{"name": "canary", "labels": {HASH_LABEL: "c1"}}, {"name": "stable", "labels": {"app": "x", HASH_LABEL: "s1"}}]}});
        let (out, ignored) = m.mask("ns", &dr, Some(&live));
        assert_eq!(out["spec"]["subsets"][0]["labels"][HASH_LABEL], "c1");
        assert_eq!(
            out["spec"]["subsets"][1]["labels"],
            json!({"app": "x", HASH_LABEL: "s1"})
        );
        assert!(ignored.iter().all(|i| i.git == "<unset>"), "{ignored:?}");
    }

    #[test]
    fn virtual_service_references_may_carry_a_namespace() {
        assert_eq!(split_ref("vs", "a"), ("a".into(), "vs".into()));
        assert_eq!(split_ref("vs.mesh", "a"), ("mesh".into(), "vs".into()));
        assert_eq!(
            split_ref("vs.mesh.svc.cluster.local", "a"),
            ("mesh".into(), "vs".into())
        );
    }
}
