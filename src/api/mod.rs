//! Argo Rollouts' API (`argoproj.io/v1alpha1`) as Rust types, the CustomResourceDefinitions generated
//! from them, and the pure helpers and validation that both `gitcanary validate` and the controller use.
//!
//! The field names are Argo's so that existing manifests, `kubectl` habits and dashboards keep working;
//! the few fields gitcanary adds live under `status.gitcanary`. Argo features gitcanary does not
//! implement are still accepted and stored (as schemaless objects) so that
//! [`validate_rollout`](crate::api::validate::validate_rollout)
//! can name them instead of the API server silently pruning them.

mod analysis;
mod analysis_status;
mod duration;
mod intstr;
mod rollout;
mod rollout_status;
mod schema;
mod step;
mod traffic;
pub mod validate;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use analysis::*;
pub use analysis_status::*;
pub use duration::*;
pub use intstr::*;
pub use rollout::*;
pub use rollout_status::*;
pub use step::*;
pub use traffic::*;

/// API group of every type here; the same as Argo Rollouts' so manifests move over unchanged.
pub const GROUP: &str = "argoproj.io";
/// The only version Argo Rollouts has ever served.
pub const VERSION: &str = "v1alpha1";

/// The CustomResourceDefinitions for Rollout, AnalysisTemplate, ClusterAnalysisTemplate and
/// AnalysisRun, in that order, as installed from `deploy/crds/`.
pub fn crds() -> Vec<CustomResourceDefinition> {
    [
        Rollout::crd(),
        AnalysisTemplate::crd(),
        ClusterAnalysisTemplate::crd(),
        AnalysisRun::crd(),
    ]
    .into_iter()
    .map(schema::finish_crd)
    .collect()
}
