//! Strategic merge patch (`application/strategic-merge-patch+json`) with the
//! API server's semantics: maps merge recursively and `null` deletes a key,
//! lists with a merge key merge element by element, `patchStrategy: merge`
//! lists of scalars union, other lists are replaced, and the directives
//! `$patch`, `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
//! `$setElementOrder/<field>` are honoured.
//!
//! Element order follows the real server: items named in the patch keep the
//! patch's order, items only on the server keep theirs, and the two are
//! interleaved by server position; an item new to the server therefore lands
//! before the server-only items that follow the previous patch item (adding
//! one container to `[a, b]` gives `[new, a, b]`, as `kubectl patch` shows).

use serde_json::{Map, Value};

use crate::typeinfo::{Node, SmpList, TypeInfo};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

/// Why a strategic merge patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The resource (a custom resource) has no strategic-merge metadata; the
    /// real server answers 415 Unsupported Media Type.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )]
    Unsupported,
    /// The patch is malformed (400 Bad Request).
    #[error("{0}")]
    Invalid(String),
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, PatchError> {
    Err(PatchError::Invalid(msg.into()))
}

/// Apply `patch` to `original` as the API server does for a strategic merge
/// patch on a resource whose field kinds are `types`.
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    types: &TypeInfo,
) -> Result<Value, PatchError> {
    if !types.supports_strategic_merge() {
        return Err(PatchError::Unsupported);
    }
    let Value::Object(p) = patch else {
        return invalid("strategic merge patch must be a JSON object");
    };
    let orig = original.as_object().cloned().unwrap_or_default();
    merge_map(orig, p.clone(), types.root()).map(Value::Object)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// Scalar equality as Go's `==` on decoded JSON (all numbers are float64).
fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    node: &Node,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(d) = patch.get(DIRECTIVE) {
        return match d.as_str() {
            Some("replace") => {
                patch.remove(DIRECTIVE);
                merge_map(Map::new(), patch, node)
            }
            Some("delete") => Ok(Map::new()),
            _ => invalid(format!(
                "unknown patch type: {d} in map: {}",
                Value::Object(patch.clone())
            )),
        };
    }

    if let Some(retain) = patch.remove(RETAIN_KEYS) {
        let Value::Array(retain) = retain else {
            return invalid("invalid patch: the value of $retainKeys must be a list");
        };
        let keep = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
        for (k, v) in &patch {
            if v.is_null()
                || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
                || k.starts_with(SET_ELEMENT_ORDER)
            {
                continue;
            }
            if !keep(k) {
                return invalid(format!(
                    "invalid patch: field {k:?} is in the patch but not in $retainKeys"
                ));
            }
        }
        original.retain(|k, _| keep(k));
    }

    let order_keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for key in order_keys {
        let order = patch.remove(&key).unwrap_or(Value::Null);
        let field = &key[SET_ELEMENT_ORDER.len()..];
        set_element_order(&mut original, &mut patch, field, order, node)?;
    }

    for (k, pv) in patch {
        if let Some(field) = k.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            let Value::Array(del) = pv else {
                return invalid(format!("invalid patch: the value of {k} must be a list"));
            };
            if let Some(Value::Array(items)) = original.get_mut(field) {
                items.retain(|i| !del.iter().any(|d| scalar_eq(d, i)));
            }
            continue;
        }
        if k.starts_with('$') {
            // Unknown directives are not fields of the object.
            continue;
        }
        let (child, _) = node.child(&k);
        if pv.is_null() {
            original.remove(&k);
            continue;
        }
        let merged = match original.remove(&k) {
            Some(Value::Object(o)) if pv.is_object() => {
                let Value::Object(p) = pv else { unreachable!() };
                Value::Object(merge_map(o, p, child)?)
            }
            Some(Value::Array(o)) if pv.is_array() => {
                let Value::Array(p) = pv else { unreachable!() };
                Value::Array(merge_list(o, p, child)?)
            }
            _ => fresh(pv, child)?,
        };
        original.insert(k, merged);
    }
    Ok(original)
}

