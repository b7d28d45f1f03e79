//! Durations as Argo spells them: Go's `time.ParseDuration` syntax (`20s`, `1h30m`, `1.5m`) for
//! metric intervals, and the looser pause durations that also take bare seconds.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::RolloutPause;

/// Why a Go duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("duration is empty")]
    Empty,
    #[error("duration {text:?} is not a number followed by a unit (ns, us, ms, s, m, h)")]
    Syntax { text: String },
    #[error("duration {text:?} has a number without a unit (ns, us, ms, s, m, h)")]
    MissingUnit { text: String },
    #[error("duration {text:?} has unknown unit {unit:?} (ns, us, ms, s, m, h)")]
    UnknownUnit { text: String, unit: String },
    #[error("duration {text:?} is too long")]
    Overflow { text: String },
    #[error("duration {text:?} is negative")]
    Negative { text: String },
}

/// A pause step whose duration cannot be used; names the step so the user can find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("spec.strategy.canary.steps[{step}].pause.duration {value}: {reason}")]
pub struct PauseDurationError {
    /// Index of the step in `spec.strategy.canary.steps`.
    pub step: usize,
    /// The value as written.
    pub value: String,
    /// What is wrong with it.
    pub reason: DurationError,
}

const NANOS_PER_UNIT: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses Go's duration syntax: one or more `<number><unit>` terms, a number possibly fractional,
/// with an optional leading sign, or a bare `0`. Negative values are refused because nothing here
/// waits for less than no time, and Go's limit of about 292 years is kept.
pub fn parse_go_duration(text: &str) -> Result<Duration, DurationError> {
    let syntax = || DurationError::Syntax {
        text: text.to_owned(),
    };
    let (negative, mut rest) = match text.as_bytes().first() {
        None => return Err(DurationError::Empty),
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        Some(_) => (false, text),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(syntax());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_number) = match after_int.strip_prefix('.') {
            Some(after_dot) => {
                let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(frac_len)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(syntax());
        }
        let unit_len = after_number
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after_number.len(), |(i, _)| i);
        let (unit, remainder) = after_number.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit {
                text: text.to_owned(),
            });
        }
        let scale = NANOS_PER_UNIT
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| DurationError::UnknownUnit {
                text: text.to_owned(),
                unit: unit.to_owned(),
            })?;
        total = total
            .checked_add(term_nanos(int_part, frac_part, scale).ok_or_else(|| overflow(text))?)
            .ok_or_else(|| overflow(text))?;
        rest = remainder;
    }
    if total > i64::MAX as u128 {
        return Err(overflow(text));
    }
    if negative && total > 0 {
        return Err(DurationError::Negative {
            text: text.to_owned(),
        });
    }
    let nanos = u64::try_from(total).map_err(|_| overflow(text))?;
    Ok(Duration::from_nanos(nanos))
}

fn overflow(text: &str) -> DurationError {
    DurationError::Overflow {
        text: text.to_owned(),
    }
}

/// `int.frac` × `scale` nanoseconds, truncating digits below a nanosecond as Go does.
fn term_nanos(int_part: &str, frac_part: &str, scale: u128) -> Option<u128> {
    let whole: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut nanos = whole.checked_mul(scale)?;
    let mut place = scale;
    for digit in frac_part.bytes() {
        place /= 10;
        if place == 0 {
            break;
        }
        nanos = nanos.checked_add(u128::from(digit - b'0') * place)?;
    }
    Some(nanos)
}

/// Resolves a pause duration the way Argo does: an integer is seconds, a string of digits is
/// seconds, anything else is a Go duration truncated to whole seconds.
pub fn parse_pause_duration(value: &IntOrString) -> Result<Duration, DurationError> {
    match value {
        IntOrString::Int(seconds) => {
            u64::try_from(*seconds)
                .map(Duration::from_secs)
                .map_err(|_| DurationError::Negative {
                    text: seconds.to_string(),
                })
        }
        IntOrString::String(text) => match text.parse::<i32>() {
            Ok(seconds) => u64::try_from(seconds)
                .map(Duration::from_secs)
                .map_err(|_| DurationError::Negative { text: text.clone() }),
            Err(_) => parse_go_duration(text).map(|d| Duration::from_secs(d.as_secs())),
        },
    }
}

