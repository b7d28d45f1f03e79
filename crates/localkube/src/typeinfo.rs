//! PLACEHOLDER until the typeinfo branch lands.
use serde_json::Value;
#[derive(Clone, Debug, PartialEq)]
pub enum ListType {
    Atomic,
    Set,
    Map { keys: Vec<String> },
}
#[derive(Clone, Debug, Default)]
pub struct TypeInfo {
    crd: bool,
}
impl TypeInfo {
    pub fn builtin(_group: &str, _kind: &str) -> TypeInfo {
        TypeInfo { crd: false }
    }
    pub fn from_openapi_v3(_schema: &Value) -> TypeInfo {
        TypeInfo { crd: true }
    }
    pub fn schemaless() -> TypeInfo {
        TypeInfo { crd: true }
    }
    pub fn supports_strategic_merge(&self) -> bool {
        !self.crd
    }
}
