//! The Lease specs a candidate writes: taking a Lease, renewing it, handing it over; and where the
//! leader says it can be reached.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;

/// The leader's HTTP address, written by the leader on its Lease so that a standby can pass a
/// webhook on to it (behind one Service, the Git host reaches either replica).
pub const LEADER_URL_ANNOTATION: &str = "gitcanary.dev/leader-url";

/// Sets (or, without an address, removes) the leader's address on the Lease it writes.
pub fn advertise(meta: &mut ObjectMeta, url: Option<&str>) {
    match url {
        Some(url) => {
            meta.annotations
                .get_or_insert_with(Default::default)
                .insert(LEADER_URL_ANNOTATION.into(), url.to_string());
        }
        None => {
            if let Some(a) = meta.annotations.as_mut() {
                a.remove(LEADER_URL_ANNOTATION);
            }
        }
    }
}

/// Who leads, as a standby relaying a webhook needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leader {
    /// Nobody holds the Lease (or there is none yet).
    Nobody,
    /// This replica: just elected, not acting yet.
    Me,
    /// Another replica, which has not said where it listens.
    Unadvertised { holder: String },
    /// Another replica, at this address.
    At { holder: String, url: String },
}

/// Reads the Lease (`None`: there is none) as seen by the replica `me`.
pub fn leader(lease: Option<&Lease>, me: &str) -> Leader {
    let Some(holder) = lease
        .and_then(|l| l.spec.as_ref()?.holder_identity.clone())
        .filter(|h| !h.is_empty())
    else {
        return Leader::Nobody;
    };
    if holder == me {
        return Leader::Me;
    }
    let url = lease
        .and_then(|l| l.metadata.annotations.as_ref()?.get(LEADER_URL_ANNOTATION))
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    match url {
        Some(url) => Leader::At { holder, url },
        None => Leader::Unadvertised { holder },
    }
}

/// The Lease's whole seconds, rounded up so that the others never wait less than we promised.
pub fn duration_seconds(d: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i32::try_from(secs.max(1)).unwrap_or(i32::MAX)
}

/// Our Lease, taken over from `previous` (none: a new Lease). A change of holder counts as a
/// transition, as client-go counts it.
pub fn acquired(
    previous: Option<&LeaseSpec>,
    me: &str,
    duration: Duration,
    now: Timestamp,
) -> LeaseSpec {
    let transitions = previous.map_or(0, |p| {
        let old = p.lease_transitions.unwrap_or(0);
        if p.holder_identity.as_deref() == Some(me) {
            old
        } else {
            old.saturating_add(1)
        }
    });
    LeaseSpec {
        holder_identity: Some(me.to_string()),
        lease_duration_seconds: Some(duration_seconds(duration)),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(transitions),
        ..previous.cloned().unwrap_or_default()
    }
}

/// Our Lease with a new `renewTime` (and our duration, should it have been edited).
pub fn renewed(previous: &LeaseSpec, me: &str, duration: Duration, now: Timestamp) -> LeaseSpec {
    LeaseSpec {
        holder_identity: Some(me.to_string()),
        lease_duration_seconds: Some(duration_seconds(duration)),
        acquire_time: previous.acquire_time.clone().or(Some(MicroTime(now))),
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(previous.lease_transitions.unwrap_or(0)),
        ..previous.clone()
    }
}

/// Handing over on a clean shutdown: no holder, so a standby takes the Lease at its next try without
/// waiting for it to expire; a duration of one second for candidates that only look at timestamps.
pub fn released(previous: &LeaseSpec, now: Timestamp) -> LeaseSpec {
    LeaseSpec {
        holder_identity: None,
        lease_duration_seconds: Some(1),
        renew_time: Some(MicroTime(now)),
        ..previous.clone()
    }
}
