//! From parsed documents to keyed, hashed objects; and the whole-set rule that no object appears twice.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::canonical::object_hash;
use super::error::ManifestError;
use super::parse::Document;
use crate::source::snapshot::{Manifest, ObjectKey, Origin};

/// Objects of one file, `List` documents expanded into their items. Collects every problem in the file.
pub fn file_objects(
    file: &Path,
    documents: Vec<Document>,
) -> Result<Vec<Manifest>, Vec<ManifestError>> {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for doc in documents {
        let origin = Origin {
            file: file.to_owned(),
            document: doc.index,
            line: doc.line,
            item: None,
        };
        if is_list(&doc.value) {
            let items = match doc.value {
                Value::Object(mut map) => map.remove("items"),
                _ => None,
            };
            let items = match items {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            for (i, item) in items.into_iter().enumerate() {
                let origin = Origin {
                    item: Some(i + 1),
                    ..origin.clone()
                };
                push(to_manifest(origin, item), &mut objects, &mut problems);
            }
        } else {
            push(to_manifest(origin, doc.value), &mut objects, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(objects)
    } else {
        Err(problems)
    }
}

fn push(
    result: Result<Manifest, ManifestError>,
    objects: &mut Vec<Manifest>,
    problems: &mut Vec<ManifestError>,
) {
    match result {
        Ok(object) => objects.push(object),
        Err(problem) => problems.push(problem),
    }
}

/// `kind: List` (and typed lists such as `ServiceList`) as `kubectl get -o yaml` writes them.
fn is_list(value: &Value) -> bool {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    kind.ends_with("List") && value.get("items").is_some_and(Value::is_array)
}

/// Checks the identity fields every object needs and computes its key and hash.
pub fn to_manifest(origin: Origin, object: Value) -> Result<Manifest, ManifestError> {
    if !object.is_object() {
        return Err(ManifestError::NotAnObject { origin });
    }
    let api_version = required_str(&origin, &object, &["apiVersion"], "apiVersion")?;
    let kind = required_str(&origin, &object, &["kind"], "kind")?;
    let name = required_str(&origin, &object, &["metadata", "name"], "metadata.name")?;
    let namespace = match object.pointer("/metadata/namespace") {
        None | Some(Value::Null) => None,
        Some(Value::String(ns)) if ns.is_empty() => None,
        Some(Value::String(ns)) => Some(ns.clone()),
        Some(_) => {
            return Err(ManifestError::NotAString {
                origin,
                field: "metadata.namespace",
            });
        }
    };
    let hash = object_hash(&object);
    let json = object.to_string().into();
    Ok(Manifest {
        origin,
        key: ObjectKey {
            api_version,
            kind,
            namespace,
            name,
        },
        json,
        hash,
    })
}

fn required_str(
    origin: &Origin,
    object: &Value,
    path: &[&str],
    field: &'static str,
) -> Result<String, ManifestError> {
    let found = path.iter().try_fold(object, |value, key| value.get(key));
    match found {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => Err(ManifestError::MissingField {
            origin: origin.clone(),
            field,
        }),
        Some(_) => Err(ManifestError::NotAString {
            origin: origin.clone(),
            field,
        }),
    }
}

/// Two documents for one cluster object would make the applied state depend on file order.
///
/// Objects are the same when group, kind, namespace and name agree (the API version may differ). A
/// missing namespace is compared as written: whether it means "default" depends on the kind's scope,
/// which only the cluster knows.
pub fn duplicates(objects: &[Manifest]) -> Vec<ManifestError> {
    let mut first_seen: HashMap<(&str, &str, Option<&str>, &str), &Manifest> = HashMap::new();
    let mut problems = Vec::new();
    for object in objects {
        let key = &object.key;
        let id = (
            key.group(),
            key.kind.as_str(),
            key.namespace.as_deref(),
            key.name.as_str(),
        );
        match first_seen.get(&id) {
            Some(first) => problems.push(ManifestError::Duplicate {
                key: Box::new(key.clone()),
                first: Box::new(first.origin.clone()),
                second: Box::new(object.origin.clone()),
            }),
            None => {
                first_seen.insert(id, object);
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn doc(index: usize, value: Value) -> Document {
        Document {
            index,
            line: Some(index),
            value,
        }
    }

    fn objects(values: Vec<Value>) -> Result<Vec<Manifest>, Vec<ManifestError>> {
        let docs = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| doc(i + 1, v))
            .collect();
        file_objects(&PathBuf::from("a.yaml"), docs)
    }

    #[test]
    fn identity_fields_are_required() {
        let cases = [
            (
                json!({"kind": "Service", "metadata": {"name": "a"}}),
                "apiVersion",
            ),
            (
                json!({"apiVersion": "v1", "metadata": {"name": "a"}}),
                "kind",
            ),
            (
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {}}),
                "metadata.name",
            ),
            (
                json!({"apiVersion": "v1", "kind": "Service"}),
                "metadata.name",
            ),
            (
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": ""}}),
                "metadata.name",
            ),
            (
                json!({"apiVersion": "v1", "kind": 3, "metadata": {"name": "a"}}),
                "kind",
            ),
            (json!(["not", "a", "map"]), "not a mapping"),
        ];
        for (value, want) in cases {
            match objects(vec![value.clone()]) {
                Err(problems) => assert!(
                    problems[0].to_string().contains(want),
                    "{value}: {problems:?}"
                ),
                Ok(_) => panic!("{value} accepted"),
            }
        }
    }

    #[test]
    fn lists_expand_with_item_positions() {
        let list = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "x"}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}},
        ]});
        let got = objects(vec![list]).unwrap_or_default();
        let keys: Vec<_> = got
            .iter()
            .map(|m| (m.key.to_string(), m.origin.to_string()))
            .collect();
        assert_eq!(
            keys,
            vec![
                (
                    "Service/x/a".to_owned(),
                    "a.yaml:1 (document 1, item 1)".to_owned()
                ),
                (
                    "Service/b".to_owned(),
                    "a.yaml:1 (document 1, item 2)".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn duplicates_ignore_the_version_but_not_the_namespace() {
        let svc = |api: &str, ns: Option<&str>| {
            let mut v = json!({"apiVersion": api, "kind": "Deployment", "metadata": {"name": "a"}});
            if let Some(ns) = ns {
                v["metadata"]["namespace"] = json!(ns);
            }
            v
        };
        let cases = [
            (vec![svc("apps/v1", None), svc("apps/v1beta1", None)], 1),
            (
                vec![svc("apps/v1", Some("x")), svc("apps/v1", Some("y"))],
                0,
            ),
            (vec![svc("apps/v1", None), svc("extensions/v1", None)], 0),
        ];
        for (values, want) in cases {
            let found = objects(values).map(|o| duplicates(&o).len()).unwrap_or(99);
            assert_eq!(found, want);
        }
    }
}
