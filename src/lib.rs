//! gitcanary: GitOps sync and canary releases on a service mesh, in one daemon.
//!
//! Data flows left to right: `source` (Git → snapshot) → `sync` (snapshot → cluster) → `rollout`
//! (canary steps) with `analysis` judging canaries; `cli` and `web` are the ways in.

/// Command-line interface: argument parsing and the subcommands' entry points.
pub mod cli;

/// Git source: follow a branch, load manifests, read approvals from commits.
pub mod source;
