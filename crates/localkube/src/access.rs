//! Who is calling and what they may do. Bearer tokens (the admin's, and ServiceAccount tokens minted
//! for tests) become users; a request is checked against the RBAC objects in the store as the real
//! server's RBAC authorizer would; every decision about a user outside `system:masters` is recorded,
//! so a test can list the calls a client needed and the ones it was refused.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, header};

use crate::authz::{self, Decision, Policy, RBAC_GROUP, Request, ResourceRequest, User};
use crate::error::ApiError;
use crate::resources::GroupResource;
use crate::route::{self, Route};
use crate::store::Store;

/// Denials kept; later ones are still logged.
const MAX_DENIALS: usize = 10_000;

/// One kind of call a user made: a verb on a resource (`resource/subresource`, or the path of a
/// non-resource request) in a namespace (empty: cluster scope or all namespaces).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Call {
    pub user: String,
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: String,
}

impl Call {
    fn of(user: &User, request: &Request) -> Call {
        match request {
            Request::Resource(r) => Call {
                user: user.name.clone(),
                verb: r.verb.clone(),
                group: r.group.clone(),
                resource: r.combined_resource(),
                namespace: r.namespace.clone(),
            },
            Request::NonResource { verb, path } => Call {
                user: user.name.clone(),
                verb: verb.clone(),
                group: String::new(),
                resource: path.clone(),
                namespace: String::new(),
            },
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.user, self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if !self.namespace.is_empty() {
            write!(f, " in {}", self.namespace)?;
        }
        Ok(())
    }
}

/// A refused request: the call, the object it named, and the message the client got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub call: Call,
    pub name: String,
    pub message: String,
}

#[derive(Default)]
struct Record {
    calls: BTreeMap<Call, u64>,
    denials: Vec<Denial>,
}

pub struct Access {
    admin_token: String,
    /// Token → (namespace, name) of the ServiceAccount it authenticates as.
    service_accounts: Mutex<HashMap<String, (String, String)>>,
    record: Mutex<Record>,
}

pub fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Access {
    pub fn new(admin_token: String) -> Access {
        Access {
            admin_token,
            service_accounts: Mutex::new(HashMap::new()),
            record: Mutex::new(Record::default()),
        }
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A new token that authenticates as the ServiceAccount for as long as the account exists.
    pub fn mint_service_account_token(&self, namespace: &str, name: &str) -> String {
        let token = random_token();
        self.service_accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), (namespace.to_string(), name.to_string()));
        token
    }

    /// The user behind the request's bearer token; `None` (401) for no token, an unknown one, or one
    /// of a ServiceAccount that no longer exists.
    pub fn authenticate(&self, headers: &HeaderMap, store: &Store) -> Option<User> {
        let token = headers
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?
            .trim();
        if token == self.admin_token {
            return Some(User::admin());
        }
        let (ns, name) = self
            .service_accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()?;
        let gr = GroupResource {
            group: String::new(),
            resource: "serviceaccounts".into(),
        };
        store.get(&gr, &(ns.clone(), name.clone()))?;
        Some(User::service_account(&ns, &name))
    }

    /// Allows the request or returns the real server's 403 for it.
    pub fn authorize(&self, store: &Store, user: &User, request: &Request) -> Result<(), ApiError> {
        if user.is_privileged() {
            return Ok(());
        }
        match authz::authorize(&policy(store), user, request) {
            Decision::Allow => {
                self.allowed(user, request);
                Ok(())
            }
            Decision::Deny { reason } => {
                let e = authz::forbidden(user, request, &reason);
                self.denied(user, request, &e);
                Err(e)
            }
        }
    }

    /// A server-side apply that creates its object also needs `create` (checked with the object's
    /// name), as kube-apiserver checks it.
    pub fn authorize_create_on_apply(
        &self,
        store: &Store,
        user: &User,
        patch: &ResourceRequest,
    ) -> Result<(), ApiError> {
        if user.is_privileged() {
            return Ok(());
        }
        let request = Request::Resource(ResourceRequest {
            verb: "create".into(),
            ..patch.clone()
        });
        match authz::authorize(&policy(store), user, &request) {
            Decision::Allow => {
                self.allowed(user, &request);
                Ok(())
            }
            Decision::Deny { reason } => {
                let e = authz::forbidden_create_on_apply(patch, &reason);
                self.denied(user, &request, &e);
                Err(e)
            }
        }
    }

    fn allowed(&self, user: &User, request: &Request) {
        let mut rec = self.record.lock().unwrap_or_else(|p| p.into_inner());
        *rec.calls.entry(Call::of(user, request)).or_default() += 1;
    }

    fn denied(&self, user: &User, request: &Request, e: &ApiError) {
        let call = Call::of(user, request);
        let name = match request {
            Request::Resource(r) => r.name.clone(),
            Request::NonResource { .. } => String::new(),
        };
        tracing::warn!(%call, %name, "forbidden by RBAC");
        let mut rec = self.record.lock().unwrap_or_else(|p| p.into_inner());
        if rec.denials.len() < MAX_DENIALS {
            rec.denials.push(Denial {
                call,
                name,
                message: e.message.clone(),
            });
        }
    }

    /// Every kind of call allowed so far (users outside `system:masters`), with how often it was made.
    pub fn calls(&self) -> Vec<(Call, u64)> {
        let rec = self.record.lock().unwrap_or_else(|p| p.into_inner());
        rec.calls.iter().map(|(c, n)| (c.clone(), *n)).collect()
    }

    /// Every request refused so far, oldest first.
    pub fn denials(&self) -> Vec<Denial> {
        self.record
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .denials
            .clone()
    }
}

