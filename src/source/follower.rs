//! The follower: fetch, decide whether anything changed, build the next snapshot or say why not.
//!
//! [`Follower::poll`] is one synchronous cycle (git2 is blocking); [`crate::source::follow`] runs it
//! on triggers. The status always holds the last good snapshot, so a bad commit or an unreachable
//! remote never takes away what is in force.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use git2::Oid;
use tracing::{info, info_span, warn};

use crate::source::Limits;
use crate::source::approvals::{self, Seen};
use crate::source::credentials::{Credentials, redact_userinfo};
use crate::source::fetch::{FetchError, Mirror};
use crate::source::manifest::git::{load_tree, tree_at};
use crate::source::manifest::{FileCache, LoadError, canonical};
use crate::source::signature::Signers;
use crate::source::snapshot::{CommitInfo, Snapshot};

/// Default for `--interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// Everything the follower needs; built from flags by [`crate::source::args::SourceArgs`].
/// `Debug` hides any password in `url`; the credentials hide themselves.
#[derive(Clone)]
pub struct SourceConfig {
    /// Shown in logs and spans to tell several sources apart.
    pub name: String,
    pub url: String,
    pub branch: String,
    /// Directory inside the repository holding the manifests; empty for the root.
    pub path: PathBuf,
    pub cache_dir: PathBuf,
    pub interval: Duration,
    pub credentials: Credentials,
    pub signers: Signers,
    pub limits: Limits,
    /// Watch a local-path remote with `notify` so local commits are seen at once.
    pub watch_local: bool,
}

impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field("name", &self.name)
            .field("url", &redact_userinfo(&self.url))
            .field("branch", &self.branch)
            .field("path", &self.path)
            .field("cache_dir", &self.cache_dir)
            .field("interval", &self.interval)
            .field("credentials", &self.credentials)
            .field("signers", &self.signers)
            .field("limits", &self.limits)
            .field("watch_local", &self.watch_local)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("commit {commit}: {source}")]
    Manifests { commit: String, source: LoadError },
    #[error("commit {commit}: failed to read from the mirror: {message}")]
    Git { commit: String, message: String },
}

/// Why the newest commit is not in force.
#[derive(Debug)]
pub struct SourceFailure {
    /// The refused commit; `None` when fetching failed before a commit was known.
    pub commit: Option<String>,
    pub at: DateTime<Utc>,
    pub error: FollowError,
}

/// The newest commit seen on the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedCommit {
    pub id: String,
    pub at: DateTime<Utc>,
}

/// What the sync layer reads: the snapshot in force, the newest commit, and why they differ.
#[derive(Debug, Clone, Default)]
pub struct SourceStatus {
    pub snapshot: Option<Arc<Snapshot>>,
    pub fetched: Option<FetchedCommit>,
    /// Cleared as soon as a snapshot of the newest commit is in force.
    pub error: Option<Arc<SourceFailure>>,
}

/// The result of one [`Follower::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// The tip is the commit in force (or the one already refused).
    Unchanged,
    NewSnapshot,
    Refused,
    FetchFailed,
}

pub struct Follower {
    config: SourceConfig,
    mirror: Mirror,
    status: SourceStatus,
    cache: FileCache<Oid>,
    reads_outside_path: bool,
    seen: Seen,
    last_tip: Option<Oid>,
    refused: Option<Oid>,
}

