//! Building an AnalysisRun for a rollout from its templates and arguments.

use serde_json::Value;

use super::caches::Caches;
use crate::api::Rollout;
use crate::rollout::NewAnalysisRun;

/// The AnalysisRun object to create, or why it cannot be built.
pub fn build(_rollout: &Rollout, nar: &NewAnalysisRun, _caches: &Caches) -> Result<Value, String> {
    Err(format!(
        "cannot create AnalysisRun {}: analysis is not part of this build yet",
        nar.name
    ))
}
