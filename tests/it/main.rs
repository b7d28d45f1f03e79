//! Integration tests: one binary, so the crate graph is linked once. Each module is one area.

mod common;
mod crds;
mod localkube_api;
mod localkube_kubectl;
mod meshsim;
mod roundtrip;
