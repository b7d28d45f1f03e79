//! What the client of one simulated request gets back, and what the proxies report about it.

use crate::colour::{UNKNOWN, colour_of};
use crate::faults::{ErrorRates, fails};
use crate::mesh::{Outcome, Target};
use crate::model::Pod;

/// One finished request.
#[derive(Debug, PartialEq)]
pub struct Exchange<'a> {
    pub code: u16,
    /// Envoy's response flag: `NR` no route, `NC` no cluster, `UH` no healthy upstream, `-` none.
    pub flags: &'static str,
    pub target: Option<Target>,
    pub pod: Option<&'a Pod>,
}

impl Exchange<'_> {
    /// The answering pod's colour (`unknown` for an image without one); `None` when no pod answered.
    pub fn colour(&self) -> Option<&'static str> {
        self.pod
            .map(|pod| pod.image.as_deref().and_then(colour_of).unwrap_or(UNKNOWN))
    }
}

/// Finishes a routed request: a pod answers 200 unless its image's error rate makes this one (by
/// the uniform `draw` in `0..1`) fail with 500.
pub fn answer<'a>(outcome: Outcome<'a>, rates: &ErrorRates, draw: f64) -> Exchange<'a> {
    match outcome {
        Outcome::NoRoute => Exchange {
            code: 404,
            flags: "NR",
            target: None,
            pod: None,
        },
        Outcome::NoDestination => Exchange {
            code: 503,
            flags: "NC",
            target: None,
            pod: None,
        },
        Outcome::NoHealthyUpstream(target) => Exchange {
            code: 503,
            flags: "UH",
            target: Some(target),
            pod: None,
        },
        Outcome::Backend { target, pod } => {
            let rate = pod.image.as_deref().map_or(0.0, |image| rates.rate(image));
            Exchange {
                code: if fails(rate, draw) { 500 } else { 200 },
                flags: "-",
                target: Some(target),
                pod: Some(pod),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(image: Option<&str>) -> Pod {
        Pod {
            name: "p".into(),
            labels: Default::default(),
            ready: true,
            image: image.map(str::to_owned),
            workload: "w".into(),
        }
    }

    fn target() -> Target {
        Target {
            name: "canary".into(),
            namespace: "default".into(),
        }
    }

    #[test]
    fn codes_and_colours() {
        let yellow = pod(Some("argoproj/rollouts-demo:yellow"));
        let plain = pod(Some("nginx:1"));
        let bare = pod(None);
        let mut rates = ErrorRates::default();
        rates
            .set("argoproj/rollouts-demo:yellow", 0.5)
            .expect("valid rate");
        let backend = |pod| Outcome::Backend {
            target: target(),
            pod,
        };
        let cases: Vec<(Outcome, f64, u16, Option<&str>)> = vec![
            (backend(&yellow), 0.7, 200, Some("yellow")),
            (backend(&yellow), 0.2, 500, Some("yellow")),
            (backend(&plain), 0.0, 200, Some("unknown")),
            (backend(&bare), 0.0, 200, Some("unknown")),
            (Outcome::NoHealthyUpstream(target()), 0.0, 503, None),
            (Outcome::NoDestination, 0.0, 503, None),
            (Outcome::NoRoute, 0.0, 404, None),
        ];
        for (outcome, draw, code, colour) in cases {
            let label = format!("{outcome:?} draw {draw}");
            let got = answer(outcome, &rates, draw);
            assert_eq!((got.code, got.colour()), (code, colour), "{label}");
        }
    }
}
