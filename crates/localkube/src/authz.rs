//! Kubernetes RBAC as kube-apiserver's RBAC authorizer evaluates it: a request is allowed when a rule
//! of a Role or ClusterRole bound to the user (by name, through one of its groups, or as a
//! ServiceAccount) covers it; otherwise it is forbidden. Pure: the caller reads the stored RBAC objects
//! into a [`Policy`], and [`authorize`] answers for one request.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::ApiError;

pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// Members of this group are allowed everything without consulting RBAC (as on a real server).
pub const MASTERS: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
const SA_PREFIX: &str = "system:serviceaccount:";

/// Who is asking, as authentication established it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

impl User {
    /// The holder of the server's admin token.
    pub fn admin() -> User {
        User {
            name: "localkube-admin".into(),
            groups: vec![MASTERS.into(), AUTHENTICATED.into()],
        }
    }

    /// A ServiceAccount's identity: the user name and groups a real server gives its tokens.
    pub fn service_account(namespace: &str, name: &str) -> User {
        User {
            name: format!("{SA_PREFIX}{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                AUTHENTICATED.into(),
            ],
        }
    }

    pub fn is_privileged(&self) -> bool {
        self.groups.iter().any(|g| g == MASTERS)
    }
}

/// What a request asks for, as the authorizer sees it (kube-apiserver's RequestInfo).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Request {
    Resource(ResourceRequest),
    /// Any path that does not address a resource (discovery, OpenAPI, health); the verb is the
    /// lower-cased HTTP method.
    NonResource {
        verb: String,
        path: String,
    },
}

/// Empty strings stand for "none" (the core group, no subresource, cluster scope, no name).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceRequest {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
}

impl ResourceRequest {
    /// `resource` or `resource/subresource`, the form rules name it in.
    pub fn combined_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

impl Request {
    pub fn verb(&self) -> &str {
        match self {
            Request::Resource(r) => &r.verb,
            Request::NonResource { verb, .. } => verb,
        }
    }

