//! The AnalysisRun lifecycle: [`new_run`] builds the object a Rollout asks for, [`step_run`]
//! advances it (pure), [`expires_at`] says when a finished one may go.

mod new;
mod step;
mod ttl;

#[cfg(test)]
mod tests;

pub use new::{
    INSTANCE_ID_LABEL, NewRun, NewRunError, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION,
    ROLLOUT_TYPE_LABEL, RunKind, STEP_INDEX_LABEL, collision_name, new_run, run_name,
};
pub use step::{MeasureTask, RunUpdate, TakenMeasurement, fail_run, step_run};
pub use ttl::expires_at;
