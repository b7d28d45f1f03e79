//! Sync: keep the cluster equal to the Git snapshot, without touching what the rollout controller owns.
//!
//! Planning is pure (`order`, `normalize`, `ownership`); applying talks to the API server.

pub mod normalize;
pub mod order;
pub mod ownership;
pub mod plan;
