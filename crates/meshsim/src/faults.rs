//! Injected failures: a share of the requests answered by pods of one image fail with 500, like the
//! error-rate slider of the seed's demo application.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Error rates are keyed by whatever image people type, so their number is capped.
pub const MAX_IMAGES: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ErrorRateError {
    #[error("error rate {rate} for {image} is not between 0 and 1")]
    OutOfRange { image: String, rate: f64 },
    #[error("an error rate needs an image")]
    NoImage,
    #[error("at most {MAX_IMAGES} images can have an error rate; set one to 0 first")]
    TooMany,
}

/// One image's error rate, as `/error-rate` reads and writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorRate {
    pub image: String,
    pub rate: f64,
}

#[derive(Clone, Debug, Default)]
pub struct ErrorRates {
    rates: BTreeMap<String, f64>,
}

impl ErrorRates {
    /// Sets the share of failing requests for an image; 0 removes it.
    pub fn set(&mut self, image: &str, rate: f64) -> Result<(), ErrorRateError> {
        if image.is_empty() {
            return Err(ErrorRateError::NoImage);
        }
        if !(0.0..=1.0).contains(&rate) {
            return Err(ErrorRateError::OutOfRange {
                image: image.to_owned(),
                rate,
            });
        }
        if rate == 0.0 {
            self.rates.remove(image);
        } else if self.rates.len() >= MAX_IMAGES && !self.rates.contains_key(image) {
            return Err(ErrorRateError::TooMany);
        } else {
            self.rates.insert(image.to_owned(), rate);
        }
        Ok(())
    }

    pub fn rate(&self, image: &str) -> f64 {
        self.rates.get(image).copied().unwrap_or(0.0)
    }

    pub fn list(&self) -> Vec<ErrorRate> {
        self.rates
            .iter()
            .map(|(image, &rate)| ErrorRate {
                image: image.clone(),
                rate,
            })
            .collect()
    }
}

/// Whether a request fails, given a uniform draw in `0..1`.
pub fn fails(rate: f64, draw: f64) -> bool {
    draw < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: &str = "argoproj/rollouts-demo:red";

    #[test]
    fn set_list_and_remove() {
        let mut rates = ErrorRates::default();
        rates.set(RED, 0.5).expect("valid");
        assert_eq!(rates.rate(RED), 0.5);
        assert_eq!(rates.rate("other"), 0.0);
        assert_eq!(
            rates.list(),
            [ErrorRate {
                image: RED.into(),
                rate: 0.5
            }]
        );
        rates.set(RED, 0.0).expect("valid");
        assert!(rates.list().is_empty());
    }

    #[test]
    fn rejects_nonsense() {
        let mut rates = ErrorRates::default();
        for rate in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(rates.set(RED, rate), Err(ErrorRateError::OutOfRange { .. })),
                "{rate}"
            );
        }
        assert_eq!(rates.set("", 0.5), Err(ErrorRateError::NoImage));
        for i in 0..MAX_IMAGES {
            rates.set(&format!("img:{i}"), 1.0).expect("within the cap");
        }
        assert_eq!(rates.set(RED, 0.5), Err(ErrorRateError::TooMany));
        rates
            .set("img:0", 0.2)
            .expect("changing a listed image is fine");
        rates.set("img:0", 0.0).expect("removing is fine");
        rates.set(RED, 0.5).expect("room again");
    }

    #[test]
    fn failing_draws() {
        let cases = [
            (0.0, 0.0, false),
            (0.5, 0.49, true),
            (0.5, 0.5, false),
            (1.0, 0.999, true),
        ];
        for (rate, draw, want) in cases {
            assert_eq!(fails(rate, draw), want, "{rate} {draw}");
        }
    }
}
