//! Sync: keep the cluster equal to the Git snapshot, without touching what the rollout controller owns.
//!
//! Planning is pure (`order`, `normalize`, `ownership`, `plan`); `engine` applies a plan through the
//! API server, `runner` drives passes for one source, `live` caches what the cluster holds.

pub mod config;
pub mod diff;
pub mod engine;
pub mod ignored;
pub mod inventory;
pub mod kinds;
pub mod live;
pub mod metrics;
pub mod normalize;
pub mod order;
pub mod ownership;
pub mod plan;
pub mod retry;
pub mod runner;
pub mod status;
