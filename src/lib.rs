//! gitcanary: GitOps sync and canary releases on a service mesh, in one daemon.
//!
//! Data flows left to right: `source` (Git → snapshot) → `sync` (snapshot → cluster) → `rollout`
//! (canary steps) with `analysis` judging canaries; `cli` and `web` are the ways in.

/// Returning freed heap to the system, so RSS follows the live data rather than its peak.
pub mod allocator;
/// AnalysisRuns: Prometheus measurements judged by success/failure conditions and Argo's limits.
pub mod analysis;
/// Argo Rollouts' API types (Rollout, AnalysisTemplate, AnalysisRun), their CRDs and validation.
pub mod api;
/// Command-line interface: argument parsing and the subcommands' entry points.
pub mod cli;
/// Which API server an object lives on: the main cluster, or a separate mesh control plane (ASM).
pub mod cluster;
/// Wiring of a running daemon (sources, syncers, HTTP server, shutdown).
pub mod daemon;
/// Leader election over a Lease: of several replicas, one acts and the others stand by.
pub mod leader;
/// Kubernetes Events with series counting, for sync and the rollout controller.
pub mod recorder;
/// Rollout: the canary step machine as a pure decision over observed state, and its helpers.
pub mod rollout;
/// Git source: follow a branch, load manifests, read approvals from commits.
pub mod source;
/// Sync: snapshot → cluster with server-side apply, pruning and drift repair.
pub mod sync;
/// The daemon's HTTP surface: probes, metrics, JSON API, webhook.
pub mod web;
