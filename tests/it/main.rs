//! Integration tests: one binary, so the crate graph is linked once. Each module is one area.

mod common;
mod localkube_api;
mod localkube_kubectl;
