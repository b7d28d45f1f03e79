//! The mesh as the ingress gateway sees it, and one request's way through it: route → weighted
//! destination → Service → a Ready pod.

use std::collections::BTreeMap;

use rand::Rng;

use crate::backends::{fqdn, ready_backends, service_ref};
use crate::model::{Named, Pod, Service, VirtualService};
use crate::routes::{HttpRoute, first_match};
use crate::weights;

/// Everything routing needs from one namespace, kept current by the watches.
#[derive(Debug)]
pub struct Mesh {
    namespace: String,
    virtual_services: BTreeMap<String, VirtualService>,
    services: BTreeMap<String, Service>,
    pods: BTreeMap<String, Pod>,
}

/// The Service a destination resolved to, whether or not it exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub namespace: String,
}

impl Target {
    pub fn fqdn(&self) -> String {
        fqdn(&self.name, &self.namespace)
    }
}

/// Where one request ended up.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// No route of any VirtualService accepts the path: the gateway answers 404.
    NoRoute,
    /// The matching route has no destination with a weight: Envoy has no cluster to send to (503).
    NoDestination,
    /// The Service is unknown or has no Ready pod: "no healthy upstream" (503).
    NoHealthyUpstream(Target),
    Backend {
        target: Target,
        pod: &'a Pod,
    },
}

/// A kind of object the mesh keeps, and where.
pub trait Kept: Named + Sized {
    /// For logs, and to know which watches have delivered their first list.
    const KIND: &'static str;
    fn table(mesh: &mut Mesh) -> &mut BTreeMap<String, Self>;
}

impl Kept for VirtualService {
    const KIND: &'static str = "VirtualService";
    fn table(mesh: &mut Mesh) -> &mut BTreeMap<String, Self> {
        &mut mesh.virtual_services
    }
}

impl Kept for Service {
    const KIND: &'static str = "Service";
    fn table(mesh: &mut Mesh) -> &mut BTreeMap<String, Self> {
        &mut mesh.services
    }
}

impl Kept for Pod {
    const KIND: &'static str = "Pod";
    fn table(mesh: &mut Mesh) -> &mut BTreeMap<String, Self> {
        &mut mesh.pods
    }
}

