//! Integration tests: one binary, so the crate graph is linked once. Each module is one area.
#![allow(dead_code)]

mod analysis_walkthrough;
mod browser;
mod common;
mod crds;
mod dashboard;
mod git_repo;
mod git_servers;
mod git_signing;
mod leader;
mod localkube_api;
mod localkube_kubectl;
mod mesh;
mod meshsim;
mod prometheus;
mod rbac;
mod rollout_walkthrough;
mod roundtrip;
mod source_file;
mod source_remote_http;
mod source_remote_ssh;
mod source_signatures;
mod source_validate;
mod source_webhook;
mod sync;
mod websocket;
