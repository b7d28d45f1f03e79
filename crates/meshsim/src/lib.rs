//! meshsim: a stand-in Istio data plane for demos and tests. It watches VirtualServices, Services
//! and Pods through the Kubernetes API, sends simulated requests through the VirtualService weights
//! to Ready pods, answers with the colour of each pod's image, exports `istio_requests_total` for a
//! real Prometheus, and serves the colour-grid page of the seed's demo.
//!
//! The routing decisions (which route, which destination, which pods) are pure functions over
//! [`mesh::Mesh`]; what talks to the network (the watches, the HTTP server) is started by
//! [`sim::Meshsim`].

/// Backends of a destination: host → Service → selector → Ready pods.
pub mod backends;
/// Image → colour.
pub mod colour;
/// A routed request → status code and colour.
pub mod exchange;
/// Error rates injected per image.
pub mod faults;
/// Route weights and colours for the demo page.
pub mod legend;
/// The namespace's routing view and the way of one request through it.
pub mod mesh;
/// `istio_requests_total` with Istio's labels.
pub mod metrics;
/// Routing's view of Pods, Services and VirtualServices.
pub mod model;
/// Kubernetes objects → the routing model.
pub mod objects;
/// The generator's steady request rate.
pub mod pacer;
/// The latest answers and counts over them.
pub mod recent;
/// VirtualService HTTP routes and their matching.
pub mod routes;
/// State shared by watches, generator and HTTP handlers.
mod shared;
/// Start, inspect and stop a meshsim.
pub mod sim;
/// Watches that keep the mesh view current.
mod watch;
/// The demo page, its JSON feeds, `/error-rate` and `/metrics`.
mod web;
/// Weighted choice among destinations.
pub mod weights;

pub use faults::{ErrorRate, ErrorRateError};
pub use legend::{DestinationView, RouteView};
pub use recent::{ColourCounts, Stats};
pub use sim::{Config, Meshsim, StartError};
