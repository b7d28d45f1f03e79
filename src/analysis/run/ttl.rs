//! When a finished run may be deleted (`spec.ttlStrategy`): the phase-specific setting wins over
//! `secondsAfterCompletion`.

use chrono::{DateTime, Utc};

use crate::analysis::time::{after, from_time};
use crate::api::{AnalysisPhase, AnalysisRun};

/// The time after which the run should be deleted, if it is finished and has a TTL.
pub fn expires_at(run: &AnalysisRun) -> Option<DateTime<Utc>> {
    let ttl = run.spec.ttl_strategy.as_ref()?;
    let status = run.status.as_ref()?;
    let completed = from_time(status.completed_at.as_ref()?);
    let specific = match status.phase? {
        AnalysisPhase::Successful => ttl.seconds_after_success,
        AnalysisPhase::Failed | AnalysisPhase::Error => ttl.seconds_after_failure,
        _ => None,
    };
    let seconds = specific.or(ttl.seconds_after_completion)?;
    Some(after(
        completed,
        std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0)),
    ))
}
