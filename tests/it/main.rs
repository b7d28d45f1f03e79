//! Integration tests: one binary, so the crate graph is linked once. Each module is one area.
#![allow(dead_code)]

mod analysis_walkthrough;
mod common;
mod crds;
mod git_repo;
mod git_servers;
mod git_signing;
mod localkube_api;
mod localkube_kubectl;
mod mesh;
mod meshsim;
mod prometheus;
mod rollout_walkthrough;
mod roundtrip;
mod source_file;
mod source_remote_http;
mod source_remote_ssh;
mod source_signatures;
mod source_validate;
mod source_webhook;
mod sync;
