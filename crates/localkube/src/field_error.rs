//! PLACEHOLDER until the schema branch lands.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldErrorType {
    Invalid,
    Required,
    NotSupported,
    TypeInvalid,
    Forbidden,
    TooLong,
    TooMany,
    Duplicate,
}
impl FieldErrorType {
    pub fn as_reason(&self) -> &'static str {
        "FieldValueInvalid"
    }
}
#[derive(Clone, Debug)]
pub struct FieldError {
    pub reason: FieldErrorType,
    pub field: String,
    pub message: String,
}
pub fn invalid_message(kind: &str, name: &str, errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    format!("{kind} \"{name}\" is invalid: {}", parts.join(", "))
}
