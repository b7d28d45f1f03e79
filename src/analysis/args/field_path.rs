//! `valueFrom.fieldRef.fieldPath` against the Rollout: the downward-API paths under `metadata`
//! (`metadata.labels['app']`), and any other path into the Rollout's JSON that ends in a
//! primitive (`spec.template.spec.containers[0].image`).

use std::collections::BTreeMap;

use crate::api::Rollout;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldPathError {
    #[error(
        "fieldPath {0:?} is not supported (metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'], metadata.annotations['KEY'], or a path into the Rollout)"
    )]
    UnsupportedMetadata(String),
    #[error("fieldPath {0:?} cannot be parsed")]
    Syntax(String),
    #[error("fieldPath {0:?} does not exist in the Rollout")]
    Missing(String),
    #[error("fieldPath {0:?} must end in a string, number or bool")]
    NotPrimitive(String),
}

/// One step of a path: a field name or a list index.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Splits `a.b[0]['c.d']` into steps; subscripts may be numbers or quoted keys.
fn parse(path: &str) -> Result<Vec<Step>, FieldPathError> {
    let syntax = || FieldPathError::Syntax(path.to_owned());
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').ok_or_else(syntax)?;
            let inside = after[..close].trim();
            let quoted = inside
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
            steps.push(match quoted {
                Some(key) => Step::Key(key.to_owned()),
                None => Step::Index(inside.parse().map_err(|_| syntax())?),
            });
            rest = &after[close + 1..];
        } else {
            let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
            if end == 0 {
                return Err(syntax());
            }
            steps.push(Step::Key(rest_trimmed[..end].to_owned()));
            rest = &rest_trimmed[end..];
        }
    }
    if steps.is_empty() {
        return Err(syntax());
    }
    Ok(steps)
}

/// The downward API's rendering of a whole label or annotation map: `key="value"` lines, sorted.
fn format_map(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn metadata_field(rollout: &Rollout, path: &str, steps: &[Step]) -> Result<String, FieldPathError> {
    let meta = &rollout.metadata;
    let unsupported = || FieldPathError::UnsupportedMetadata(path.to_owned());
    let empty = BTreeMap::new();
    match steps {
        [Step::Key(field)] => match field.as_str() {
            "name" => Ok(meta.name.clone().unwrap_or_default()),
            "namespace" => Ok(meta.namespace.clone().unwrap_or_default()),
            "uid" => Ok(meta.uid.clone().unwrap_or_default()),
            "labels" => Ok(format_map(meta.labels.as_ref().unwrap_or(&empty))),
            "annotations" => Ok(format_map(meta.annotations.as_ref().unwrap_or(&empty))),
            _ => Err(unsupported()),
        },
        // A missing key is an empty string, as with the downward API.
        [Step::Key(field), Step::Key(key)] => match field.as_str() {
            "labels" => Ok(meta
                .labels
                .as_ref()
                .and_then(|m| m.get(key))
                .cloned()
                .unwrap_or_default()),
            "annotations" => Ok(meta
                .annotations
                .as_ref()
                .and_then(|m| m.get(key))
                .cloned()
                .unwrap_or_default()),
            _ => Err(unsupported()),
        },
        _ => Err(unsupported()),
    }
}

/// The value at `path` in the Rollout, as a string.
pub fn rollout_field(rollout: &Rollout, path: &str) -> Result<String, FieldPathError> {
    let steps = parse(path.trim())?;
    if let Some((Step::Key(first), rest)) = steps.split_first()
        && first == "metadata"
    {
        return metadata_field(rollout, path, rest);
    }
    let json =
        serde_json::to_value(rollout).map_err(|_| FieldPathError::Missing(path.to_owned()))?;
    let mut at = &json;
    for step in &steps {
        let next = match (step, at) {
            (Step::Key(key), serde_json::Value::Object(map)) => map.get(key),
            (Step::Index(i), serde_json::Value::Array(items)) => items.get(*i),
            (Step::Key(key), serde_json::Value::Array(items)) => {
                key.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        at = next.ok_or_else(|| FieldPathError::Missing(path.to_owned()))?;
    }
    match at {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        serde_json::Value::Null => Err(FieldPathError::Missing(path.to_owned())),
        _ => Err(FieldPathError::NotPrimitive(path.to_owned())),
    }
}
