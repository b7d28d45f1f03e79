use serde_json::{Value, json};

use super::*;

fn cluster_role(name: &str, rules: Value) -> Value {
    json!({"kind": "ClusterRole", "metadata": {"name": name}, "rules": rules})
}

fn role(ns: &str, name: &str, rules: Value) -> Value {
    json!({"kind": "Role", "metadata": {"namespace": ns, "name": name}, "rules": rules})
}

fn binding(ns: Option<&str>, role_kind: &str, role: &str, subjects: Value) -> Value {
    let mut meta = json!({"name": format!("bind-{role}")});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({"metadata": meta, "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": role}, "subjects": subjects})
}

fn sa(ns: &str, name: &str) -> Value {
    json!([{"kind": "ServiceAccount", "namespace": ns, "name": name}])
}

/// A cluster with the bootstrap policy plus the given objects.
fn policy(roles: &[Value], cluster_roles: &[Value], rbs: &[Value], crbs: &[Value]) -> Policy {
    let boot = bootstrap_objects();
    let boot_of = |r: &str| -> Vec<Value> {
        boot.iter()
            .filter(|(res, _)| *res == r)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let crs: Vec<Value> = boot_of("clusterroles")
        .into_iter()
        .chain(cluster_roles.iter().cloned())
        .collect();
    let crbs: Vec<Value> = boot_of("clusterrolebindings")
        .into_iter()
        .chain(crbs.iter().cloned())
        .collect();
    Policy::from_objects(roles, &crs, rbs, &crbs)
}

fn rr(verb: &str, group: &str, resource: &str, ns: &str, name: &str) -> ResourceRequest {
    let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    ResourceRequest {
        verb: verb.into(),
        group: group.into(),
        resource: resource.into(),
        subresource: subresource.into(),
        namespace: ns.into(),
        name: name.into(),
    }
}

fn res(verb: &str, group: &str, resource: &str, ns: &str, name: &str) -> Request {
    Request::Resource(rr(verb, group, resource, ns, name))
}

fn path(verb: &str, p: &str) -> Request {
    Request::NonResource {
        verb: verb.into(),
        path: p.into(),
    }
}

fn allowed(p: &Policy, u: &User, r: &Request) -> bool {
    authorize(p, u, r) == Decision::Allow
}

#[test]
fn cluster_role_bindings_roles_and_namespaces() {
    let p = policy(
        &[role(
            "apps",
            "reader",
            json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]),
        )],
        &[
            cluster_role(
                "watcher",
                json!([{"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["list", "watch"]}]),
            ),
            cluster_role(
                "secret-reader",
                json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]),
            ),
        ],
        &[
            binding(
                Some("apps"),
                "ClusterRole",
                "secret-reader",
                sa("ctl", "bot"),
            ),
            binding(
                Some("apps"),
                "Role",
                "reader",
                json!([{"kind": "ServiceAccount", "name": "local"}]),
            ),
        ],
        &[binding(None, "ClusterRole", "watcher", sa("ctl", "bot"))],
    );
    let bot = User::service_account("ctl", "bot");
    let local = User::service_account("apps", "local");
    let other = User::service_account("ctl", "other");
    let cases = [
        // A ClusterRoleBinding grants everywhere, also across all namespaces.
        (&bot, res("list", "apps", "replicasets", "", ""), true),
        (&bot, res("watch", "apps", "replicasets", "apps", ""), true),
        (
            &bot,
            res("create", "apps", "replicasets", "apps", ""),
            false,
        ),
        (&bot, res("list", "", "replicasets", "", ""), false),
        (&other, res("list", "apps", "replicasets", "", ""), false),
        // A RoleBinding to a ClusterRole grants only in its namespace.
        (&bot, res("get", "", "secrets", "apps", "s"), true),
        (&bot, res("get", "", "secrets", "web", "s"), false),
        (&bot, res("list", "", "secrets", "", ""), false),
        // A ServiceAccount subject without a namespace is one of the binding's namespace.
        (&local, res("get", "", "configmaps", "apps", "c"), true),
        (&local, res("get", "", "configmaps", "web", "c"), false),
        (&bot, res("get", "", "configmaps", "apps", "c"), false),
    ];
    for (user, request, want) in cases {
        assert_eq!(
            allowed(&p, user, &request),
            want,
            "{} {request:?}",
            user.name
        );
    }
}

