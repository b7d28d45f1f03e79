//! PLACEHOLDER until the schema branch lands.
use crate::field_error::FieldError;
use serde_json::Value;
pub fn prune(_obj: &mut Value, _schema: &Value) {}
pub fn apply_defaults(_obj: &mut Value, _schema: &Value) {}
pub fn validate(_obj: &Value, _schema: &Value) -> Vec<FieldError> {
    vec![]
}
pub fn validate_crd_schema(_schema: &Value) -> Vec<FieldError> {
    vec![]
}
