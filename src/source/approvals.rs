//! Which commits a snapshot reports approvals for, and the approvals of one commit.
//!
//! The rule, chosen so approvals are neither lost in normal operation nor replayed often:
//! - first snapshot after start: the tip commit only. Older approvals were seen by the previous run
//!   (the rollout controller records consumed ones in the Rollout status), and replaying a whole
//!   history on every restart is exactly what we must avoid;
//! - afterwards: the first-parent commits reachable from the new tip and not from the previous
//!   snapshot's commit, oldest first, at most [`MAX_COMMITS`]. This covers commits whose snapshot was
//!   refused (a bad manifest) and, after a force-push, covers only the rewritten part;
//! - a rebase gives old approvals new commit ids, so approvals whose (action, target, author, author
//!   time) were already reported are dropped ([`Seen`]).

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, TimeZone, Utc};
use git2::{Commit, Oid, Repository, Sort};

use crate::source::signature::{Signers, verdict};
use crate::source::snapshot::{Approval, ApprovalAction};
use crate::source::trailers::{Request, approval_requests};

/// Bounds the walk when the previous snapshot is far behind (or unknown after a history rewrite).
pub const MAX_COMMITS: usize = 200;

/// First-parent commits to scan for approvals, oldest first.
pub fn commits_to_scan(
    repo: &Repository,
    tip: Oid,
    previous: Option<Oid>,
) -> Result<Vec<Oid>, git2::Error> {
    let Some(previous) = previous else {
        return Ok(vec![tip]);
    };
    if previous == tip {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL)?;
    walk.simplify_first_parent()?;
    walk.push(tip)?;
    // The previous commit may be gone from the mirror (a re-created cache); then only the tip is new.
    if walk.hide(previous).is_err() {
        return Ok(vec![tip]);
    }
    let mut commits = walk.take(MAX_COMMITS).collect::<Result<Vec<_>, _>>()?;
    commits.reverse();
    Ok(commits)
}

/// The approvals written in `commit`, with signature state and verdict.
pub fn approvals_of(repo: &Repository, commit: &Commit<'_>, signers: &Signers) -> Vec<Approval> {
    let message = String::from_utf8_lossy(commit.message_bytes());
    let requests = approval_requests(&message);
    if requests.is_empty() {
        return Vec::new();
    }
    let committed_at = git_time(commit.committer().when());
    let author = commit.author().to_string();
    let signature = signers.check_commit(repo, commit.id(), committed_at);
    let signature_verdict = verdict(!signers.is_empty(), &signature);
    requests
        .into_iter()
        .map(|request| {
            let (action, namespace, name, verdict) = match request {
                Request::Valid {
                    action,
                    namespace,
                    name,
                } => (action, namespace, name, signature_verdict.clone()),
                Request::Malformed {
                    action,
                    raw,
                    reason,
                } => (
                    action,
                    None,
                    raw,
                    crate::source::snapshot::Verdict::Rejected { reason },
                ),
            };
            Approval {
                action,
                namespace,
                name,
                commit: commit.id().to_string(),
                author: author.clone(),
                committed_at,
                signature: signature.clone(),
                verdict,
            }
        })
        .collect()
}

/// Converts a git timestamp (seconds + offset) to UTC.
pub fn git_time(time: git2::Time) -> DateTime<Utc> {
    Utc.timestamp_opt(time.seconds(), 0)
        .single()
        .unwrap_or_default()
}

/// What identifies an approval across a rebase: the commit id changes, these do not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Fingerprint {
    action: ApprovalAction,
    namespace: Option<String>,
    name: String,
    author: String,
    author_time: i64,
    /// Two different approvals by one author within a second (an unsigned one refused, then a
    /// signed one) must not look like a rebased copy: the message and signature tell them apart.
    message: String,
    signed: bool,
}

/// Approvals already reported, bounded so a long-running daemon does not grow without end.
#[derive(Debug, Default)]
pub struct Seen {
    set: HashSet<Fingerprint>,
    order: VecDeque<Fingerprint>,
}

impl Seen {
    const CAPACITY: usize = 4096;

    /// Keeps the approvals not reported before and remembers them.
    pub fn keep_new(&mut self, commit: &Commit<'_>, approvals: Vec<Approval>) -> Vec<Approval> {
        let author = commit.author();
        let author_time = author.when().seconds();
        let author = author.to_string();
        let message = commit.message().unwrap_or_default().to_string();
        let signed = commit.header_field_bytes("gpgsig").is_ok();
        approvals
            .into_iter()
            .filter(|approval| {
                let fingerprint = Fingerprint {
                    action: approval.action,
                    namespace: approval.namespace.clone(),
                    name: approval.name.clone(),
                    author: author.clone(),
                    author_time,
                    message: message.clone(),
                    signed,
                };
                self.insert(fingerprint)
            })
            .collect()
    }

    fn insert(&mut self, fingerprint: Fingerprint) -> bool {
        if !self.set.insert(fingerprint.clone()) {
            return false;
        }
        self.order.push_back(fingerprint);
        if self.order.len() > Self::CAPACITY
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}
