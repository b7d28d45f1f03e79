//! The `source` layer: from a Git branch to immutable [`Snapshot`]s that sync and rollout consume.
//!
//! - [`manifest`]: find, parse, key and hash the objects under `--path` (also used by `validate`);
//! - [`approvals`] and [`signature`]: `Promote:`-style trailers and who signed them;
//! - [`fetch`]: the local mirror, credentials and host-key checks;
//! - [`follower`]: the long-running loop with its triggers (interval, [`webhook`], file watching).

pub mod approvals;
pub mod args;
pub mod credentials;
pub mod fetch;
pub mod follower;
pub mod known_hosts;
pub mod manifest;
pub mod run;
pub mod signature;
pub mod snapshot;
pub mod trailers;
pub mod trigger;
pub mod webhook;

pub use follower::{
    FetchedCommit, FollowError, Follower, Poll, SourceConfig, SourceFailure, SourceStatus,
};
pub use manifest::{Limits, LoadError, ManifestError, Problem};
pub use run::{FollowerHandle, follow};
pub use snapshot::{
    Approval, ApprovalAction, CommitInfo, Manifest, ObjectKey, Origin, SignatureFormat,
    SignatureState, Snapshot, Verdict,
};
pub use trigger::Trigger;
