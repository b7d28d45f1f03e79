//! `meta.k8s.io/v1 Table` responses: what `kubectl get` asks for to print its columns.

use serde_json::{Value, json};

use crate::resources::ResourceType;

struct Col {
    name: &'static str,
    ty: &'static str,
    priority: i64,
}

const fn col(name: &'static str, ty: &'static str) -> Col {
    Col {
        name,
        ty,
        priority: 0,
    }
}

/// Human age as kubectl prints it ("45s", "12m", "3h", "5d").
pub fn age(timestamp: Option<&str>) -> String {
    let Some(ts) = timestamp.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return "<unknown>".into();
    };
    let secs = (chrono::Utc::now() - ts.with_timezone(&chrono::Utc))
        .num_seconds()
        .max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => format!("{}m{}s", s / 60, s % 60),
        s if s < 3 * 3600 => format!("{}m", s / 60),
        s if s < 8 * 3600 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn s(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(x)) => Value::String(x.clone()),
        Some(Value::Null) | None => Value::String("<none>".into()),
        Some(other) => other.clone(),
    }
}

fn int(v: Option<&Value>) -> Value {
    Value::from(v.and_then(Value::as_i64).unwrap_or(0))
}

fn builtin_columns(kind: &str) -> Vec<Col> {
    match kind {
        "Pod" => vec![
            col("Ready", "string"),
            col("Status", "string"),
            col("Restarts", "string"),
        ],
        "Service" => vec![
            col("Type", "string"),
            col("Cluster-IP", "string"),
            col("External-IP", "string"),
            col("Port(s)", "string"),
        ],
        "ReplicaSet" => vec![
            col("Desired", "integer"),
            col("Current", "integer"),
            col("Ready", "integer"),
        ],
        "Deployment" => vec![
            col("Ready", "string"),
            col("Up-to-date", "integer"),
            col("Available", "integer"),
        ],
        "ConfigMap" => vec![col("Data", "integer")],
        "Secret" => vec![col("Type", "string"), col("Data", "integer")],
        "Namespace" => vec![col("Status", "string")],
        "CustomResourceDefinition" => vec![Col {
            name: "Created At",
            ty: "date",
            priority: 0,
        }],
        _ => vec![],
    }
}

fn builtin_cells(kind: &str, o: &Value) -> Vec<Value> {
    let p = |path: &str| o.pointer(path);
    match kind {
        "Pod" => {
            let statuses = p("/status/containerStatuses")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let total = p("/spec/containers")
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(0);
            let ready = statuses
                .iter()
                .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
                .count();
            let restarts: i64 = statuses
                .iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                .sum();
            let waiting = statuses
                .iter()
                .find_map(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str));
            let phase = p("/status/phase")
                .and_then(Value::as_str)
                .unwrap_or("Pending");
            let status = if o.pointer("/metadata/deletionTimestamp").is_some() {
                "Terminating"
            } else {
                waiting.unwrap_or(phase)
            };
            vec![
                json!(format!("{ready}/{total}")),
                json!(status),
                json!(restarts.to_string()),
            ]
        }
        "Service" => {
            let ports = p("/spec/ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|x| {
                            format!(
                                "{}/{}",
                                x.get("port").and_then(Value::as_i64).unwrap_or(0),
                                x.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| "<none>".into());
            vec![
                s(p("/spec/type")),
                s(p("/spec/clusterIP")),
                json!("<none>"),
                json!(ports),
            ]
        }
        "ReplicaSet" => vec![
            int(p("/spec/replicas")),
            int(p("/status/replicas")),
            int(p("/status/readyReplicas")),
        ],
        "Deployment" => vec![
            json!(format!(
                "{}/{}",
                p("/status/readyReplicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                p("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)
            )),
            int(p("/status/updatedReplicas")),
            int(p("/status/availableReplicas")),
        ],
        "ConfigMap" => {
            let n = p("/data")
                .and_then(Value::as_object)
                .map(|m| m.len())
                .unwrap_or(0)
                + p("/binaryData")
                    .and_then(Value::as_object)
                    .map(|m| m.len())
                    .unwrap_or(0);
            vec![json!(n)]
        }
        "Secret" => {
            vec![
                s(p("/type")),
                json!(
                    p("/data")
                        .and_then(Value::as_object)
                        .map(|m| m.len())
                        .unwrap_or(0)
                ),
            ]
        }
        "Namespace" => vec![s(p("/status/phase"))],
        "CustomResourceDefinition" => vec![s(p("/metadata/creationTimestamp"))],
        _ => vec![],
    }
}

/// Evaluates the simple JSONPath subset printer columns use (`.spec.replicas`, `.status.conditions[0].type`,
/// `.metadata.labels.app`).
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for part in path
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim_start_matches('.')
        .split('.')
    {
        if part.is_empty() {
            continue;
        }
        let (field, index) = match part.split_once('[') {
            Some((f, rest)) => (f, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !field.is_empty() {
            cur = cur.get(field)?;
        }
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// Renders objects as a Table; `include_object` embeds each row's object metadata as the real server does
/// by default (`includeObject=Metadata`).
pub fn table(rt: &ResourceType, objects: &[Value], list_meta: bool) -> Value {
    let mut defs = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    let custom_cols = !rt.printer_columns.is_empty();
    if custom_cols {
        for c in &rt.printer_columns {
            defs.push(json!({"name": c.name, "type": c.type_, "format": "", "description": c.description, "priority": c.priority}));
        }
    } else {
        for c in builtin_columns(&rt.kind) {
            defs.push(json!({"name": c.name, "type": c.ty, "format": "", "description": "", "priority": c.priority}));
        }
    }
    let has_age = rt
        .printer_columns
        .iter()
        .any(|c| c.json_path == ".metadata.creationTimestamp");
    if !has_age && rt.kind != "CustomResourceDefinition" {
        defs.push(json!({"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0}));
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut cells = vec![s(o.pointer("/metadata/name"))];
            if custom_cols {
                for c in &rt.printer_columns {
                    let v = json_path(o, &c.json_path);
                    cells.push(match (c.type_.as_str(), v) {
                        ("date", Some(Value::String(t))) => json!(age(Some(t))),
                        (_, Some(v)) => v.clone(),
                        (_, None) => Value::Null,
                    });
                }
            } else {
                cells.extend(builtin_cells(&rt.kind, o));
            }
            if !has_age && rt.kind != "CustomResourceDefinition" {
                cells.push(json!(age(o.pointer("/metadata/creationTimestamp").and_then(Value::as_str))));
            }
            let meta = o.get("metadata").cloned().unwrap_or(json!({}));
            json!({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
        })
        .collect();
    let mut t = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": defs, "rows": rows});
    if !list_meta {
        t["metadata"] = json!({});
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_subset() {
        let o = json!({"spec": {"replicas": 3}, "status": {"conditions": [{"type": "Ready"}]}});
        assert_eq!(json_path(&o, ".spec.replicas"), Some(&json!(3)));
        assert_eq!(
            json_path(&o, ".status.conditions[0].type"),
            Some(&json!("Ready"))
        );
        assert_eq!(json_path(&o, ".status.missing"), None);
    }

    #[test]
    fn ages_read_like_kubectl() {
        let ts = (chrono::Utc::now() - chrono::Duration::seconds(75)).to_rfc3339();
        assert_eq!(age(Some(&ts)), "75s");
        let ts = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
        assert_eq!(age(Some(&ts)), "3d");
    }
}
