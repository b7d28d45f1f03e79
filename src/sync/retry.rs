//! Retrying API calls that failed for reasons that pass: 429, 5xx, timeouts, broken connections.

use std::future::Future;
use std::time::Duration;

/// Whether an error is worth retrying (the request may well succeed a moment later).
pub fn is_transient(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(s) => matches!(s.code, 429 | 500 | 502 | 503 | 504),
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => true,
        _ => false,
    }
}

/// Backoff schedule: 50 ms doubling to 2 s, `attempts` tries in all.
pub fn delays(attempts: usize) -> impl Iterator<Item = Duration> {
    (0..attempts.saturating_sub(1)).map(|i| Duration::from_millis((50u64 << i.min(6)).min(2000)))
}

/// Runs `op` until it succeeds, fails permanently, or the attempts run out.
pub async fn with_backoff<T, F, Fut>(attempts: usize, mut op: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut schedule = delays(attempts);
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if is_transient(&e) => match schedule.next() {
                Some(d) => {
                    tracing::debug!(error = %e, delay_ms = d.as_millis() as u64, "transient API error; retrying");
                    tokio::time::sleep(d).await;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure("x", "y")
                .with_code(code)
                .boxed(),
        )
    }

    #[test]
    fn transient_codes() {
        for (code, want) in [
            (500, true),
            (503, true),
            (429, true),
            (409, false),
            (404, false),
            (422, false),
        ] {
            assert_eq!(is_transient(&api(code)), want, "{code}");
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        let d: Vec<u64> = delays(8).map(|d| d.as_millis() as u64).collect();
        assert_eq!(d, vec![50, 100, 200, 400, 800, 1600, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_success() {
        let mut calls = 0;
        let r = with_backoff(5, || {
            calls += 1;
            let n = calls;
            async move { if n < 3 { Err(api(503)) } else { Ok(n) } }
        })
        .await;
        assert_eq!(r.ok(), Some(3));
        let r: Result<(), _> = with_backoff(5, || async { Err(api(404)) }).await;
        assert!(r.is_err());
    }
}
