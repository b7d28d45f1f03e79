//! The four PATCH content types and how each turns a stored object into a new one.

use serde_json::Value;

use crate::error::ApiError;
use crate::strategic;
use crate::typeinfo::TypeInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Result<Self, ApiError> {
        let base = ct.split(';').next().unwrap_or_default().trim();
        match base {
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(PatchType::Apply),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }
}

/// Parses a request body that may be JSON or YAML (kubectl and apply patches send either).
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.starts_with(b"k8s\0") {
        return Err(ApiError::unsupported_media_type(
            "application/vnd.kubernetes.protobuf (localkube accepts JSON and YAML bodies only)",
        ));
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("request body is not valid UTF-8"))?;
    let yaml: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    serde_json::to_value(yaml)
        .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
}

pub fn parse_apply_body(body: &[u8]) -> Result<Value, ApiError> {
    let v = parse_body(body)?;
    if !v.is_object() {
        return Err(ApiError::bad_request(
            "error decoding YAML: the apply patch must be an object",
        ));
    }
    Ok(v)
}

/// Applies a JSON, merge or strategic-merge patch to `old`.
pub fn apply_patch(
    ptype: PatchType,
    old: &Value,
    body: &[u8],
    types: &TypeInfo,
) -> Result<Value, ApiError> {
    match ptype {
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding JSON patch: {e}")))?;
            let mut doc = old.clone();
            json_patch::patch(&mut doc, &ops).map_err(|e| {
                ApiError::new_unprocessable(format!(
                    "the server rejected our request due to an error in our request: {e}"
                ))
            })?;
            Ok(doc)
        }
        PatchType::Merge => {
            let p: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding merge patch: {e}")))?;
            let mut doc = old.clone();
            json_patch::merge(&mut doc, &p);
            Ok(doc)
        }
        PatchType::Strategic => {
            if !types.supports_strategic_merge() {
                return Err(ApiError::unsupported_media_type(
                    "application/strategic-merge-patch+json",
                ));
            }
            let p: Value = serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!("error decoding strategic merge patch: {e}"))
            })?;
            strategic::strategic_merge_patch(old, &p, types)
                .map_err(|e| ApiError::bad_request(e.to_string()))
        }
        PatchType::Apply => Err(ApiError::internal(
            "apply patches are handled by server-side apply",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types_map_to_patch_types() {
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json").unwrap(),
            PatchType::Merge
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml; charset=utf-8").unwrap(),
            PatchType::Apply
        );
        assert_eq!(
            PatchType::from_content_type("text/plain").unwrap_err().code,
            415
        );
    }

    #[test]
    fn json_and_merge_patches() {
        let old = json!({"spec": {"a": 1, "b": [1, 2]}});
        let types = TypeInfo::schemaless();
        let j = apply_patch(
            PatchType::Json,
            &old,
            br#"[{"op":"replace","path":"/spec/a","value":2}]"#,
            &types,
        )
        .unwrap();
        assert_eq!(j["spec"]["a"], 2);
        let m = apply_patch(
            PatchType::Merge,
            &old,
            br#"{"spec":{"b":null,"c":3}}"#,
            &types,
        )
        .unwrap();
        assert_eq!(m, json!({"spec": {"a": 1, "c": 3}}));
        let bad = apply_patch(
            PatchType::Json,
            &old,
            br#"[{"op":"test","path":"/spec/a","value":5}]"#,
            &types,
        );
        assert_eq!(bad.unwrap_err().code, 422);
        assert_eq!(
            apply_patch(PatchType::Merge, &old, b"{nope", &types)
                .unwrap_err()
                .code,
            400
        );
    }

    #[test]
    fn bodies_may_be_yaml() {
        assert_eq!(
            parse_body(b"a: 1\nb: [x]\n").unwrap(),
            json!({"a": 1, "b": ["x"]})
        );
        assert_eq!(parse_body(b"a: [").unwrap_err().code, 400);
    }
}
