//! Between chrono (what the controller passes as `now`) and Kubernetes' `Time` (what the status
//! stores). Times are cut to whole seconds, which is all the API server keeps, so a status computed
//! in memory equals the one read back and re-applying it is a no-op.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// `now` as the API server will store it.
pub fn to_time(at: DateTime<Utc>) -> Time {
    Time(Timestamp::from_second(at.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
}

pub fn from_time(time: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(time.0.as_second(), time.0.subsec_nanosecond().max(0) as u32)
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// `at + duration`, saturating instead of panicking on absurd durations.
pub fn after(at: DateTime<Utc>, duration: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_second_precision() {
        let at = DateTime::from_timestamp(1_700_000_000, 750_000_000).expect("valid");
        let stored = to_time(at);
        assert_eq!(
            from_time(&stored),
            DateTime::from_timestamp(1_700_000_000, 0).expect("valid")
        );
        assert_eq!(
            after(from_time(&stored), std::time::Duration::from_secs(20)).timestamp(),
            1_700_000_020
        );
    }
}