/// A patch value for a field the original does not have (or of another
/// type): directives are processed and `null`s dropped.
fn fresh(v: Value, node: &Node) -> Result<Value, PatchError> {
    match v {
        Value::Object(p) => Ok(Value::Object(merge_map(Map::new(), p, node)?)),
        Value::Array(p) => Ok(Value::Array(merge_list(Vec::new(), p, node)?)),
        other => Ok(other),
    }
}

fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    node: &Node,
) -> Result<Vec<Value>, PatchError> {
    match node.smp() {
        None => {
            // Replace; objects inside are cleaned like fresh values.
            let elem = node.elem();
            patch.into_iter().map(|v| fresh(v, elem)).collect()
        }
        Some(strategy) => {
            if original.is_empty() && patch.is_empty() {
                return Ok(original);
            }
            check_element_types(&original, &patch)?;
            let maps = original.iter().chain(&patch).any(Value::is_object);
            match (maps, strategy) {
                (false, _) => Ok(merge_primitives(original, patch)),
                (true, SmpList::MergeByKey(key)) => merge_keyed(original, patch, key, node.elem()),
                (true, SmpList::MergePrimitives) => {
                    invalid("cannot merge lists without merge key for type map")
                }
            }
        }
    }
}

fn check_element_types(a: &[Value], b: &[Value]) -> Result<(), PatchError> {
    let mut seen: Option<&'static str> = None;
    for v in a.iter().chain(b) {
        let t = type_name(v);
        if t == "list" {
            return invalid("lists of lists are not supported");
        }
        match seen {
            None => seen = Some(t),
            Some(s) if s != t => {
                return invalid(format!(
                    "list elements must all be of the same type, found {s} and {t}"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn merge_primitives(original: Vec<Value>, patch: Vec<Value>) -> Vec<Value> {
    let mut merged: Vec<Value> = Vec::new();
    for v in original.iter().chain(&patch) {
        if !merged.iter().any(|m| scalar_eq(m, v)) {
            merged.push(v.clone());
        }
    }
    order_merged(merged, &patch, &original, None)
}

fn merge_keyed(
    original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
    elem: &Node,
) -> Result<Vec<Value>, PatchError> {
    let mut original = original;
    let mut plain = Vec::new();
    let mut replace = false;
    for v in patch {
        let Value::Object(m) = &v else {
            return invalid(format!("list element {v} is not a map"));
        };
        match m.get(DIRECTIVE) {
            None => plain.push(v),
            Some(Value::String(d)) if d == "delete" => {
                let Some(kv) = m.get(key) else {
                    return invalid(no_merge_key(&v, key));
                };
                original.retain(|o| !o.get(key).is_some_and(|ov| scalar_eq(ov, kv)));
            }
            Some(Value::String(d)) if d == "replace" => replace = true,
            Some(Value::String(d)) if d == "merge" => {
                return invalid("merging lists cannot yet be specified in the patch");
            }
            Some(d) => {
                return invalid(format!("unknown patch type: {d} in map: {v}"));
            }
        }
    }
    let (original, patch) = if replace {
        (
            plain
                .into_iter()
                .map(|v| fresh(v, elem))
                .collect::<Result<Vec<_>, _>>()?,
            Vec::new(),
        )
    } else {
        (original, plain)
    };

    let mut merged = original.clone();
    for v in &patch {
        let Some(kv) = v.get(key) else {
            return invalid(no_merge_key(v, key));
        };
        let found = merged
            .iter()
            .position(|o| o.get(key).is_some_and(|ov| scalar_eq(ov, kv)));
        let Value::Object(p) = v.clone() else {
            unreachable!()
        };
        match found {
            Some(i) => {
                let o = match std::mem::take(&mut merged[i]) {
                    Value::Object(o) => o,
                    _ => Map::new(),
                };
                merged[i] = Value::Object(merge_map(o, p, elem)?);
            }
            None => merged.push(Value::Object(merge_map(Map::new(), p, elem)?)),
        }
    }
    for v in merged.iter().chain(&original) {
        if v.get(key).is_none() {
            return invalid(no_merge_key(v, key));
        }
    }
    Ok(order_merged(merged, &patch, &original, Some(key)))
}

fn no_merge_key(v: &Value, key: &str) -> String {
    format!("map: {v} does not contain declared merge key: {key}")
}

/// Position of `item` in `list`, matching maps by their merge key.
fn index_of(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    match key {
        Some(k) => {
            let want = item.get(k);
            list.iter().position(|v| match (v.get(k), want) {
                (Some(a), Some(b)) => scalar_eq(a, b),
                (None, None) => true,
                _ => false,
            })
        }
        None => list.iter().position(|v| scalar_eq(v, item)),
    }
}

/// Split `merged` into items present in `patch_order` and server-only items,
/// sort each by its reference order and interleave them by server position.
fn order_merged(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut from_patch, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|v| index_of(patch_order, v, key).is_some());
    sort_by_order(&mut from_patch, patch_order, key);
    sort_by_order(&mut server_only, server_order, key);
    interleave(server_only, from_patch, server_order, key)
}

/// A stable insertion sort by position in `order` (items not found compare
/// as "less", like the server's comparator).
fn sort_by_order(items: &mut [Value], order: &[Value], key: Option<&str>) {
    let less = |a: &Value, b: &Value| match (index_of(order, a, key), index_of(order, b, key)) {
        (Some(x), Some(y)) => x < y,
        _ => true,
    };
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && less(&items[j], &items[j - 1]) {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Merge two sorted lists: take the server-only item first only when both
/// items are on the server and it comes earlier there.
fn interleave(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    loop {
        let take_left = match (l.peek(), r.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => matches!(
                (index_of(server_order, a, key), index_of(server_order, b, key)),
                (Some(x), Some(y)) if x < y
            ),
        };
        let next = if take_left { l.next() } else { r.next() };
        out.extend(next);
    }
    out
}

fn set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    field: &str,
    order: Value,
    node: &Node,
) -> Result<(), PatchError> {
    let Value::Array(order) = order else {
        return invalid(format!(
            "invalid patch: the value of {SET_ELEMENT_ORDER}{field} must be a list"
        ));
    };
    let (child, _) = node.child(field);
    let key = match child.smp() {
        Some(SmpList::MergeByKey(k)) => Some(k.as_str()),
        _ => None,
    };
    let orig_list = match original.get(field) {
        None => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(v) => {
            return invalid(format!(
                "field {field} is a {} in the object, not a list",
                type_name(v)
            ));
        }
    };
    let patch_list = match patch.get(field) {
        None => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(v) => {
            return invalid(format!(
                "field {field} is a {} in the patch, not a list",
                type_name(v)
            ));
        }
    };
    if let Some(p) = &patch_list {
        validate_order(p, &order, key, field)?;
    }
    let merged = match (orig_list.clone(), patch_list) {
        (None, None) => return Ok(()),
        (Some(o), None) => o,
        (None, Some(p)) => merge_list(Vec::new(), p, child)?,
        (Some(o), Some(p)) => merge_list(o, p, child)?,
    };
    patch.remove(field);
    let server = orig_list.unwrap_or_default();
    if key.is_some() {
        for v in merged.iter().chain(&order) {
            if !v.is_object() || v.get(key.unwrap_or_default()).is_none() {
                return invalid(no_merge_key(v, key.unwrap_or_default()));
            }
        }
    }
    let result = order_merged(merged, &order, &server, key);
    original.insert(field.to_string(), Value::Array(result));
    Ok(())
}

/// The patch list must follow the `$setElementOrder` list's relative order.
fn validate_order(
    patch: &[Value],
    order: &[Value],
    key: Option<&str>,
    field: &str,
) -> Result<(), PatchError> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let items: Vec<&Value> = patch
        .iter()
        .filter(|v| v.get(DIRECTIVE).is_none())
        .collect();
    let (mut pi, mut oi) = (0, 0);
    while pi < items.len() && oi < order.len() {
        let equal = match key {
            Some(k) => match (items[pi].get(k), order[oi].get(k)) {
                (Some(a), Some(b)) => scalar_eq(a, b),
                _ => return invalid(no_merge_key(items[pi], k)),
            },
            None => scalar_eq(items[pi], &order[oi]),
        };
        if equal {
            pi += 1;
        }
        oi += 1;
    }
    if pi < items.len() {
        return invalid(format!(
            "invalid patch: the order in patch list {field} doesn't match the {SET_ELEMENT_ORDER}{field} list"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> TypeInfo {
        TypeInfo::builtin("", "Pod")
    }

    fn smp(orig: Value, patch: Value) -> Value {
        strategic_merge_patch(&orig, &patch, &pod()).unwrap()
    }

    fn names(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        let cases = vec![
            (
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
                json!({"metadata": {"labels": {"b": null, "c": "3"}}}),
                json!({"metadata": {"labels": {"a": "1", "c": "3"}}}),
            ),
            (json!({"spec": {"x": 1}}), json!({"spec": null}), json!({})),
            (
                json!({"spec": {"x": 1}}),
                json!({"spec": {"y": {"z": null, "w": 2}}}),
                json!({"spec": {"x": 1, "y": {"w": 2}}}),
            ),
            (
                json!({"spec": {"x": {"a": 1}}}),
                json!({"spec": {"x": "scalar"}}),
                json!({"spec": {"x": "scalar"}}),
            ),
            (json!({"a": 1}), json!({"$unknown": 1}), json!({"a": 1})),
        ];
        for (o, p, want) in cases {
            assert_eq!(smp(o, p.clone()), want, "patch {p}");
        }
    }

    #[test]
    fn containers_merge_by_name() {
        let orig = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}
        ]}});
        // Change one container's image: others untouched.
        let out = smp(
            orig.clone(),
            json!({"spec": {"containers": [{"name": "b", "image": "b:2"}]}}),
        );
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
                   {"name": "b", "image": "b:2"}])
        );
        // A new container goes before the server-only ones (real server order).
        let out = smp(
            orig.clone(),
            json!({"spec": {"containers": [{"name": "c", "image": "c:1"}]}}),
        );
        assert_eq!(names(&out["spec"]["containers"]), ["c", "a", "b"]);
        // A new container after a patched one lands right after it.
        let out = smp(
            orig.clone(),
            json!({"spec": {"containers": [{"name": "a", "image": "a:2"}, {"name": "c"}]}}),
        );
        assert_eq!(names(&out["spec"]["containers"]), ["a", "c", "b"]);
        // Nested env merges by name; null deletes a field inside an element.
        let out = smp(
            orig,
            json!({"spec": {"containers": [{"name": "a", "image": null,
                "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "9"}]}]}}),
        );
        assert_eq!(
            out["spec"]["containers"][0],
            json!({"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "9"}]})
        );
    }

    #[test]
    fn ports_merge_by_container_port() {
        let orig = json!({"spec": {"containers": [{"name": "a", "ports": [
            {"containerPort": 80, "name": "http"}, {"containerPort": 443}
        ]}]}});
        let out = smp(
            orig,
            json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 443, "name": "https"}]}]}}),
        );
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}])
        );
        let svc = TypeInfo::builtin("", "Service");
        let out = strategic_merge_patch(
            &json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "a"}}}),
            &json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}], "selector": {"tier": "x"}}}),
            &svc,
        )
        .unwrap();
        assert_eq!(
            out["spec"],
            json!({"ports": [{"port": 80, "targetPort": 9090}], "selector": {"app": "a", "tier": "x"}})
        );
    }

    #[test]
    fn lists_without_merge_key_replace() {
        let out = smp(
            json!({"spec": {"tolerations": [{"key": "a"}, {"key": "b"}],
                   "containers": [{"name": "c", "args": ["x", "y"], "envFrom": [{"prefix": "A"}]}]}}),
            json!({"spec": {"tolerations": [{"key": "c"}],
                   "containers": [{"name": "c", "args": ["z"], "envFrom": [{"prefix": "B"}]}]}}),
        );
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "c"}]));
        assert_eq!(out["spec"]["containers"][0]["args"], json!(["z"]));
        assert_eq!(
            out["spec"]["containers"][0]["envFrom"],
            json!([{"prefix": "B"}])
        );
    }

    #[test]
    fn finalizers_union_and_delete_from_primitive_list() {
        let orig = json!({"metadata": {"finalizers": ["a", "b"]}});
        let cases = vec![
            (
                json!({"metadata": {"finalizers": ["b", "c"]}}),
                json!(["a", "b", "c"]),
            ),
            (
                json!({"metadata": {"finalizers": ["c"]}}),
                json!(["c", "a", "b"]),
            ),
            (
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
                json!(["b"]),
            ),
            (
                json!({"metadata": {"$setElementOrder/finalizers": ["b", "a"]}}),
                json!(["b", "a"]),
            ),
            (
                json!({"metadata": {"$setElementOrder/finalizers": ["a", "c", "b"],
                                    "finalizers": ["c"]}}),
                json!(["a", "c", "b"]),
            ),
        ];
        for (p, want) in cases {
            assert_eq!(
                smp(orig.clone(), p.clone())["metadata"]["finalizers"],
                want,
                "{p}"
            );
        }
    }

    #[test]
    fn patch_directives() {
        let orig = json!({"spec": {
            "containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
            "securityContext": {"runAsUser": 1, "fsGroup": 2}
        }});
        let cases = vec![
            // Delete one element of a keyed list.
            (
                json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
                json!({"containers": [{"name": "b", "image": "2"}],
                       "securityContext": {"runAsUser": 1, "fsGroup": 2}}),
            ),
            // Replace the whole list.
            (
                json!({"spec": {"containers": [{"name": "z"}, {"$patch": "replace"}]}}),
                json!({"containers": [{"name": "z"}],
                       "securityContext": {"runAsUser": 1, "fsGroup": 2}}),
            ),
            // Replace a map.
            (
                json!({"spec": {"securityContext": {"$patch": "replace", "runAsGroup": 3}}}),
                json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
                       "securityContext": {"runAsGroup": 3}}),
            ),
            // Delete a map: it becomes empty.
            (
                json!({"spec": {"securityContext": {"$patch": "delete"}}}),
                json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
                       "securityContext": {}}),
            ),
            // Retain only the listed keys.
            (
                json!({"spec": {"securityContext": {"$retainKeys": ["runAsGroup", "fsGroup"], "runAsGroup": 5}}}),
                json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
                       "securityContext": {"fsGroup": 2, "runAsGroup": 5}}),
            ),
            // Reorder a keyed list.
            (
                json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}),
                json!({"containers": [{"name": "b", "image": "2"}, {"name": "a", "image": "1"}],
                       "securityContext": {"runAsUser": 1, "fsGroup": 2}}),
            ),
            // Reorder and add, as kubectl apply sends it.
            (
                json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "c"}, {"name": "b"}],
                                "containers": [{"name": "c", "image": "3"}]}}),
                json!({"containers": [{"name": "a", "image": "1"}, {"name": "c", "image": "3"},
                                      {"name": "b", "image": "2"}],
                       "securityContext": {"runAsUser": 1, "fsGroup": 2}}),
            ),
        ];
        for (p, want) in cases {
            assert_eq!(smp(orig.clone(), p.clone())["spec"], want, "{p}");
        }
        // Whole-object replace and delete at the root.
        assert_eq!(
            smp(orig.clone(), json!({"$patch": "replace", "a": 1})),
            json!({"a": 1})
        );
        assert_eq!(smp(orig, json!({"$patch": "delete"})), json!({}));
    }

    #[test]
    fn keyed_lists_of_the_builtin_table() {
        // (field path under the object, original list, patch list, merged list)
        let cases = vec![
            (
                vec!["spec", "volumes"],
                json!([{"name": "a", "emptyDir": {}}]),
                json!([{"name": "a", "configMap": {"name": "c"}}]),
                json!([{"name": "a", "emptyDir": {}, "configMap": {"name": "c"}}]),
            ),
            (
                vec!["spec", "imagePullSecrets"],
                json!([{"name": "r1"}]),
                json!([{"name": "r2"}]),
                json!([{"name": "r2"}, {"name": "r1"}]),
            ),
            (
                vec!["spec", "hostAliases"],
                json!([{"ip": "10.0.0.1", "hostnames": ["a"]}]),
                json!([{"ip": "10.0.0.1", "hostnames": ["b"]}]),
                json!([{"ip": "10.0.0.1", "hostnames": ["b"]}]),
            ),
            (
                vec!["status", "conditions"],
                json!([{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]),
                json!([{"type": "Ready", "status": "True"}]),
                json!([{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]),
            ),
            (
                vec!["metadata", "ownerReferences"],
                json!([{"uid": "1", "name": "rs-a"}]),
                json!([{"uid": "2", "name": "rs-b"}, {"uid": "1", "$patch": "delete"}]),
                json!([{"uid": "2", "name": "rs-b"}]),
            ),
        ];
        for (path, orig, patch, want) in cases {
            let wrap = |v: Value| path.iter().rev().fold(v, |acc, k| json!({ (*k): acc }));
            let out = smp(wrap(orig), wrap(patch));
            let got = path.iter().fold(&out, |v, k| &v[*k]);
            assert_eq!(*got, want, "{path:?}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let orig = json!({"spec": {"containers": [{"name": "a"}]}});
        let cases = vec![
            (
                json!({"spec": {"containers": [{"image": "x"}]}}),
                "does not contain declared merge key: name",
            ),
            (
                json!({"spec": {"containers": [{"$patch": "delete"}]}}),
                "does not contain declared merge key: name",
            ),
            (json!({"spec": {"$patch": "merge"}}), "unknown patch type"),
            (
                json!({"spec": {"containers": [{"name": "a", "$patch": "merge"}]}}),
                "merging lists cannot yet be specified",
            ),
            (
                json!({"spec": {"$retainKeys": ["a"], "b": 1}}),
                "not in $retainKeys",
            ),
            (
                json!({"spec": {"$setElementOrder/containers": [{"name": "b"}],
                                "containers": [{"name": "a"}]}}),
                "doesn't match",
            ),
            (
                json!({"metadata": {"finalizers": ["a", {"b": 1}]}}),
                "same type",
            ),
        ];
        for (p, want) in cases {
            let err = strategic_merge_patch(&orig, &p, &pod()).unwrap_err();
            assert!(err.to_string().contains(want), "{p}: {err}");
        }
        assert!(matches!(
            strategic_merge_patch(&orig, &json!([1]), &pod()),
            Err(PatchError::Invalid(_))
        ));
    }

    #[test]
    fn custom_resources_are_unsupported() {
        let ti = TypeInfo::from_openapi_v3(&json!({"type": "object"}));
        assert_eq!(
            strategic_merge_patch(&json!({}), &json!({}), &ti),
            Err(PatchError::Unsupported)
        );
    }

    #[test]
    fn new_values_are_cleaned() {
        let out = smp(
            json!({}),
            json!({"spec": {"containers": [{"name": "a", "image": null},
                                           {"name": "gone", "$patch": "delete"}],
                            "nodeSelector": {"x": "y", "z": null}}}),
        );
        assert_eq!(
            out,
            json!({"spec": {"containers": [{"name": "a"}], "nodeSelector": {"x": "y"}}})
        );
    }
}