impl Follower {
    pub fn new(config: SourceConfig) -> Result<Self, FollowError> {
        let mirror = Mirror::open(
            &config.cache_dir,
            &config.url,
            &config.branch,
            config.credentials.clone(),
        )?;
        Ok(Follower {
            config,
            mirror,
            status: SourceStatus::default(),
            cache: FileCache::new(),
            reads_outside_path: false,
            seen: Seen::default(),
            last_tip: None,
            refused: None,
        })
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    pub fn status(&self) -> &SourceStatus {
        &self.status
    }

    /// Fetches once and, if the tip moved, builds and installs the next snapshot.
    pub fn poll(&mut self) -> Poll {
        let span = info_span!("source", source = %self.config.name, commit = tracing::field::Empty);
        let _enter = span.enter();
        let tip = match self.mirror.fetch() {
            Ok(tip) => tip,
            Err(error) => {
                warn!(url = %self.mirror.display_url(), %error, "fetch failed; the last good snapshot stays in force");
                self.fail(None, error.into());
                return Poll::FetchFailed;
            }
        };
        span.record("commit", tracing::field::display(tip));
        self.status.fetched = Some(FetchedCommit {
            id: tip.to_string(),
            at: Utc::now(),
        });
        self.note_history_rewrite(tip);
        let in_force = self.in_force();
        if in_force == Some(tip) {
            self.status.error = None;
            return Poll::Unchanged;
        }
        if self.refused == Some(tip) {
            return Poll::Unchanged;
        }
        match self.build(tip, in_force) {
            Ok(snapshot) => {
                info!(
                    objects = snapshot.objects.len(),
                    approvals = snapshot.approvals.len(),
                    digest = %hex::encode(&snapshot.digest[..6]),
                    "new snapshot"
                );
                self.status.snapshot = Some(Arc::new(snapshot));
                self.status.error = None;
                self.refused = None;
                Poll::NewSnapshot
            }
            Err(error) => {
                warn!(%error, "commit refused; the last good snapshot stays in force");
                self.refused = Some(tip);
                self.fail(Some(tip), error);
                Poll::Refused
            }
        }
    }

    fn in_force(&self) -> Option<Oid> {
        let snapshot = self.status.snapshot.as_ref()?;
        Oid::from_str(&snapshot.commit.id).ok()
    }

    fn fail(&mut self, commit: Option<Oid>, error: FollowError) {
        self.status.error = Some(Arc::new(SourceFailure {
            commit: commit.map(|c| c.to_string()),
            at: Utc::now(),
            error,
        }));
    }

    /// A tip that does not descend from the previous one means the branch was rewritten; we follow it,
    /// and say so, because people want to know why a deployed commit vanished from history.
    fn note_history_rewrite(&mut self, tip: Oid) {
        if let Some(previous) = self.last_tip.replace(tip)
            && previous != tip
            && !self
                .mirror
                .repo()
                .graph_descendant_of(tip, previous)
                .unwrap_or(false)
        {
            warn!(previous = %previous, new = %tip, "branch history was rewritten (force-push); following the new tip");
        }
    }

    fn build(&mut self, tip: Oid, in_force: Option<Oid>) -> Result<Snapshot, FollowError> {
        let repo = self.mirror.repo();
        let git_err = |e: git2::Error| FollowError::Git {
            commit: tip.to_string(),
            message: e.message().to_owned(),
        };
        let commit = repo.find_commit(tip).map_err(git_err)?;
        let root = commit.tree().map_err(git_err)?;
        let manifests = |source: LoadError| FollowError::Manifests {
            commit: tip.to_string(),
            source,
        };
        let base = tree_at(repo, &root, &self.config.path)
            .map_err(|p| manifests(LoadError { problems: vec![p] }))?;
        let previous = self.status.snapshot.clone();
        let reusable =
            previous.filter(|prev| prev.tree == base.id().to_string() && !self.reads_outside_path);
        let (objects, digest) = match reusable {
            Some(prev) => (prev.objects.clone(), prev.digest),
            None => {
                let load = load_tree(
                    repo,
                    &root,
                    &self.config.path,
                    self.config.limits,
                    &self.cache,
                )
                .map_err(manifests)?;
                let digest = canonical::set_digest(&load.objects);
                self.cache = load.cache;
                self.reads_outside_path = load.reads_outside_path;
                (Arc::new(load.objects), digest)
            }
        };
        let mut approvals = Vec::new();
        for id in approvals::commits_to_scan(repo, tip, in_force).map_err(git_err)? {
            let scanned = repo.find_commit(id).map_err(git_err)?;
            let found = approvals::approvals_of(repo, &scanned, &self.config.signers);
            approvals.extend(self.seen.keep_new(&scanned, found));
        }
        Ok(Snapshot {
            commit: CommitInfo {
                id: tip.to_string(),
                summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                    .into_owned(),
                author: commit.author().to_string(),
                time: approvals::git_time(commit.committer().when()),
            },
            objects,
            approvals,
            digest,
            tree: base.id().to_string(),
        })
    }
}