#[test]
fn rule_matching_table() {
    let rule = |v: Value| Rule {
        verbs: strings(&v, "verbs"),
        api_groups: strings(&v, "apiGroups"),
        resources: strings(&v, "resources"),
        resource_names: strings(&v, "resourceNames"),
        non_resource_urls: strings(&v, "nonResourceURLs"),
    };
    let cases = [
        (
            json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
            res("deletecollection", "x.io", "things/status", "a", ""),
            true,
        ),
        (
            json!({"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["update"]}),
            res("update", "argoproj.io", "rollouts/status", "a", "r"),
            false,
        ),
        (
            json!({"apiGroups": ["argoproj.io"], "resources": ["rollouts/status"], "verbs": ["update"]}),
            res("update", "argoproj.io", "rollouts/status", "a", "r"),
            true,
        ),
        (
            json!({"apiGroups": ["argoproj.io"], "resources": ["rollouts/status"], "verbs": ["update"]}),
            res("update", "argoproj.io", "rollouts", "a", "r"),
            false,
        ),
        (
            json!({"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["patch"]}),
            res("patch", "apps", "replicasets/scale", "a", "r"),
            true,
        ),
        (
            json!({"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["patch"]}),
            res("patch", "apps", "replicasets", "a", "r"),
            false,
        ),
        (
            json!({"apiGroups": ["apps"], "resources": ["replicasets/*"], "verbs": ["patch"]}),
            res("patch", "apps", "replicasets/scale", "a", "r"),
            false,
        ),
        (
            json!({"apiGroups": [""], "resources": ["services"], "verbs": ["get"]}),
            res("get", "apps", "services", "a", "s"),
            false,
        ),
        (
            json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "patch"], "resourceNames": ["inv"]}),
            res("patch", "", "configmaps", "a", "inv"),
            true,
        ),
        (
            json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "patch"], "resourceNames": ["inv"]}),
            res("patch", "", "configmaps", "a", "other"),
            false,
        ),
        // A collection request has no name, so a rule limited to names never covers it.
        (
            json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"], "resourceNames": ["inv"]}),
            res("list", "", "configmaps", "a", ""),
            false,
        ),
        (
            json!({"nonResourceURLs": ["/apis/*"], "verbs": ["get"]}),
            path("get", "/apis/apps/v1"),
            true,
        ),
        (
            json!({"nonResourceURLs": ["/apis/*"], "verbs": ["get"]}),
            path("get", "/api"),
            false,
        ),
        (
            json!({"nonResourceURLs": ["/apis"], "verbs": ["get"]}),
            path("post", "/apis"),
            false,
        ),
        // Resource rules never cover paths, and path rules never cover resources.
        (
            json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
            path("get", "/api"),
            false,
        ),
        (
            json!({"nonResourceURLs": ["*"], "verbs": ["*"]}),
            res("get", "", "pods", "a", "p"),
            false,
        ),
    ];
    for (r, request, want) in cases {
        assert_eq!(rule(r.clone()).allows(&request), want, "{r} {request:?}");
    }
}