    fn namespace(&self) -> &str {
        match self {
            Request::Resource(r) => &r.namespace,
            Request::NonResource { .. } => "",
        }
    }
}

/// One entry of a Role's or ClusterRole's `rules`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

fn has(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

impl Rule {
    pub fn allows(&self, request: &Request) -> bool {
        if !has(&self.verbs, request.verb()) {
            return false;
        }
        match request {
            Request::Resource(r) => {
                has(&self.api_groups, &r.group)
                    && self.resource_matches(r)
                    && (self.resource_names.is_empty()
                        || !r.name.is_empty() && self.resource_names.contains(&r.name))
            }
            Request::NonResource { path, .. } => self.non_resource_urls.iter().any(|u| {
                u == "*" || u == path || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
            }),
        }
    }

    /// `*` covers every resource and subresource; `*/sub` covers that subresource of any resource;
    /// otherwise the entry must equal `resource` or `resource/subresource` (there is no `resource/*`).
    fn resource_matches(&self, r: &ResourceRequest) -> bool {
        let combined = r.combined_resource();
        self.resources.iter().any(|entry| {
            entry == "*"
                || *entry == combined
                || !r.subresource.is_empty()
                    && entry.strip_prefix("*/") == Some(r.subresource.as_str())
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleRef {
    ClusterRole(String),
    /// A Role in the binding's own namespace.
    Role(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
    /// `namespace` empty: the binding's namespace.
    ServiceAccount {
        namespace: String,
        name: String,
    },
}

impl Subject {
    fn applies_to(&self, user: &User, binding_namespace: Option<&str>) -> bool {
        match self {
            Subject::User(name) => *name == user.name,
            Subject::Group(group) => user.groups.iter().any(|g| g == group),
            Subject::ServiceAccount { namespace, name } => {
                let ns = if namespace.is_empty() {
                    binding_namespace.unwrap_or_default()
                } else {
                    namespace
                };
                !ns.is_empty() && user.name == format!("{SA_PREFIX}{ns}:{name}")
            }
        }
    }
}

/// A RoleBinding (`namespace` set: it grants only within that namespace) or a ClusterRoleBinding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub namespace: Option<String>,
    pub role: RoleRef,
    pub subjects: Vec<Subject>,
}

/// Every role and binding of a cluster.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub cluster_roles: BTreeMap<String, Vec<Rule>>,
    /// By (namespace, name).
    pub roles: BTreeMap<(String, String), Vec<Rule>>,
    pub bindings: Vec<Binding>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn meta(obj: &Value, key: &str) -> String {
    obj.pointer(&format!("/metadata/{key}"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn rules_of(role: &Value) -> Vec<Rule> {
    role.get("rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| Rule {
                    verbs: strings(r, "verbs"),
                    api_groups: strings(r, "apiGroups"),
                    resources: strings(r, "resources"),
                    resource_names: strings(r, "resourceNames"),
                    non_resource_urls: strings(r, "nonResourceURLs"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A binding as stored; `None` for a roleRef of another kind (never matches anything).
fn binding_of(obj: &Value, namespaced: bool) -> Option<Binding> {
    let name = obj.pointer("/roleRef/name")?.as_str()?.to_string();
    let role = match obj.pointer("/roleRef/kind")?.as_str()? {
        "ClusterRole" => RoleRef::ClusterRole(name),
        "Role" if namespaced => RoleRef::Role(name),
        _ => return None,
    };
    let subjects = obj
        .get("subjects")
        .and_then(Value::as_array)
        .map(|subjects| {
            subjects
                .iter()
                .filter_map(|s| {
                    let name = s.get("name")?.as_str()?.to_string();
                    Some(match s.get("kind")?.as_str()? {
                        "User" => Subject::User(name),
                        "Group" => Subject::Group(name),
                        "ServiceAccount" => Subject::ServiceAccount {
                            namespace: s
                                .get("namespace")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            name,
                        },
                        _ => return None,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Binding {
        namespace: namespaced.then(|| meta(obj, "namespace")),
        role,
        subjects,
    })
}

impl Policy {
    /// Reads stored Roles, ClusterRoles, RoleBindings and ClusterRoleBindings.
    pub fn from_objects<'a>(
        roles: impl IntoIterator<Item = &'a Value>,
        cluster_roles: impl IntoIterator<Item = &'a Value>,
        role_bindings: impl IntoIterator<Item = &'a Value>,
        cluster_role_bindings: impl IntoIterator<Item = &'a Value>,
    ) -> Policy {
        let mut policy = Policy::default();
        for r in cluster_roles {
            policy.cluster_roles.insert(meta(r, "name"), rules_of(r));
        }
        for r in roles {
            policy
                .roles
                .insert((meta(r, "namespace"), meta(r, "name")), rules_of(r));
        }
        // The real authorizer visits ClusterRoleBindings first; the order shows in error reasons.
        policy.bindings = cluster_role_bindings
            .into_iter()
            .filter_map(|b| binding_of(b, false))
            .chain(
                role_bindings
                    .into_iter()
                    .filter_map(|b| binding_of(b, true)),
            )
            .collect();
        policy
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// `reason` is empty unless a binding names a role that does not exist.
    Deny {
        reason: String,
    },
}

/// Whether `user` may do `request` under `policy`.
pub fn authorize(policy: &Policy, user: &User, request: &Request) -> Decision {
    if user.is_privileged() {
        return Decision::Allow;
    }
    let mut errors = vec![];
    for b in &policy.bindings {
        if b.namespace
            .as_deref()
            .is_some_and(|ns| ns != request.namespace())
        {
            continue;
        }
        if !b
            .subjects
            .iter()
            .any(|s| s.applies_to(user, b.namespace.as_deref()))
        {
            continue;
        }
        let rules = match (&b.role, &b.namespace) {
            (RoleRef::ClusterRole(name), _) => policy
                .cluster_roles
                .get(name)
                .ok_or_else(|| format!("clusterrole.{RBAC_GROUP} \"{name}\" not found")),
            (RoleRef::Role(name), Some(ns)) => policy
                .roles
                .get(&(ns.clone(), name.clone()))
                .ok_or_else(|| format!("role.{RBAC_GROUP} \"{name}\" not found")),
            (RoleRef::Role(_), None) => continue,
        };
        match rules {
            Ok(rules) if rules.iter().any(|r| r.allows(request)) => return Decision::Allow,
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    let reason = match errors.as_slice() {
        [] => String::new(),
        [one] => format!("RBAC: {one}"),
        many => format!("RBAC: [{}]", many.join(", ")),
    };
    Decision::Deny { reason }
}

/// The 403 the real server answers a request RBAC does not allow.
pub fn forbidden(user: &User, request: &Request, reason: &str) -> ApiError {
    let mut message = match request {
        Request::NonResource { verb, path } => {
            format!("User \"{}\" cannot {verb} path \"{path}\"", user.name)
        }
        Request::Resource(r) => {
            let scope = if r.namespace.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace \"{}\"", r.namespace)
            };
            format!(
                "User \"{}\" cannot {} resource \"{}\" in API group \"{}\" {scope}",
                user.name,
                r.verb,
                r.combined_resource(),
                r.group
            )
        }
    };
    if !reason.is_empty() {
        message = format!("{message}: {reason}");
    }
    match request {
        Request::NonResource { .. } => ApiError::forbidden(format!("forbidden: {message}")),
        Request::Resource(r) => forbidden_resource(r, &message),
    }
}

/// The 403 for a server-side apply that would create an object without `create` permission: the
/// real server words it with the authorizer's reason only (usually empty).
pub fn forbidden_create_on_apply(request: &ResourceRequest, reason: &str) -> ApiError {
    forbidden_resource(request, reason)
}

fn forbidden_resource(r: &ResourceRequest, detail: &str) -> ApiError {
    let qualified = if r.group.is_empty() {
        r.resource.clone()
    } else {
        format!("{}.{}", r.resource, r.group)
    };
    let message = if r.name.is_empty() {
        format!("{qualified} is forbidden: {detail}")
    } else {
        format!("{qualified} \"{}\" is forbidden: {detail}", r.name)
    };
    let mut details = serde_json::Map::new();
    if !r.name.is_empty() {
        details.insert("name".into(), json!(r.name));
    }
    if !r.group.is_empty() {
        details.insert("group".into(), json!(r.group));
    }
    details.insert("kind".into(), json!(r.resource));
    ApiError::forbidden_with_details(message, Value::Object(details))
}

/// The roles and bindings a new cluster has (a subset of kube-apiserver's bootstrap policy): admins
/// may do anything, and every authenticated user may read discovery, OpenAPI, version and health.
pub fn bootstrap_objects() -> Vec<(&'static str, Value)> {
    let labels = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
    let annotations = json!({"rbac.authorization.kubernetes.io/autoupdate": "true"});
    let role = |name: &str, rules: Value| {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels, "annotations": annotations},
            "rules": rules,
        })
    };
    let binding = |name: &str, groups: &[&str]| {
        let subjects: Vec<Value> = groups
            .iter()
            .map(|g| json!({"apiGroup": RBAC_GROUP, "kind": "Group", "name": g}))
            .collect();
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": labels, "annotations": annotations},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name},
            "subjects": subjects,
        })
    };
    vec![
        (
            "clusterroles",
            role(
                "cluster-admin",
                json!([
                    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                    {"nonResourceURLs": ["*"], "verbs": ["*"]},
                ]),
            ),
        ),
        (
            "clusterroles",
            role(
                "system:discovery",
                json!([{"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/"], "verbs": ["get"]}]),
            ),
        ),
        (
            "clusterroles",
            role(
                "system:public-info-viewer",
                json!([{"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}]),
            ),
        ),
        ("clusterrolebindings", binding("cluster-admin", &[MASTERS])),
        (
            "clusterrolebindings",
            binding("system:discovery", &[AUTHENTICATED]),
        ),
        (
            "clusterrolebindings",
            binding(
                "system:public-info-viewer",
                &[AUTHENTICATED, "system:unauthenticated"],
            ),
        ),
    ]
}

#[cfg(test)]
#[path = "authz_tests.rs"]
mod tests;
