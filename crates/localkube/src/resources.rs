//! The resource registry: which kinds are served, at which group/version/plural, and how each is stored.
//!
//! Built-in kinds are listed here; CustomResourceDefinitions add entries at run time, exactly when the
//! real server would start serving them (on create, with every `served` version).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::meta::NameRule;
use crate::typeinfo::TypeInfo;

/// Identifies a stored collection independent of the version it is served at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupResource {
    pub group: String,
    pub resource: String,
}

impl std::fmt::Display for GroupResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

/// One served resource (a kind in a group), with everything the handlers need to know about it.
#[derive(Clone, Debug)]
pub struct ResourceType {
    pub group: String,
    /// Served versions, preferred (storage) version first.
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    pub status_subresource: bool,
    pub scale_subresource: Option<ScaleSpec>,
    /// Whether `metadata.generation` is maintained (bumped on spec changes).
    pub has_generation: bool,
    pub name_rule: NameRule,
    /// openAPIV3Schema per version, for custom resources.
    pub schemas: BTreeMap<String, Value>,
    pub printer_columns: Vec<PrinterColumn>,
    pub types: Arc<TypeInfo>,
    /// True for kinds added by a CustomResourceDefinition.
    pub custom: bool,
}

#[derive(Clone, Debug)]
pub struct ScaleSpec {
    pub spec_replicas_path: String,
    pub status_replicas_path: String,
    pub label_selector_path: Option<String>,
}

/// A column of `kubectl get` output, as a CRD's `additionalPrinterColumns` declares it.
#[derive(Clone, Debug)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub json_path: String,
    pub description: String,
    pub priority: i64,
}

impl ResourceType {
    pub fn group_resource(&self) -> GroupResource {
        GroupResource {
            group: self.group.clone(),
            resource: self.plural.clone(),
        }
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }

    pub fn storage_version(&self) -> &str {
        self.versions.first().map(String::as_str).unwrap_or("v1")
    }

    pub fn serves(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }

