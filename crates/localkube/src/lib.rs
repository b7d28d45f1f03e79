//! A Kubernetes-API-compatible server for tests and demos.

pub mod field_error;
pub mod meta;
pub mod schema;