/// The cluster's RBAC objects as they are now.
fn policy(store: &Store) -> Policy {
    let st = store.lock();
    let list = |resource: &str| -> Vec<std::sync::Arc<serde_json::Value>> {
        let gr = GroupResource {
            group: RBAC_GROUP.into(),
            resource: resource.into(),
        };
        st.list(&gr, None).into_iter().map(|(_, v)| v).collect()
    };
    let (roles, cluster_roles, rbs, crbs) = (
        list("roles"),
        list("clusterroles"),
        list("rolebindings"),
        list("clusterrolebindings"),
    );
    drop(st);
    Policy::from_objects(
        roles.iter().map(|v| &**v),
        cluster_roles.iter().map(|v| &**v),
        rbs.iter().map(|v| &**v),
        crbs.iter().map(|v| &**v),
    )
}

/// What an HTTP request asks for, derived as kube-apiserver derives its RequestInfo: a GET without a
/// name is a list (a watch with `watch=true`), a DELETE without one a deletecollection; a namespace
/// addressed by name is also the request's namespace; a list or watch selecting one `metadata.name`
/// names that object.
pub fn request_info(method: &Method, path: &str, query: &HashMap<String, String>) -> Request {
    let Some(Route::Resource(rp)) = route::parse(path) else {
        return non_resource(method.as_str(), path);
    };
    let name = rp.name.clone().unwrap_or_default();
    let watch = query.get("watch").is_some_and(|w| w == "true" || w == "1");
    let verb = match (method.as_str(), name.is_empty()) {
        ("GET" | "HEAD", false) => "get",
        ("GET" | "HEAD", true) if watch => "watch",
        ("GET" | "HEAD", true) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", false) => "delete",
        ("DELETE", true) => "deletecollection",
        (other, _) => return non_resource(other, path),
    };
    let mut namespace = rp.namespace.clone().unwrap_or_default();
    if rp.group.is_empty() && rp.plural == "namespaces" && !name.is_empty() {
        namespace = name.clone();
    }
    let name = if name.is_empty() && matches!(verb, "list" | "watch") {
        selected_name(query).unwrap_or_default()
    } else {
        name
    };
    Request::Resource(ResourceRequest {
        verb: verb.into(),
        group: rp.group,
        resource: rp.plural,
        subresource: rp.subresource.unwrap_or_default(),
        namespace,
        name,
    })
}

