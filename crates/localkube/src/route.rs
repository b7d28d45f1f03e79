//! URL paths of the Kubernetes API, parsed into what they address.

/// What a request path addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/{group}`
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`
    GroupVersion { group: String, version: String },
    /// A collection, an object, or an object's subresource.
    Resource(ResourcePath),
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    /// `None` for cluster-scoped objects and for lists across all namespaces.
    pub namespace: Option<String>,
    pub plural: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

pub fn parse(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api"] => return Some(Route::CoreVersions),
        ["apis"] => return Some(Route::Groups),
        ["apis", g] => return Some(Route::Group(g.to_string())),
        ["api", v, rest @ ..] => ("", v, rest),
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => return None,
    };
    let mut rp = ResourcePath {
        group: group.into(),
        version: version.into(),
        ..Default::default()
    };
    let core_ns_object = group.is_empty() && rest.first() == Some(&"namespaces");
    match rest {
        [] => {
            return Some(Route::GroupVersion {
                group: group.into(),
                version: version.into(),
            });
        }
        [plural] => rp.plural = plural.to_string(),
        [plural, name] => {
            rp.plural = plural.to_string();
            rp.name = Some(name.to_string());
        }
        // `/api/v1/namespaces/{name}/status|finalize` is a Namespace subresource, not a collection.
        ["namespaces", name, sub] if core_ns_object && (*sub == "status" || *sub == "finalize") => {
            rp.plural = "namespaces".into();
            rp.name = Some(name.to_string());
            rp.subresource = Some(sub.to_string());
        }
        ["namespaces", ns, plural] => {
            rp.namespace = Some(ns.to_string());
            rp.plural = plural.to_string();
        }
        [plural, name, sub] => {
            rp.plural = plural.to_string();
            rp.name = Some(name.to_string());
            rp.subresource = Some(sub.to_string());
        }
        ["namespaces", ns, plural, name] => {
            rp.namespace = Some(ns.to_string());
            rp.plural = plural.to_string();
            rp.name = Some(name.to_string());
        }
        ["namespaces", ns, plural, name, sub] => {
            rp.namespace = Some(ns.to_string());
            rp.plural = plural.to_string();
            rp.name = Some(name.to_string());
            rp.subresource = Some(sub.to_string());
        }
        _ => return None,
    }
    Some(Route::Resource(rp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(
        g: &str,
        v: &str,
        ns: Option<&str>,
        plural: &str,
        name: Option<&str>,
        sub: Option<&str>,
    ) -> Route {
        Route::Resource(ResourcePath {
            group: g.into(),
            version: v.into(),
            namespace: ns.map(Into::into),
            plural: plural.into(),
            name: name.map(Into::into),
            subresource: sub.map(Into::into),
        })
    }

    #[test]
    fn paths_table() {
        let cases = [
            ("/api", Some(Route::CoreVersions)),
            ("/apis", Some(Route::Groups)),
            ("/apis/apps", Some(Route::Group("apps".into()))),
            (
                "/api/v1",
                Some(Route::GroupVersion {
                    group: "".into(),
                    version: "v1".into(),
                }),
            ),
            (
                "/apis/apps/v1",
                Some(Route::GroupVersion {
                    group: "apps".into(),
                    version: "v1".into(),
                }),
            ),
            (
                "/api/v1/pods",
                Some(res("", "v1", None, "pods", None, None)),
            ),
            (
                "/api/v1/namespaces",
                Some(res("", "v1", None, "namespaces", None, None)),
            ),
            (
                "/api/v1/namespaces/default",
                Some(res("", "v1", None, "namespaces", Some("default"), None)),
            ),
            (
                "/api/v1/namespaces/x/status",
                Some(res("", "v1", None, "namespaces", Some("x"), Some("status"))),
            ),
            (
                "/api/v1/namespaces/x/services",
                Some(res("", "v1", Some("x"), "services", None, None)),
            ),
            (
                "/api/v1/namespaces/x/services/s",
                Some(res("", "v1", Some("x"), "services", Some("s"), None)),
            ),
            (
                "/apis/argoproj.io/v1alpha1/namespaces/d/rollouts/r/status",
                Some(res(
                    "argoproj.io",
                    "v1alpha1",
                    Some("d"),
                    "rollouts",
                    Some("r"),
                    Some("status"),
                )),
            ),
            (
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b",
                Some(res(
                    "apiextensions.k8s.io",
                    "v1",
                    None,
                    "customresourcedefinitions",
                    Some("a.b"),
                    None,
                )),
            ),
            ("/nope", None),
            ("/api/v1/namespaces/a/b/c/d/e", None),
        ];
        for (path, want) in cases {
            assert_eq!(parse(path), want, "{path}");
        }
    }
}
