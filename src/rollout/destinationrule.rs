//! DestinationRule subsets for subset-level splitting (§4.4): the canary and stable subsets select
//! their pods by `rollouts-pod-template-hash`. `spec.subsets` is atomic on the server, so the whole
//! list is rebuilt from the live one.
//!
//! Unlike Argo, subsets the Rollout does not name are kept: they come from Git, and dropping them
//! would make the controller and sync fight over the list.

use serde_json::{Map, Value};

use super::hash::HASH_LABEL;

/// The subsets list with the canary and stable subsets pointing at the given hashes (an empty hash
/// removes the label). `None` when `spec` has no subsets list.
pub fn rewrite_subsets(
    spec: &Value,
    canary_subset: &str,
    stable_subset: &str,
    canary_hash: &str,
    stable_hash: &str,
) -> Option<Value> {
    let subsets = spec.get("subsets")?.as_array()?;
    let rewritten = subsets
        .iter()
        .map(|subset| {
            let name = subset.get("name").and_then(Value::as_str);
            let hash = match name {
                Some(n) if n == canary_subset => canary_hash,
                Some(n) if n == stable_subset => stable_hash,
                _ => return subset.clone(),
            };
            let mut subset = subset.as_object().cloned().unwrap_or_default();
            let mut labels = subset
                .get("labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(Map::new);
            if hash.is_empty() {
                labels.remove(HASH_LABEL);
            } else {
                labels.insert(HASH_LABEL.into(), Value::String(hash.to_owned()));
            }
            if labels.is_empty() {
                subset.remove("labels");
            } else {
                subset.insert("labels".into(), Value::Object(labels));
            }
            Value::Object(subset)
        })
        .collect();
    Some(Value::Array(rewritten))
}

/// The hash a subset currently selects.
pub fn subset_hash<'a>(spec: &'a Value, subset: &str) -> Option<&'a str> {
    spec.get("subsets")?
        .as_array()?
        .iter()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(subset))?
        .pointer(&format!("/labels/{HASH_LABEL}"))?
        .as_str()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn subsets_get_their_hashes() {
        let spec = json!({"host": "svc", "subsets": [
            {"name": "canary", "labels": {"app": "a"}},
            {"name": "stable", "labels": {"app": "a", HASH_LABEL: "old"}, "trafficPolicy": {"tls": {}}},
            {"name": "baseline", "labels": {"app": "a", "v": "1"}},
        ]});
        // (canary hash, stable hash, expected subsets)
        let cases = [
            (
                "new",
                "stable1",
                json!([
                    {"name": "canary", "labels": {"app": "a", HASH_LABEL: "new"}},
                    {"name": "stable", "labels": {"app": "a", HASH_LABEL: "stable1"}, "trafficPolicy": {"tls": {}}},
                    {"name": "baseline", "labels": {"app": "a", "v": "1"}},
                ]),
            ),
            (
                "new",
                "",
                json!([
                    {"name": "canary", "labels": {"app": "a", HASH_LABEL: "new"}},
                    {"name": "stable", "labels": {"app": "a"}, "trafficPolicy": {"tls": {}}},
                    {"name": "baseline", "labels": {"app": "a", "v": "1"}},
                ]),
            ),
        ];
        for (canary, stable, expected) in cases {
            assert_eq!(
                rewrite_subsets(&spec, "canary", "stable", canary, stable),
                Some(expected),
                "{canary} {stable}"
            );
        }
        assert_eq!(subset_hash(&spec, "stable"), Some("old"));
        assert_eq!(subset_hash(&spec, "canary"), None);
        assert_eq!(rewrite_subsets(&json!({}), "c", "s", "x", "y"), None);
    }
}