impl Mesh {
    pub fn new(namespace: impl Into<String>) -> Self {
        Mesh {
            namespace: namespace.into(),
            virtual_services: BTreeMap::new(),
            services: BTreeMap::new(),
            pods: BTreeMap::new(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn upsert<T: Kept>(&mut self, obj: T) {
        T::table(self).insert(obj.name().to_owned(), obj);
    }

    pub fn remove<T: Kept>(&mut self, name: &str) {
        T::table(self).remove(name);
    }

    /// Replaces every object of one kind, as after a watch's (re)list.
    pub fn replace<T: Kept>(&mut self, objs: impl IntoIterator<Item = T>) {
        let table = T::table(self);
        table.clear();
        table.extend(objs.into_iter().map(|o| (o.name().to_owned(), o)));
    }

    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.values()
    }

    /// VirtualServices in the order Istio merges them: oldest first, then by name.
    pub fn virtual_services(&self) -> Vec<&VirtualService> {
        let mut all: Vec<&VirtualService> = self.virtual_services.values().collect();
        all.sort_by(|a, b| (&a.created, &a.name).cmp(&(&b.created, &b.name)));
        all
    }

    /// The route a request for `path` takes, if any.
    pub fn route_for(&self, path: &str) -> Option<&HttpRoute> {
        first_match(
            self.virtual_services()
                .into_iter()
                .flat_map(|vs| vs.routes.iter()),
            path,
        )
    }

    /// The Service a destination host names, resolved in this namespace.
    pub fn target(&self, host: &str) -> Target {
        let service = service_ref(host);
        Target {
            name: service.name.to_owned(),
            namespace: service.namespace.unwrap_or(&self.namespace).to_owned(),
        }
    }

    /// The Ready pods behind a target; none for a Service this mesh does not know (another
    /// namespace, or not created yet).
    pub fn backends(&self, target: &Target) -> Vec<&Pod> {
        if target.namespace != self.namespace {
            return vec![];
        }
        match self.services.get(&target.name) {
            Some(service) => ready_backends(&service.selector, self.pods.values()),
            None => vec![],
        }
    }

    /// Sends one request for `path` through the mesh, drawing the weighted destination and the pod
    /// from `rng`.
    pub fn route<R: Rng + ?Sized>(&self, path: &str, rng: &mut R) -> Outcome<'_> {
        let Some(route) = self.route_for(path) else {
            return Outcome::NoRoute;
        };
        let declared: Vec<Option<u32>> = route.destinations.iter().map(|d| d.weight).collect();
        let effective = weights::effective(&declared);
        let total = weights::total(&effective);
        if total == 0 {
            return Outcome::NoDestination;
        }
        let Some(destination) =
            weights::pick(&effective, rng.random_range(0..total)).map(|i| &route.destinations[i])
        else {
            return Outcome::NoDestination;
        };
        let target = self.target(&destination.host);
        let backends = self.backends(&target);
        if backends.is_empty() {
            return Outcome::NoHealthyUpstream(target);
        }
        let pod = backends[rng.random_range(0..backends.len())];
        Outcome::Backend { target, pod }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::parse_http_routes;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    fn pod(name: &str, hash: &str, image: &str, ready: bool) -> Pod {
        Pod {
            name: name.into(),
            labels: [("app", "demo"), ("rollouts-pod-template-hash", hash)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ready,
            image: Some(image.into()),
            workload: "demo".into(),
        }
    }

    fn service(name: &str, hash: Option<&str>) -> Service {
        let mut selector: crate::model::Labels = [("app".to_owned(), "demo".to_owned())].into();
        if let Some(hash) = hash {
            selector.insert("rollouts-pod-template-hash".into(), hash.into());
        }
        Service {
            name: name.into(),
            selector,
        }
    }

    fn vs(name: &str, http: serde_json::Value) -> VirtualService {
        VirtualService {
            name: name.into(),
            created: None,
            routes: parse_http_routes(&json!({ "http": http })).expect("routes"),
        }
    }

    fn split(stable: u32, canary: Option<u32>) -> serde_json::Value {
        let mut canary_dest = json!({"destination": {"host": "canary"}});
        if let Some(w) = canary {
            canary_dest["weight"] = json!(w);
        }
        json!([{"name": "primary", "match": [{"uri": {"prefix": "/"}}], "route": [
            {"destination": {"host": "stable"}, "weight": stable}, canary_dest]}])
    }

    fn canary_mesh(stable: u32, canary: Option<u32>) -> Mesh {
        let mut mesh = Mesh::new("default");
        mesh.upsert(vs("vsvc", split(stable, canary)));
        mesh.upsert(service("stable", Some("s")));
        mesh.upsert(service("canary", Some("c")));
        mesh.upsert(pod("blue-1", "s", "argoproj/rollouts-demo:blue", true));
        mesh.upsert(pod("blue-2", "s", "argoproj/rollouts-demo:blue", true));
        mesh.upsert(pod("yellow-1", "c", "argoproj/rollouts-demo:yellow", true));
        mesh
    }

    /// How many of `n` requests land on each Service, or on each outcome without one.
    fn tally(mesh: &Mesh, n: usize) -> BTreeMap<String, usize> {
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = BTreeMap::new();
        for _ in 0..n {
            let key = match mesh.route("/color", &mut rng) {
                Outcome::Backend { target, .. } => target.name,
                Outcome::NoHealthyUpstream(target) => format!("503 {}", target.name),
                Outcome::NoRoute => "404".into(),
                Outcome::NoDestination => "503".into(),
            };
            *counts.entry(key).or_default() += 1;
        }
        counts
    }

    #[test]
    fn weights_split_traffic() {
        let cases: &[(u32, Option<u32>, usize, usize)] = &[
            (100, None, 1000, 0),
            (100, Some(0), 1000, 0),
            (0, Some(100), 0, 1000),
            (90, Some(10), 850, 60),
            (50, Some(50), 450, 450),
        ];
        for (stable, canary, min_stable, min_canary) in cases {
            let counts = tally(&canary_mesh(*stable, *canary), 1000);
            let got_stable = counts.get("stable").copied().unwrap_or(0);
            let got_canary = counts.get("canary").copied().unwrap_or(0);
            assert_eq!(got_stable + got_canary, 1000, "{counts:?}");
            assert!(got_stable >= *min_stable, "{stable}/{canary:?}: {counts:?}");
            assert!(got_canary >= *min_canary, "{stable}/{canary:?}: {counts:?}");
        }
    }

    #[test]
    fn the_split_is_unbiased_over_many_requests() {
        let counts = tally(&canary_mesh(90, Some(10)), 100_000);
        let canary = counts.get("canary").copied().unwrap_or(0);
        assert!((9_700..=10_300).contains(&canary), "{counts:?}");
    }

    #[test]
    fn pinned_selectors_pick_their_own_pods() {
        let mesh = canary_mesh(50, Some(50));
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            match mesh.route("/", &mut rng) {
                Outcome::Backend { target, pod } => match target.name.as_str() {
                    "stable" => assert!(pod.name.starts_with("blue")),
                    "canary" => assert_eq!(pod.name, "yellow-1"),
                    other => panic!("unexpected service {other}"),
                },
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn failures() {
        let mut mesh = canary_mesh(0, Some(100));
        mesh.upsert(pod("yellow-1", "c", "argoproj/rollouts-demo:yellow", false));
        assert_eq!(tally(&mesh, 10).get("503 canary"), Some(&10));

        mesh.remove::<Service>("canary");
        assert_eq!(tally(&mesh, 10).get("503 canary"), Some(&10));

        let mut mesh = canary_mesh(0, Some(0));
        assert_eq!(tally(&mesh, 10).get("503"), Some(&10));

        mesh.replace::<VirtualService>([vs(
            "api-only",
            json!([{"match": [{"uri": {"prefix": "/api"}}], "route": [
                {"destination": {"host": "stable"}}]}]),
        )]);
        assert_eq!(tally(&mesh, 10).get("404"), Some(&10));

        mesh.replace::<VirtualService>([]);
        assert_eq!(tally(&mesh, 10).get("404"), Some(&10));
    }

    #[test]
    fn hosts_in_other_namespaces_have_no_backends_here() {
        let mesh = canary_mesh(100, None);
        let elsewhere = mesh.target("stable.prod.svc.cluster.local");
        assert_eq!(elsewhere.fqdn(), "stable.prod.svc.cluster.local");
        assert!(mesh.backends(&elsewhere).is_empty());
        let here = mesh.target("stable.default");
        assert_eq!(mesh.backends(&here).len(), 2);
    }

    #[test]
    fn older_virtual_services_route_first() {
        let time = |s: &str| Some(serde_json::from_value(json!(s)).expect("a time"));
        let mut mesh = canary_mesh(100, None);
        let mut newer = vs(
            "a-newer",
            json!([{"name": "to-canary", "route": [{"destination": {"host": "canary"}}]}]),
        );
        newer.created = time("2026-02-01T00:00:00Z");
        let mut older = vs(
            "z-older",
            json!([{"name": "to-stable", "route": [{"destination": {"host": "stable"}}]}]),
        );
        older.created = time("2026-01-01T00:00:00Z");
        mesh.replace([newer, older]);
        assert_eq!(
            mesh.route_for("/").and_then(|r| r.name.as_deref()),
            Some("to-stable")
        );
    }
}
