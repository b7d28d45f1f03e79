//! What the demo page shows beside the grid: the current weights of each route, the colours behind
//! each destination, and the images that can be given an error rate.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::colour::{UNKNOWN, colour_of};
use crate::faults::ErrorRates;
use crate::mesh::Mesh;
use crate::weights;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteView {
    pub virtual_service: String,
    pub route: String,
    /// Whether the generated requests take this route.
    pub active: bool,
    pub destinations: Vec<DestinationView>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DestinationView {
    pub host: String,
    /// Percentage of the route's traffic, after Istio's reading of absent weights.
    pub weight: u32,
    /// Colours of the Ready pods behind the destination.
    pub colours: Vec<&'static str>,
    pub ready_pods: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageView {
    pub image: String,
    pub colour: &'static str,
    pub rate: f64,
    pub ready_pods: usize,
}

/// Every route of every VirtualService, in routing order.
pub fn routes(mesh: &Mesh, path: &str) -> Vec<RouteView> {
    let active = mesh.route_for(path);
    let mut out = vec![];
    for vs in mesh.virtual_services() {
        for (index, route) in vs.routes.iter().enumerate() {
            let declared: Vec<Option<u32>> = route.destinations.iter().map(|d| d.weight).collect();
            let percentages = weights::percentages(&weights::effective(&declared));
            let destinations = route
                .destinations
                .iter()
                .zip(percentages)
                .map(|(destination, weight)| {
                    let backends = mesh.backends(&mesh.target(&destination.host));
                    let colours: BTreeSet<&'static str> = backends
                        .iter()
                        .map(|pod| pod.image.as_deref().and_then(colour_of).unwrap_or(UNKNOWN))
                        .collect();
                    DestinationView {
                        host: destination.host.clone(),
                        weight,
                        colours: colours.into_iter().collect(),
                        ready_pods: backends.len(),
                    }
                })
                .collect();
            out.push(RouteView {
                virtual_service: vs.name.clone(),
                route: route.label(index),
                active: active.is_some_and(|a| std::ptr::eq(a, route)),
                destinations,
            });
        }
    }
    out
}

/// Images of the Ready pods, plus any image that still has an error rate set (so a slider can be
/// turned back to 0 after its pods are gone).
pub fn images(mesh: &Mesh, rates: &ErrorRates) -> Vec<ImageView> {
    let mut names: BTreeSet<String> = mesh
        .pods()
        .filter(|pod| pod.ready)
        .filter_map(|pod| pod.image.clone())
        .collect();
    names.extend(rates.list().into_iter().map(|r| r.image));
    names
        .into_iter()
        .map(|image| ImageView {
            colour: colour_of(&image).unwrap_or(UNKNOWN),
            rate: rates.rate(&image),
            ready_pods: mesh
                .pods()
                .filter(|pod| pod.ready && pod.image.as_deref() == Some(image.as_str()))
                .count(),
            image,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Pod, Service, VirtualService};
    use crate::routes::parse_http_routes;
    use serde_json::json;

    fn mesh() -> Mesh {
        let mut mesh = Mesh::new("default");
        mesh.upsert(VirtualService {
            name: "vsvc".into(),
            created: None,
            routes: parse_http_routes(&json!({"http": [
                {"name": "api", "match": [{"uri": {"prefix": "/api"}}],
                 "route": [{"destination": {"host": "stable"}}]},
                {"name": "primary", "route": [
                    {"destination": {"host": "stable"}, "weight": 9},
                    {"destination": {"host": "canary"}, "weight": 1}]},
            ]}))
            .expect("routes"),
        });
        for (name, hash) in [("stable", "s"), ("canary", "c")] {
            mesh.upsert(Service {
                name: name.into(),
                selector: [("h".to_owned(), hash.to_owned())].into(),
            });
        }
        for (name, hash, colour, ready) in [
            ("b1", "s", "blue", true),
            ("b2", "s", "blue", true),
            ("y1", "c", "yellow", false),
        ] {
            mesh.upsert(Pod {
                name: name.into(),
                labels: [("h".to_owned(), hash.to_owned())].into(),
                ready,
                image: Some(format!("argoproj/rollouts-demo:{colour}")),
                workload: "demo".into(),
            });
        }
        mesh
    }

    #[test]
    fn weights_and_colours_per_destination() {
        let views = routes(&mesh(), "/color");
        assert_eq!(views.len(), 2);
        assert_eq!((views[0].route.as_str(), views[0].active), ("api", false));
        assert_eq!(views[0].destinations[0].weight, 100);
        let primary = &views[1];
        assert!(primary.active);
        assert_eq!(
            primary.destinations,
            [
                DestinationView {
                    host: "stable".into(),
                    weight: 90,
                    colours: vec!["blue"],
                    ready_pods: 2
                },
                DestinationView {
                    host: "canary".into(),
                    weight: 10,
                    colours: vec![],
                    ready_pods: 0
                },
            ]
        );
    }

    #[test]
    fn images_of_ready_pods_and_of_set_rates() {
        let mut rates = ErrorRates::default();
        rates
            .set("argoproj/rollouts-demo:red", 0.25)
            .expect("valid rate");
        let views = images(&mesh(), &rates);
        assert_eq!(
            views,
            [
                ImageView {
                    image: "argoproj/rollouts-demo:blue".into(),
                    colour: "blue",
                    rate: 0.0,
                    ready_pods: 2
                },
                ImageView {
                    image: "argoproj/rollouts-demo:red".into(),
                    colour: "red",
                    rate: 0.25,
                    ready_pods: 0
                },
            ]
        );
    }
}
