//! How many requests the generator owes after some time has passed, at a steady rate.

use std::time::Duration;

/// Carries fractions of a request from one tick to the next, so 3 rps at 10 ticks a second still
/// sends 3 a second. Credit never exceeds one second's worth: after a stall (a paused laptop, a
/// slow tick) the generator resumes its rate instead of sending a burst that would spike `irate`.
#[derive(Debug)]
pub struct Pacer {
    rps: f64,
    credit: f64,
}

impl Pacer {
    /// A rate that is not a finite positive number sends nothing.
    pub fn new(rps: f64) -> Self {
        let rps = if rps.is_finite() && rps > 0.0 {
            rps
        } else {
            0.0
        };
        Pacer { rps, credit: 0.0 }
    }

    /// Requests due after `elapsed` more time.
    pub fn due(&mut self, elapsed: Duration) -> u64 {
        self.credit = (self.credit + self.rps * elapsed.as_secs_f64()).min(self.rps.max(1.0));
        let whole = self.credit.floor();
        self.credit -= whole;
        // `whole` is a small non-negative integer (at most one second's worth).
        whole as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rates() {
        let tick = Duration::from_millis(100);
        let cases: &[(f64, usize, u64)] = &[
            (50.0, 10, 50),
            (3.0, 10, 3),
            (0.5, 40, 2),
            (1000.0, 1, 100),
            (0.0, 10, 0),
            (-5.0, 10, 0),
            (f64::NAN, 10, 0),
        ];
        for (rps, ticks, want) in cases {
            let mut pacer = Pacer::new(*rps);
            let sent: u64 = (0..*ticks).map(|_| pacer.due(tick)).sum();
            assert_eq!(sent, *want, "{rps} rps over {ticks} ticks");
        }
    }

    #[test]
    fn a_stall_costs_at_most_one_second_of_requests() {
        let mut pacer = Pacer::new(50.0);
        assert_eq!(pacer.due(Duration::from_secs(30)), 50);
        assert_eq!(pacer.due(Duration::from_millis(100)), 5);
    }
}
