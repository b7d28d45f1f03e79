//! PLACEHOLDER until the patch branch lands.
use crate::typeinfo::TypeInfo;
use serde_json::Value;
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    _types: &TypeInfo,
) -> Result<Value, PatchError> {
    let mut v = original.clone();
    json_patch::merge(&mut v, patch);
    Ok(v)
}
