//! PLACEHOLDER until the patch branch lands.
use crate::typeinfo::TypeInfo;
use serde_json::Value;
pub struct ApplyCtx<'a> {
    pub manager: &'a str,
    pub force: bool,
    pub types: &'a TypeInfo,
    pub api_version: &'a str,
    pub subresource: Option<&'a str>,
    pub now: &'a str,
}
pub struct UpdateCtx<'a> {
    pub manager: &'a str,
    pub types: &'a TypeInfo,
    pub api_version: &'a str,
    pub subresource: Option<&'a str>,
    pub now: &'a str,
}
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApplyConflicts {
    pub message: String,
    pub conflicts: Vec<(String, String)>,
}
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    _ctx: &ApplyCtx,
) -> Result<Value, ApplyConflicts> {
    let mut v = live.cloned().unwrap_or(Value::Null);
    json_patch::merge(&mut v, applied);
    Ok(v)
}
pub fn track_update(_old: Option<&Value>, _new: &mut Value, _ctx: &UpdateCtx) {}
