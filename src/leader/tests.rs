use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::*;

const ME: &str = "gitcanary-a";
const OTHER: &str = "gitcanary-b";
const DEFAULT: Duration = Duration::from_secs(15);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A wall-clock instant `offset` seconds from a fixed origin (the holder's clock, never ours).
fn wall(offset: i64) -> MicroTime {
    let origin = Timestamp::from_second(1_700_000_000).expect("timestamp");
    MicroTime(origin + SignedDuration::from_secs(offset))
}

fn spec(holder: Option<&str>, duration: Option<i32>, renewed: Option<i64>) -> LeaseSpec {
    LeaseSpec {
        holder_identity: holder.map(str::to_string),
        lease_duration_seconds: duration,
        acquire_time: Some(wall(0)),
        renew_time: renewed.map(wall),
        lease_transitions: Some(3),
        ..Default::default()
    }
}

struct Case {
    name: &'static str,
    spec: Option<LeaseSpec>,
    /// How long, by our clock, the spec has been the same.
    unchanged_for: Duration,
    leading: bool,
    want: Decision,
}

#[test]
fn decisions() {
    let standby = |left: u64| Decision::StandBy {
        holder: OTHER.into(),
        expires_in: secs(left),
    };
    let cases = [
        Case {
            name: "no Lease yet",
            spec: None,
            unchanged_for: secs(0),
            leading: false,
            want: Decision::Create,
        },
        Case {
            name: "released: no holder",
            spec: Some(spec(None, Some(1), Some(0))),
            unchanged_for: secs(0),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "released: empty holder",
            spec: Some(spec(Some(""), Some(1), Some(0))),
            unchanged_for: secs(0),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "other's fresh lease",
            spec: Some(spec(Some(OTHER), Some(10), Some(0))),
            unchanged_for: secs(4),
            leading: false,
            want: standby(6),
        },
        Case {
            name: "other's lease unrenewed for exactly its duration: expired",
            spec: Some(spec(Some(OTHER), Some(10), Some(0))),
            unchanged_for: secs(10),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "expired long ago",
            spec: Some(spec(Some(OTHER), Some(10), Some(0))),
            unchanged_for: secs(3600),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "the Lease's own duration counts, not ours",
            spec: Some(spec(Some(OTHER), Some(40), Some(0))),
            unchanged_for: secs(20),
            leading: false,
            want: standby(20),
        },
        Case {
            name: "no duration in the Lease: ours",
            spec: Some(spec(Some(OTHER), None, Some(0))),
            unchanged_for: secs(5),
            leading: false,
            want: standby(10),
        },
        Case {
            name: "nonsense duration in the Lease: ours",
            spec: Some(spec(Some(OTHER), Some(-5), Some(0))),
            unchanged_for: secs(15),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "missing renewTime: judged by what we saw, still fresh",
            spec: Some(spec(Some(OTHER), Some(10), None)),
            unchanged_for: secs(1),
            leading: false,
            want: standby(9),
        },
        Case {
            name: "missing renewTime: judged by what we saw, expired",
            spec: Some(spec(Some(OTHER), Some(10), None)),
            unchanged_for: secs(11),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "clock skew: holder's clock an hour ahead, but no renewal seen for the duration",
            spec: Some(spec(Some(OTHER), Some(10), Some(3600))),
            unchanged_for: secs(10),
            leading: false,
            want: Decision::Acquire,
        },
        Case {
            name: "clock skew: holder's clock a day behind, but it just renewed",
            spec: Some(spec(Some(OTHER), Some(10), Some(-86_400))),
            unchanged_for: secs(0),
            leading: false,
            want: standby(10),
        },
        Case {
            name: "own lease while leading",
            spec: Some(spec(Some(ME), Some(10), Some(0))),
            unchanged_for: secs(2),
            leading: true,
            want: Decision::Renew,
        },
        Case {
            name: "own lease after a restart with the same identity, even if stale",
            spec: Some(spec(Some(ME), Some(10), Some(0))),
            unchanged_for: secs(600),
            leading: false,
            want: Decision::Renew,
        },
        Case {
            name: "leading, but the Lease names another",
            spec: Some(spec(Some(OTHER), Some(10), Some(0))),
            unchanged_for: secs(0),
            leading: true,
            want: Decision::Lost {
                holder: OTHER.into(),
            },
        },
        Case {
            name: "leading, but someone cleared the holder",
            spec: Some(spec(None, Some(1), Some(0))),
            unchanged_for: secs(0),
            leading: true,
            want: Decision::Lost {
                holder: String::new(),
            },
        },
        Case {
            name: "leading, and the Lease was deleted: create it again",
            spec: None,
            unchanged_for: secs(0),
            leading: true,
            want: Decision::Create,
        },
    ];
    let now = Instant::now() + secs(100_000);
    for case in cases {
        let observed = case.spec.map(|spec| Observed {
            spec,
            unchanged_since: now - case.unchanged_for,
        });
        let got = decide(observed.as_ref(), ME, case.leading, DEFAULT, now);
        assert_eq!(got, case.want, "{}", case.name);
    }
}

#[test]
fn the_clock_restarts_only_when_the_spec_changes() {
    let t0 = Instant::now();
    let first = Observed::update(None, spec(Some(OTHER), Some(10), Some(0)), t0);
    assert_eq!(first.unchanged_since, t0);
    let same = Observed::update(
        Some(first.clone()),
        spec(Some(OTHER), Some(10), Some(0)),
        t0 + secs(5),
    );
    assert_eq!(
        same.unchanged_since, t0,
        "an identical read keeps the clock"
    );
    let renewed = Observed::update(
        Some(same),
        spec(Some(OTHER), Some(10), Some(2)),
        t0 + secs(7),
    );
    assert_eq!(
        renewed.unchanged_since,
        t0 + secs(7),
        "a renewal restarts it"
    );
}

#[test]
fn taking_over_counts_a_transition_and_keeps_other_fields() {
    let now = wall(100).0;
    let mut previous = spec(Some(OTHER), Some(10), Some(50));
    previous.strategy = Some("OldestEmulationVersion".into());
    let got = record::acquired(Some(&previous), ME, secs(15), now);
    assert_eq!(got.holder_identity.as_deref(), Some(ME));
    assert_eq!(got.lease_duration_seconds, Some(15));
    assert_eq!(got.acquire_time, Some(MicroTime(now)));
    assert_eq!(got.renew_time, Some(MicroTime(now)));
    assert_eq!(got.lease_transitions, Some(4));
    assert_eq!(got.strategy.as_deref(), Some("OldestEmulationVersion"));

    let released = record::released(&got, wall(120).0);
    assert_eq!(released.holder_identity, None);
    assert_eq!(released.lease_duration_seconds, Some(1));
    assert_eq!(
        released.lease_transitions,
        Some(4),
        "a release is no transition"
    );
    let again = record::acquired(Some(&released), OTHER, secs(15), wall(121).0);
    assert_eq!(again.lease_transitions, Some(5));

    let fresh = record::acquired(None, ME, secs(15), now);
    assert_eq!(fresh.lease_transitions, Some(0));
    let own = record::acquired(Some(&fresh), ME, secs(15), wall(130).0);
    assert_eq!(own.lease_transitions, Some(0), "taking back our own Lease");
}

#[test]
fn renewing_moves_only_renew_time() {
    let acquired = record::acquired(None, ME, secs(15), wall(0).0);
    let renewed = record::renewed(&acquired, ME, secs(15), wall(2).0);
    assert_eq!(renewed.renew_time, Some(wall(2)));
    assert_eq!(renewed.acquire_time, Some(wall(0)));
    assert_eq!(renewed.lease_transitions, Some(0));
    assert_eq!(renewed.holder_identity.as_deref(), Some(ME));
}

#[test]
fn lease_seconds_round_up() {
    for (d, want) in [
        (Duration::from_millis(3000), 3),
        (Duration::from_millis(2500), 3),
        (Duration::from_millis(200), 1),
        (secs(15), 15),
    ] {
        assert_eq!(record::duration_seconds(d), want, "{d:?}");
    }
}

#[test]
fn timing_must_nest() {
    let ok = Timing {
        lease_duration: secs(3),
        renew_deadline: secs(2),
        retry_period: Duration::from_millis(500),
    };
    assert!(ok.check().is_ok());
    assert!(Timing::default().check().is_ok());
    for (name, bad) in [
        (
            "deadline = duration",
            Timing {
                renew_deadline: secs(3),
                ..ok
            },
        ),
        (
            "retry > deadline",
            Timing {
                retry_period: secs(2),
                ..ok
            },
        ),
        (
            "zero retry",
            Timing {
                retry_period: Duration::ZERO,
                ..ok
            },
        ),
        (
            "sub-second lease",
            Timing {
                lease_duration: Duration::from_millis(900),
                renew_deadline: Duration::from_millis(600),
                retry_period: Duration::from_millis(100),
            },
        ),
    ] {
        assert!(bad.check().is_err(), "{name}");
    }
}

#[test]
fn the_leader_address_is_read_only_from_a_held_lease_and_removed_on_release() {
    use k8s_openapi::api::coordination::v1::Lease;
    use record::Leader;
    let mut lease = Lease {
        spec: Some(LeaseSpec {
            holder_identity: Some(OTHER.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(record::leader(None, ME), Leader::Nobody, "no Lease yet");
    assert_eq!(
        record::leader(Some(&lease), ME),
        Leader::Unadvertised {
            holder: OTHER.into()
        },
        "not advertised"
    );
    record::advertise(&mut lease.metadata, Some("http://10.0.0.7:9464"));
    assert_eq!(
        record::leader(Some(&lease), ME),
        Leader::At {
            holder: OTHER.into(),
            url: "http://10.0.0.7:9464".into()
        }
    );
    assert_eq!(record::leader(Some(&lease), OTHER), Leader::Me);
    let mut released = lease.clone();
    released.spec = Some(LeaseSpec::default());
    assert_eq!(
        record::leader(Some(&released), ME),
        Leader::Nobody,
        "nobody holds it"
    );
    record::advertise(&mut lease.metadata, None);
    assert_eq!(
        record::leader(Some(&lease), ME),
        Leader::Unadvertised {
            holder: OTHER.into()
        }
    );
    assert_eq!(
        lease.metadata.annotations.map(|a| a.len()),
        Some(0),
        "only our annotation is touched"
    );
}