fn non_resource(method: &str, path: &str) -> Request {
    Request::NonResource {
        verb: method.to_ascii_lowercase(),
        path: path.to_string(),
    }
}

/// `metadata.name=X` (or `==`) as the only requirement on that field.
fn selected_name(query: &HashMap<String, String>) -> Option<String> {
    let mut found = None;
    for term in query.get("fieldSelector")?.split(',') {
        let (key, value) = term
            .split_once("==")
            .or_else(|| term.split_once('='))
            .filter(|(k, _)| !k.ends_with('!'))?;
        if key.trim() == "metadata.name" {
            found = Some(value.trim().to_string());
        }
    }
    found.filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(method: &str, path: &str, query: &[(&str, &str)]) -> String {
        let q = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        match request_info(&method, path, &q) {
            Request::Resource(r) => format!(
                "{} {}|{}|{}|{}|{}",
                r.verb, r.group, r.resource, r.subresource, r.namespace, r.name
            ),
            Request::NonResource { verb, path } => format!("{verb} {path}"),
        }
    }

    #[test]
    fn requests_as_the_authorizer_sees_them() {
        let cases = [
            (
                "GET",
                "/api/v1/namespaces/d/pods/p",
                &[][..],
                "get |pods||d|p",
            ),
            ("GET", "/api/v1/namespaces/d/pods", &[], "list |pods||d|"),
            (
                "GET",
                "/api/v1/pods",
                &[("watch", "true")],
                "watch |pods|||",
            ),
            (
                "GET",
                "/apis/apps/v1/namespaces/d/replicasets",
                &[("watch", "1"), ("fieldSelector", "metadata.name=rs")],
                "watch apps|replicasets||d|rs",
            ),
            (
                "GET",
                "/api/v1/namespaces/d/configmaps",
                &[("fieldSelector", "metadata.name!=x")],
                "list |configmaps||d|",
            ),
            (
                "POST",
                "/api/v1/namespaces/d/configmaps",
                &[],
                "create |configmaps||d|",
            ),
            (
                "PUT",
                "/apis/argoproj.io/v1alpha1/namespaces/d/rollouts/r/status",
                &[],
                "update argoproj.io|rollouts|status|d|r",
            ),
            (
                "PATCH",
                "/apis/networking.istio.io/v1/namespaces/d/virtualservices/vs",
                &[("fieldManager", "x")],
                "patch networking.istio.io|virtualservices||d|vs",
            ),
            (
                "DELETE",
                "/apis/apps/v1/namespaces/d/replicasets/rs",
                &[],
                "delete apps|replicasets||d|rs",
            ),
            (
                "DELETE",
                "/apis/apps/v1/namespaces/d/replicasets",
                &[],
                "deletecollection apps|replicasets||d|",
            ),
            ("GET", "/api/v1/namespaces/x", &[], "get |namespaces||x|x"),
            ("GET", "/api/v1/namespaces", &[], "list |namespaces|||"),
            (
                "GET",
                "/apis/rbac.authorization.k8s.io/v1/clusterroles/c",
                &[],
                "get rbac.authorization.k8s.io|clusterroles|||c",
            ),
            ("GET", "/apis", &[], "get /apis"),
            ("GET", "/apis/apps/v1", &[], "get /apis/apps/v1"),
            (
                "GET",
                "/openapi/v3/apis/apps/v1",
                &[],
                "get /openapi/v3/apis/apps/v1",
            ),
            ("POST", "/localkube/faults", &[], "post /localkube/faults"),
        ];
        for (method, path, query, want) in cases {
            assert_eq!(info(method, path, query), want, "{method} {path}");
        }
    }
}