#[test]
fn groups_users_and_the_bootstrap_policy() {
    let p = policy(
        &[],
        &[cluster_role(
            "viewer",
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
        )],
        &[binding(
            Some("ctl"),
            "ClusterRole",
            "viewer",
            json!([{"kind": "Group", "name": "system:serviceaccounts:ctl"}]),
        )],
        &[binding(
            None,
            "ClusterRole",
            "viewer",
            json!([{"kind": "User", "name": "jane"}]),
        )],
    );
    let bot = User::service_account("ctl", "bot");
    let stranger = User::service_account("web", "bot");
    let jane = User {
        name: "jane".into(),
        groups: vec![AUTHENTICATED.into()],
    };
    assert!(allowed(&p, &bot, &res("get", "", "pods", "ctl", "p")));
    assert!(!allowed(&p, &stranger, &res("get", "", "pods", "ctl", "p")));
    assert!(allowed(&p, &jane, &res("get", "", "pods", "web", "p")));
    // Discovery, OpenAPI and version are open to every authenticated user, nothing else is.
    for (request, want) in [
        (path("get", "/api"), true),
        (path("get", "/apis/networking.istio.io/v1"), true),
        (path("get", "/openapi/v3/apis/apps/v1"), true),
        (path("get", "/version"), true),
        (path("get", "/localkube/faults"), false),
        (path("post", "/localkube/faults"), false),
    ] {
        assert_eq!(allowed(&p, &bot, &request), want, "{request:?}");
    }
    // The admin's group bypasses RBAC.
    assert!(allowed(
        &Policy::default(),
        &User::admin(),
        &res("delete", "", "namespaces", "x", "x")
    ));
    assert!(!allowed(&Policy::default(), &bot, &path("get", "/api")));
}

#[test]
fn a_binding_to_a_missing_role_is_the_reason() {
    let p = policy(
        &[],
        &[],
        &[binding(Some("ctl"), "Role", "gone", sa("ctl", "bot"))],
        &[binding(None, "ClusterRole", "absent", sa("ctl", "bot"))],
    );
    let bot = User::service_account("ctl", "bot");
    assert_eq!(
        authorize(&p, &bot, &res("get", "", "pods", "ctl", "p")),
        Decision::Deny {
            reason: "RBAC: [clusterrole.rbac.authorization.k8s.io \"absent\" not found, role.rbac.authorization.k8s.io \"gone\" not found]".into()
        }
    );
    assert_eq!(
        authorize(&p, &bot, &res("get", "", "pods", "web", "p")),
        Decision::Deny {
            reason: "RBAC: clusterrole.rbac.authorization.k8s.io \"absent\" not found".into()
        }
    );
}

#[test]
fn forbidden_messages_are_the_real_servers() {
    let bot = User::service_account("gitcanary", "gitcanary");
    let cases = [
        (
            res(
                "patch",
                "networking.istio.io",
                "virtualservices",
                "default",
                "vs",
            ),
            "",
            "virtualservices.networking.istio.io \"vs\" is forbidden: User \"system:serviceaccount:gitcanary:gitcanary\" cannot patch resource \"virtualservices\" in API group \"networking.istio.io\" in the namespace \"default\"",
        ),
        (
            res("list", "", "pods", "", ""),
            "",
            "pods is forbidden: User \"system:serviceaccount:gitcanary:gitcanary\" cannot list resource \"pods\" in API group \"\" at the cluster scope",
        ),
        (
            res("update", "argoproj.io", "rollouts/status", "default", "r"),
            "RBAC: role.rbac.authorization.k8s.io \"x\" not found",
            "rollouts.argoproj.io \"r\" is forbidden: User \"system:serviceaccount:gitcanary:gitcanary\" cannot update resource \"rollouts/status\" in API group \"argoproj.io\" in the namespace \"default\": RBAC: role.rbac.authorization.k8s.io \"x\" not found",
        ),
        (
            path("get", "/localkube/faults"),
            "",
            "forbidden: User \"system:serviceaccount:gitcanary:gitcanary\" cannot get path \"/localkube/faults\"",
        ),
    ];
    for (request, reason, want) in cases {
        let e = forbidden(&bot, &request, reason);
        assert_eq!(
            (e.code, e.reason, e.message.as_str()),
            (403, "Forbidden", want)
        );
    }
    let e = forbidden(
        &bot,
        &res(
            "patch",
            "networking.istio.io",
            "virtualservices",
            "default",
            "vs",
        ),
        "",
    );
    assert_eq!(
        e.details,
        Some(json!({"name": "vs", "group": "networking.istio.io", "kind": "virtualservices"}))
    );
    assert_eq!(
        forbidden_create_on_apply(&rr("create", "", "configmaps", "default", "inv"), "").message,
        "configmaps \"inv\" is forbidden: "
    );
}
