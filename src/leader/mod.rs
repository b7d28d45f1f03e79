//! Leader election over a `coordination.k8s.io/v1` Lease, so that of several replicas only one writes
//! to the cluster at a time while the others stand by, ready to take over.
//!
//! The protocol is client-go's: the leader renews the Lease every retry period; a candidate takes it
//! once it has seen the same Lease spec, unrenewed, for the Lease's duration *by its own clock*, so
//! clock skew between replicas does not matter. Writes carry the `resourceVersion` they read, so of two
//! candidates racing for a free Lease one gets a 409 and reads again. A leader that cannot renew within
//! the renew deadline (shorter than the duration) stops acting before anyone else may start.
//!
//! [`decide`] is the pure decision, [`record`] the Lease specs written, [`Elector`] the I/O loop.

mod decide;
mod elector;
mod metrics;
pub mod record;
pub mod relay;

use std::time::Duration;

pub use decide::{Decision, Observed, decide};
pub use elector::Elector;
pub use metrics::LeaderMetrics;
pub use relay::Relay;

/// The three intervals of the election. Invariant (checked by [`Timing::check`]):
/// `lease_duration > renew_deadline > retry_period > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a Lease stays valid after its last renewal, for the candidates watching it.
    pub lease_duration: Duration,
    /// How long a leader keeps acting without a successful renewal; shorter than `lease_duration`
    /// so it has stopped before a standby may take over.
    pub renew_deadline: Duration,
    /// Pause between two renewals (leader) or two tries (standby).
    pub retry_period: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

impl Timing {
    pub fn check(&self) -> Result<(), LeaderError> {
        let invalid = |message: String| Err(LeaderError::Timing { message });
        let t = self;
        if t.lease_duration < Duration::from_secs(1) {
            return invalid(format!(
                "lease duration {:?} is shorter than the Lease's unit, 1s",
                t.lease_duration
            ));
        }
        if t.retry_period.is_zero() {
            return invalid("retry period must be more than 0".into());
        }
        if t.renew_deadline >= t.lease_duration {
            return invalid(format!(
                "renew deadline {:?} must be shorter than the lease duration {:?}",
                t.renew_deadline, t.lease_duration
            ));
        }
        if t.retry_period >= t.renew_deadline {
            return invalid(format!(
                "retry period {:?} must be shorter than the renew deadline {:?}",
                t.retry_period, t.renew_deadline
            ));
        }
        Ok(())
    }
}

/// Which Lease, who we are, and how fast.
#[derive(Debug, Clone)]
pub struct ElectionConfig {
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's `holderIdentity`: unique among the candidates.
    pub identity: String,
    pub timing: Timing,
    /// Where other replicas reach this one's HTTP server (`http://POD_IP:PORT`), written on the
    /// Lease while leading; `None`: not advertised, and webhooks reaching a standby are refused.
    pub advertise: Option<String>,
}

impl ElectionConfig {
    /// `namespace/name`, for messages.
    pub fn lease(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The Pod's name when the downward API provides it (`POD_NAME`), else the host name with a random
/// suffix, so two processes on one host never share an identity.
pub fn default_identity() -> String {
    use rand::Rng;
    if let Ok(pod) = std::env::var("POD_NAME")
        && !pod.trim().is_empty()
    {
        return pod.trim().to_string();
    }
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "gitcanary".into());
    let suffix: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(6)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect();
    format!("{host}-{suffix}")
}

#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    #[error("leader election: {message}")]
    Timing { message: String },
    #[error("reading Lease {lease}: {source}")]
    Read { lease: String, source: kube::Error },
    #[error("writing Lease {lease}: {source}")]
    Write { lease: String, source: kube::Error },
    #[error("lost Lease {lease}: it is now held by {holder:?}")]
    Lost { lease: String, holder: String },
    #[error("could not renew Lease {lease} within the renew deadline of {deadline:?}")]
    RenewDeadline { lease: String, deadline: Duration },
}

#[cfg(test)]
mod tests;
