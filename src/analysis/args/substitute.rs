//! `{{args.NAME}}` placeholders (whitespace inside the braces allowed). Argo substitutes into the
//! metric's JSON text; substituting into each string of the metric is the same thing without the
//! escaping, and it covers every field: query, address, headers, conditions, count.

use crate::api::Metric;

use super::{ArgsError, ResolvedArgs};

/// `text` with every placeholder replaced; any `{{…}}` that is not a known `args.NAME` is an error.
pub fn substitute(text: &str, args: &ResolvedArgs) -> Result<String, ArgsError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        let tag = &rest[open + 2..open + 2 + close];
        let value = tag
            .trim()
            .strip_prefix("args.")
            .and_then(|name| args.get(name))
            .ok_or_else(|| ArgsError::Placeholder {
                tag: tag.to_owned(),
            })?;
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_json(value: &mut serde_json::Value, args: &ResolvedArgs) -> Result<(), ArgsError> {
    match value {
        serde_json::Value::String(text) if text.contains("{{") => {
            *text = substitute(text, args)?;
        }
        serde_json::Value::Array(items) => {
            for item in items {
                substitute_json(item, args)?;
            }
        }
        serde_json::Value::Object(map) => {
            for item in map.values_mut() {
                substitute_json(item, args)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The metric with its placeholders filled in.
pub fn resolve_metric(metric: &Metric, args: &ResolvedArgs) -> Result<Metric, ArgsError> {
    let reparse = |reason: String| ArgsError::Reparse {
        metric: metric.name.clone(),
        reason,
    };
    let mut json = serde_json::to_value(metric).map_err(|e| reparse(e.to_string()))?;
    substitute_json(&mut json, args)?;
    serde_json::from_value(json).map_err(|e| reparse(e.to_string()))
}
