//! What a source's sync state looks like to people: `gitcanary status`, `/api/v1/sources`, the dashboard.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::plan::ObjRef;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Nothing synced yet.
    #[default]
    Unknown,
    Synced,
    /// Drift or a new commit not applied yet (self-heal off, or a pass in progress).
    OutOfSync,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitRef {
    pub id: String,
    pub message: String,
    pub author: String,
    pub time: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ObjectState {
    Synced,
    Created,
    Configured,
    Pruned,
    Kept,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    #[serde(flatten)]
    pub obj_ref: ObjRef,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub origin: String,
    pub state: ObjectState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A rollout-owned field whose Git value was not applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoredField {
    pub object: String,
    pub field: String,
    pub git: String,
    pub live: String,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceState {
    pub name: String,
    pub repo: String,
    pub branch: String,
    pub path: String,
    pub phase: Phase,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched_commit: Option<CommitRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_commit: Option<CommitRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<DateTime<Utc>>,
    pub objects: Vec<ObjectStatus>,
    pub ignored: Vec<IgnoredField>,
}
