//! A Kubernetes-API-compatible server for tests and demos: the real `kubectl` and kube-rs talk to it
//! over HTTPS as they would to kube-apiserver, and a small workload simulator turns ReplicaSets into Pods.

pub mod access;
pub mod admit;
pub mod apply;
pub mod authz;
mod controllers;
pub mod crd;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod field_error;
pub mod fieldset;
pub mod http;
pub mod meta;
pub mod openapi;
pub mod ops;
pub mod patch;
pub mod requests;
pub mod resources;
pub mod route;
pub mod schema;
pub mod selector;
pub mod server;
pub mod store;
pub mod strategic;
pub mod table;
pub mod typeinfo;
pub mod watch;

pub use access::{Call, Denial};
pub use faults::FaultRule;
pub use server::{Config, LocalKube, StartError};
