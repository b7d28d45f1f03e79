//! PLACEHOLDER until the schema branch lands.
use crate::field_error::FieldError;
use serde_json::Value;
#[derive(Clone, Copy, Debug)]
pub enum NameRule {
    Subdomain,
    Label,
    PathSegment,
}
pub fn validate_object_meta(_obj: &Value, _namespaced: bool, _rule: NameRule) -> Vec<FieldError> {
    vec![]
}
pub fn validate_builtin(_group: &str, _kind: &str, _obj: &Value) -> Vec<FieldError> {
    vec![]
}
pub fn default_builtin(_group: &str, _kind: &str, _obj: &mut Value) {}