impl RolloutPause {
    /// How long this pause (step `step`) lasts; `None` means until promoted.
    pub fn duration_for_step(&self, step: usize) -> Result<Option<Duration>, PauseDurationError> {
        let Some(value) = &self.duration else {
            return Ok(None);
        };
        parse_pause_duration(value)
            .map(Some)
            .map_err(|reason| PauseDurationError {
                step,
                value: match value {
                    IntOrString::Int(n) => n.to_string(),
                    IntOrString::String(s) => format!("{s:?}"),
                },
                reason,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn go_durations_parse_like_go() {
        let cases: &[(&str, Duration)] = &[
            ("0", Duration::ZERO),
            ("-0", Duration::ZERO),
            ("10s", secs(10)),
            ("+10s", secs(10)),
            ("5m", secs(300)),
            ("1h", secs(3600)),
            ("1h30m", secs(5400)),
            ("1h30m15s", secs(5415)),
            ("1.5h", secs(5400)),
            (".5s", Duration::from_millis(500)),
            ("1.s", secs(1)),
            ("250ms", Duration::from_millis(250)),
            ("3us", Duration::from_micros(3)),
            ("3µs", Duration::from_micros(3)),
            ("7ns", Duration::from_nanos(7)),
            ("1.0000000001s", secs(1)),
            ("2562047h", secs(2_562_047 * 3600)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_go_duration(text).as_ref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn bad_go_durations_say_why() {
        let cases: &[(&str, DurationError)] = &[
            ("", DurationError::Empty),
            ("-", DurationError::Syntax { text: "-".into() }),
            ("s", DurationError::Syntax { text: "s".into() }),
            (".s", DurationError::Syntax { text: ".s".into() }),
            ("10", DurationError::MissingUnit { text: "10".into() }),
            (
                "1h30",
                DurationError::MissingUnit {
                    text: "1h30".into(),
                },
            ),
            (
                "10x",
                DurationError::UnknownUnit {
                    text: "10x".into(),
                    unit: "x".into(),
                },
            ),
            (
                "10 s",
                DurationError::UnknownUnit {
                    text: "10 s".into(),
                    unit: " s".into(),
                },
            ),
            ("-5s", DurationError::Negative { text: "-5s".into() }),
            (
                "3000000h",
                DurationError::Overflow {
                    text: "3000000h".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_go_duration(text).as_ref(), Err(expected), "{text}");
        }
    }

    #[test]
    fn pause_durations_follow_argo() {
        let cases: &[(IntOrString, Result<Duration, DurationError>)] = &[
            (IntOrString::Int(20), Ok(secs(20))),
            (IntOrString::Int(0), Ok(Duration::ZERO)),
            (IntOrString::String("20".into()), Ok(secs(20))),
            (IntOrString::String("20s".into()), Ok(secs(20))),
            (IntOrString::String("1h30m".into()), Ok(secs(5400))),
            (IntOrString::String("1500ms".into()), Ok(secs(1))),
            (
                IntOrString::Int(-1),
                Err(DurationError::Negative { text: "-1".into() }),
            ),
            (
                IntOrString::String("-3".into()),
                Err(DurationError::Negative { text: "-3".into() }),
            ),
            (
                IntOrString::String("soon".into()),
                Err(DurationError::Syntax {
                    text: "soon".into(),
                }),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(&parse_pause_duration(value), expected, "{value:?}");
        }
    }

    #[test]
    fn pause_errors_name_the_step() {
        let pause = RolloutPause {
            duration: Some(IntOrString::String("ten".into())),
        };
        let err = pause.duration_for_step(3).expect_err("invalid duration");
        assert_eq!(err.step, 3);
        assert_eq!(
            err.to_string(),
            "spec.strategy.canary.steps[3].pause.duration \"ten\": duration \"ten\" is not a number followed by a unit (ns, us, ms, s, m, h)"
        );
        assert_eq!(RolloutPause::default().duration_for_step(0), Ok(None));
    }
}