    /// `Rollout.argoproj.io`, the way the server names a kind in messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    pub fn schema(&self, version: &str) -> Option<&Value> {
        self.schemas.get(version)
    }

    fn verbs(&self) -> Vec<&'static str> {
        vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }

    /// Entries of an `APIResourceList` for this resource at one version (main resource and subresources).
    pub fn discovery_entries(&self) -> Vec<Value> {
        let mut main = json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs(),
        });
        if !self.short_names.is_empty() {
            main["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            main["categories"] = json!(self.categories);
        }
        let mut out = vec![main];
        if self.status_subresource {
            out.push(json!({
                "name": format!("{}/status", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if self.scale_subresource.is_some() {
            out.push(json!({
                "name": format!("{}/scale", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }));
        }
        out
    }
}

struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    status: bool,
    generation: bool,
}

const BUILTINS: &[Builtin] = &[
    b(
        "",
        "v1",
        "Namespace",
        "namespaces",
        &["ns"],
        false,
        true,
        false,
    ),
    b("", "v1", "Service", "services", &["svc"], true, true, false),
    b("", "v1", "Pod", "pods", &["po"], true, true, false),
    b(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        &["cm"],
        true,
        false,
        false,
    ),
    b("", "v1", "Secret", "secrets", &[], true, false, false),
    b("", "v1", "Event", "events", &["ev"], true, false, false),
    b(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        &["sa"],
        true,
        false,
        false,
    ),
    b(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        &["ep"],
        true,
        false,
        false,
    ),
    b(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        &["rs"],
        true,
        true,
        true,
    ),
    b(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        &["deploy"],
        true,
        true,
        true,
    ),
    b(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        &[],
        true,
        false,
        false,
    ),
    b(
        "events.k8s.io",
        "v1",
        "Event",
        "events",
        &["ev"],
        true,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        &[],
        true,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        &[],
        true,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        &[],
        false,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
        false,
        false,
        false,
    ),
    b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd", "crds"],
        false,
        true,
        true,
    ),
];

#[allow(clippy::too_many_arguments)]
const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    status: bool,
    generation: bool,
) -> Builtin {
    Builtin {
        group,
        version,
        kind,
        plural,
        short,
        namespaced,
        status,
        generation,
    }
}

/// All served resources, looked up by group + version + plural (or kind).
#[derive(Clone, Debug, Default)]
pub struct Registry {
    by_gr: BTreeMap<GroupResource, Arc<ResourceType>>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut reg = Registry::default();
        for bi in BUILTINS {
            let scale = (bi.kind == "ReplicaSet" || bi.kind == "Deployment").then(|| ScaleSpec {
                spec_replicas_path: ".spec.replicas".into(),
                status_replicas_path: ".status.replicas".into(),
                label_selector_path: None,
            });
            let categories = match bi.kind {
                "Pod" | "Service" | "ReplicaSet" | "Deployment" => vec!["all".to_string()],
                _ => vec![],
            };
            reg.insert(ResourceType {
                group: bi.group.into(),
                versions: vec![bi.version.into()],
                kind: bi.kind.into(),
                plural: bi.plural.into(),
                singular: bi.kind.to_lowercase(),
                short_names: bi.short.iter().map(|s| s.to_string()).collect(),
                categories,
                namespaced: bi.namespaced,
                status_subresource: bi.status,
                scale_subresource: scale,
                has_generation: bi.generation,
                name_rule: crate::meta::name_rule_for(bi.group, bi.kind),
                schemas: BTreeMap::new(),
                printer_columns: vec![],
                types: Arc::new(TypeInfo::builtin(bi.group, bi.kind)),
                custom: false,
            });
        }
        reg
    }

    pub fn insert(&mut self, rt: ResourceType) {
        self.by_gr.insert(rt.group_resource(), Arc::new(rt));
    }

    pub fn remove(&mut self, gr: &GroupResource) -> Option<Arc<ResourceType>> {
        self.by_gr.remove(gr)
    }

    pub fn get(&self, gr: &GroupResource) -> Option<&Arc<ResourceType>> {
        self.by_gr.get(gr)
    }

    /// The resource served at `group/version` under `plural`, if that version is served.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<ResourceType>> {
        let gr = GroupResource {
            group: group.to_string(),
            resource: plural.to_string(),
        };
        self.by_gr.get(&gr).filter(|rt| rt.serves(version))
    }

    /// The resource for an object's `apiVersion` + `kind`, as found in a request body.
    pub fn lookup_kind(&self, api_version: &str, kind: &str) -> Option<&Arc<ResourceType>> {
        let (group, version) = split_api_version(api_version);
        self.by_gr
            .values()
            .find(|rt| rt.group == group && rt.kind == kind && rt.serves(version))
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.by_gr.values()
    }

    /// Groups in discovery order: core first, then built-in groups, then custom groups by name.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = vec![];
        let mut order: Vec<&Arc<ResourceType>> = self
            .by_gr
            .values()
            .filter(|rt| !rt.group.is_empty())
            .collect();
        order.sort_by_key(|rt| (rt.custom, rt.group.clone()));
        for rt in order {
            let entry = match out.iter_mut().find(|(g, _)| *g == rt.group) {
                Some(e) => e,
                None => {
                    out.push((rt.group.clone(), vec![]));
                    let last = out.len() - 1;
                    &mut out[last]
                }
            };
            for v in &rt.versions {
                if !entry.1.contains(v) {
                    entry.1.push(v.clone());
                }
            }
        }
        for (_, versions) in &mut out {
            versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        }
        out
    }
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// Kubernetes version ordering: GA > beta > alpha, higher numbers first (v1 > v1beta2 > v1beta1 > v1alpha3).
pub fn version_priority(v: &str) -> (u8, u32, u32) {
    let rest = v.strip_prefix('v').unwrap_or(v);
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major: u32 = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    let (class, num) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n)
    } else {
        (0, "0")
    };
    (class, major, num.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_like_kubernetes() {
        let mut v = vec!["v1alpha3", "v1", "v1beta1", "v2beta1", "v1beta2"];
        v.sort_by_key(|x| std::cmp::Reverse(version_priority(x)));
        assert_eq!(v, vec!["v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha3"]);
    }

    #[test]
    fn builtins_are_found_by_plural_and_kind() {
        let reg = Registry::with_builtins();
        assert_eq!(
            reg.lookup("apps", "v1", "replicasets")
                .map(|r| r.kind.as_str()),
            Some("ReplicaSet")
        );
        assert!(reg.lookup("apps", "v2", "replicasets").is_none());
        assert_eq!(
            reg.lookup_kind("v1", "Service").map(|r| r.plural.as_str()),
            Some("services")
        );
    }
}
