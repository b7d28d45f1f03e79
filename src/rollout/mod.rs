//! The rollout controller's pure core: from everything observed about one Rollout and the current
//! time to the actions that move its canary forward and its complete new status.
//!
//! [`decide`] is a function of [`Observed`] and `now` only; the state it needs between calls lives
//! in the Rollout's status (Argo's fields, plus `status.gitcanary`) and in object labels and
//! annotations, so a restarted daemon continues where the last one stopped. The I/O loop around it
//! builds `Observed` from watch caches, executes [`Action`]s in order and writes
//! [`Decision::status`] when [`status_changed`] says so.

mod actions;
pub mod analysis;
pub mod approvals;
pub mod controller;
mod decide;
pub mod destinationrule;
pub mod hash;
mod observed;
pub mod phase;
pub mod replicas;
pub mod request;
pub mod steps;
pub mod time;
pub mod view;
pub mod virtualservice;

pub use actions::{Action, Decision, Event, EventKind, NewAnalysisRun, NewReplicaSet};
pub use decide::{Referenced, RolloutError, Stage, Waiting, decide, referenced};
pub use observed::*;
pub use phase::status_changed;

#[cfg(test)]
mod tests;
