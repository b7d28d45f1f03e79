//! `rangeQuery.start` / `end` are expr time expressions; what people write is `now()` shifted by
//! a `duration("…")`, or a fixed `date("…")`. This reads exactly that grammar —
//! `term (("+" | "-") term)*` with `now()`, `duration("5m")`, `date("2024-05-01T00:00:00Z")` —
//! and insists the result is a time.

use chrono::{DateTime, Utc};

use crate::api::parse_go_duration;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Term {
    Time(DateTime<Utc>),
    /// Signed nanoseconds.
    Duration(i128),
}

fn error(expression: &str, reason: &str) -> String {
    format!(
        "{expression:?}: {reason} (use now(), duration(\"5m\") and date(\"RFC 3339\") with + and -)"
    )
}

/// The string argument of `name("…")` at the start of `text`, and what follows the call.
fn call<'t>(text: &'t str, name: &str) -> Option<(&'t str, &'t str)> {
    let rest = text
        .strip_prefix(name)?
        .trim_start()
        .strip_prefix('(')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    let argument = &rest[..close];
    let after = rest[close + 1..].trim_start().strip_prefix(')')?;
    Some((argument, after))
}

fn term<'t>(
    expression: &str,
    text: &'t str,
    now: DateTime<Utc>,
) -> Result<(Term, &'t str), String> {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix("now") {
        let rest = rest.trim_start().strip_prefix('(').map(str::trim_start);
        if let Some(after) = rest.and_then(|r| r.strip_prefix(')')) {
            return Ok((Term::Time(now), after));
        }
    }
    if let Some((argument, after)) = call(text, "duration") {
        let duration =
            parse_go_duration(argument).map_err(|e| error(expression, &e.to_string()))?;
        return Ok((Term::Duration(duration.as_nanos() as i128), after));
    }
    if let Some((argument, after)) = call(text, "date") {
        let date = DateTime::parse_from_rfc3339(argument)
            .map_err(|e| error(expression, &format!("date {argument:?}: {e}")))?;
        return Ok((Term::Time(date.with_timezone(&Utc)), after));
    }
    Err(error(expression, "unsupported expression"))
}

fn combine(expression: &str, left: Term, plus: bool, right: Term) -> Result<Term, String> {
    let sign = if plus { 1 } else { -1 };
    match (left, right) {
        (Term::Time(t), Term::Duration(d)) => {
            let shifted = i64::try_from(sign * d)
                .ok()
                .and_then(|n| t.checked_add_signed(chrono::Duration::nanoseconds(n)))
                .ok_or_else(|| error(expression, "time out of range"))?;
            Ok(Term::Time(shifted))
        }
        (Term::Duration(a), Term::Duration(b)) => Ok(Term::Duration(a + sign * b)),
        _ => Err(error(
            expression,
            "only a duration can be added to or subtracted from a time",
        )),
    }
}

/// Evaluates a start or end expression at `now`.
pub fn range_time(expression: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let (mut value, mut rest) = term(expression, expression, now)?;
    loop {
        let trimmed = rest.trim_start();
        let plus = match trimmed.chars().next() {
            None => break,
            Some('+') => true,
            Some('-') => false,
            Some(_) => return Err(error(expression, "unexpected text")),
        };
        let (right, after) = term(expression, &trimmed[1..], now)?;
        value = combine(expression, value, plus, right)?;
        rest = after;
    }
    match value {
        Term::Time(time) => Ok(time),
        Term::Duration(_) => Err(error(expression, "the result is a duration, not a time")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_expressions() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).expect("valid");
        let cases: Vec<(&str, Result<i64, &str>)> = vec![
            ("now()", Ok(0)),
            ("now() - duration(\"5m\")", Ok(-300)),
            ("now()-duration('1h30m')", Ok(-5400)),
            ("now() + duration(\"10s\") - duration(\"20s\")", Ok(-10)),
            (
                "duration(\"1m\") + now()",
                Err("only a duration can be added"),
            ),
            ("date(\"2023-11-14T22:13:20Z\")", Ok(0)),
            ("date(\"2023-11-14T22:13:20Z\") + duration(\"1s\")", Ok(1)),
            ("duration(\"5m\")", Err("is a duration, not a time")),
            ("now() - duration(\"5x\")", Err("unknown unit")),
            ("now() * 2", Err("unexpected text")),
            ("yesterday()", Err("unsupported expression")),
            ("date(\"last tuesday\")", Err("date \"last tuesday\"")),
        ];
        for (expression, want) in cases {
            let got = range_time(expression, now).map(|t| t.timestamp() - now.timestamp());
            match want {
                Ok(offset) => assert_eq!(got, Ok(offset), "{expression}"),
                Err(needle) => assert!(
                    got.as_ref().is_err_and(|e| e.contains(needle)),
                    "{expression}: {got:?}"
                ),
            }
        }
    }
}
