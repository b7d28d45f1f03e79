//! Time as the API stores it. Kubernetes serialises `Time` with whole seconds, so every instant the
//! controller writes is cut to the second first: a status read back after a restart then compares
//! equal to the one computed before it, and timers computed from it neither drift nor double-fire.

use chrono::{DateTime, TimeDelta, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// `now` without its fraction of a second.
pub fn whole_seconds(now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

/// The API form of an instant (whole seconds).
pub fn to_time(at: DateTime<Utc>) -> Time {
    Time(Timestamp::from_second(at.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// An API instant as chrono.
pub fn from_time(time: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(time.0.as_second(), time.0.subsec_nanosecond().max(0) as u32)
        .unwrap_or_default()
}

/// RFC 3339 in UTC with whole seconds, Argo's format for the `scale-down-deadline` annotation.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    whole_seconds(at).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads an RFC 3339 annotation value; anything else counts as absent.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Seconds from configuration as a chrono delta (negative values mean none).
pub fn seconds(value: i64) -> TimeDelta {
    TimeDelta::seconds(value.max(0))
}

/// How long from `now` until `at`, never negative: the requeue delay for a timer.
pub fn until(now: DateTime<Utc>, at: DateTime<Utc>) -> std::time::Duration {
    (at - now).to_std().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_the_api_form_at_second_precision() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("instant");
        let stored = to_time(now);
        let json = serde_json::to_string(&stored).expect("serialises");
        assert_eq!(json, "\"2026-01-02T03:04:05Z\"");
        let back: Time = serde_json::from_str(&json).expect("parses");
        assert_eq!(from_time(&back), whole_seconds(now));
        assert_eq!(rfc3339(now), "2026-01-02T03:04:05Z");
        assert_eq!(
            parse_rfc3339("2026-01-02T03:04:05Z"),
            Some(whole_seconds(now))
        );
        assert_eq!(parse_rfc3339("soon"), None);
        assert_eq!(until(now, now - seconds(5)), std::time::Duration::ZERO);
        assert_eq!(
            until(whole_seconds(now), whole_seconds(now) + seconds(20)),
            std::time::Duration::from_secs(20)
        );
    }
}
