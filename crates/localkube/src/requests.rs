//! How many requests each API group received, so a test can show that a server was never asked
//! about a group (a client meant to send it elsewhere did).

use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct RequestCounts(Mutex<BTreeMap<String, u64>>);

impl RequestCounts {
    /// Counts a request by its path (requests that name no group are not counted).
    pub fn record(&self, path: &str) {
        if let Some(group) = group_of(path) {
            *self
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(group.to_string())
                .or_default() += 1;
        }
    }

    /// Requests that named `group` (discovery, OpenAPI, objects, watches); `""` is the core group.
    pub fn count(&self, group: &str) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(group)
            .copied()
            .unwrap_or(0)
    }
}

/// The API group a request path names: `/api/v1/…` the core group, `/apis/{group}/…` and
/// `/openapi/v3/apis/{group}/…` that group; `None` for `/api`, `/apis` and anything else.
pub fn group_of(path: &str) -> Option<&str> {
    let path = path.strip_prefix("/openapi/v3").unwrap_or(path);
    if let Some(rest) = path.strip_prefix("/apis/") {
        return rest.split('/').next().filter(|g| !g.is_empty());
    }
    path.strip_prefix("/api/")
        .filter(|rest| !rest.is_empty())
        .map(|_| "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_groups() {
        let cases = [
            ("/api", None),
            ("/apis", None),
            ("/apis/", None),
            ("/healthz", None),
            ("/api/v1", Some("")),
            ("/api/v1/namespaces/d/services", Some("")),
            ("/apis/networking.istio.io", Some("networking.istio.io")),
            ("/apis/networking.istio.io/v1", Some("networking.istio.io")),
            (
                "/apis/networking.istio.io/v1/namespaces/d/virtualservices/vs",
                Some("networking.istio.io"),
            ),
            (
                "/openapi/v3/apis/networking.istio.io/v1",
                Some("networking.istio.io"),
            ),
            ("/openapi/v3/api/v1", Some("")),
            ("/openapi/v3", None),
        ];
        for (path, want) in cases {
            assert_eq!(group_of(path), want, "{path}");
        }
    }

    #[test]
    fn counts_per_group() {
        let c = RequestCounts::default();
        c.record("/apis/apps/v1/deployments");
        c.record("/apis/apps/v1");
        c.record("/api/v1/pods");
        c.record("/apis");
        assert_eq!(c.count("apps"), 2);
        assert_eq!(c.count(""), 1);
        assert_eq!(c.count("networking.istio.io"), 0);
    }
}
