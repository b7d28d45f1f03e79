//! A Kubernetes-API-compatible server for tests and demos.

pub mod apply;
pub mod fieldset;
pub mod strategic;
pub mod typeinfo;
