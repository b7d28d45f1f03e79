//! The election as a function of what one candidate has seen: no clock but its own, no I/O.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::LeaseSpec;

/// What a candidate knows about the Lease: its spec, and since when, by the candidate's own monotonic
/// clock, that spec has stayed the same. The timestamps inside the spec come from the holder's clock
/// and are never compared with ours.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub spec: LeaseSpec,
    pub unchanged_since: Instant,
}

impl Observed {
    /// Folds a fresh read into what was seen before: the clock restarts only when the spec changed
    /// (a renewal changes `renewTime`, so a live leader keeps restarting it).
    pub fn update(previous: Option<Observed>, spec: LeaseSpec, now: Instant) -> Observed {
        match previous {
            Some(p) if p.spec == spec => p,
            _ => Observed {
                spec,
                unchanged_since: now,
            },
        }
    }
}

/// What to do about the Lease now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// There is no Lease: create it naming us.
    Create,
    /// Nobody holds it, or its holder let it expire: take it over.
    Acquire,
    /// It names us: write a new `renewTime` (also right after a restart that kept our identity).
    Renew,
    /// Another candidate holds it and, as far as we have seen, may still be acting.
    StandBy {
        holder: String,
        expires_in: Duration,
    },
    /// We were leading but the Lease no longer names us: stop acting at once.
    Lost { holder: String },
}

/// `leading`: whether we currently act as leader. `default_duration` applies to a Lease that states
/// none; otherwise the Lease's own `leaseDurationSeconds` counts, as the holder announced it.
pub fn decide(
    observed: Option<&Observed>,
    me: &str,
    leading: bool,
    default_duration: Duration,
    now: Instant,
) -> Decision {
    let Some(observed) = observed else {
        return Decision::Create;
    };
    let holder = observed
        .spec
        .holder_identity
        .as_deref()
        .filter(|h| !h.is_empty());
    match holder {
        Some(h) if h == me => Decision::Renew,
        other if leading => Decision::Lost {
            holder: other.unwrap_or_default().to_string(),
        },
        None => Decision::Acquire,
        Some(h) => {
            let duration = observed
                .spec
                .lease_duration_seconds
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s.unsigned_abs().into()))
                .unwrap_or(default_duration);
            let seen_for = now.saturating_duration_since(observed.unchanged_since);
            if seen_for >= duration {
                Decision::Acquire
            } else {
                Decision::StandBy {
                    holder: h.to_string(),
                    expires_in: duration - seen_for,
                }
            }
        }
    }
}
