//! Approvals and commits from Git, per rollout: fed by the sources' applied snapshots, read by the
//! controller when it builds a decision's inputs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::api::ApprovalKind;
use crate::rollout::{GitApproval, Verdict};
use crate::source::{Approval, ApprovalAction, SignatureState, Snapshot};
use crate::sync::runner::SourceHandle;

use super::queue::{Key, Queue};

/// Approvals kept per rollout; older ones have long been acted on or ignored.
const KEEP: usize = 100;

#[derive(Clone, Debug)]
pub struct Entry {
    pub approval: Approval,
    pub mirror: PathBuf,
}

#[derive(Default)]
struct Inner {
    approvals: HashMap<Key, Vec<Entry>>,
    /// The commit of the applied snapshot that holds the Rollout, and the mirror to ask about it.
    commits: HashMap<Key, (String, PathBuf)>,
    /// Per source: the commit being applied and the Rollouts it holds (computed once per commit).
    applying: HashMap<usize, (String, HashSet<Key>)>,
}

/// A source's snapshot in flight, read synchronously: the Rollout it writes can reach the
/// controller before the pass ends, and the feed of applied snapshots runs later still.
#[derive(Clone)]
struct InFlight {
    snapshot: tokio::sync::watch::Receiver<Option<Arc<Snapshot>>>,
    namespace: String,
    mirror: PathBuf,
}

#[derive(Default, Clone)]
pub struct Book {
    inner: Arc<Mutex<Inner>>,
    in_flight: Arc<Vec<InFlight>>,
}

/// The Rollouts a snapshot holds, with the namespace objects without one go to.
fn rollouts(snapshot: &Snapshot, namespace: &str) -> impl Iterator<Item = Key> {
    snapshot
        .objects
        .iter()
        .filter(|m| m.key.kind == "Rollout" && m.key.group() == "argoproj.io")
        .map(move |m| {
            (
                m.key
                    .namespace
                    .clone()
                    .unwrap_or_else(|| namespace.to_string()),
                m.key.name.clone(),
            )
        })
}

fn kind(a: ApprovalAction) -> ApprovalKind {
    match a {
        ApprovalAction::Promote => ApprovalKind::Promote,
        ApprovalAction::PromoteFull => ApprovalKind::PromoteFull,
        ApprovalAction::Abort => ApprovalKind::Abort,
        ApprovalAction::Retry => ApprovalKind::Retry,
    }
}

impl Book {
    pub fn new(sources: &[SourceHandle]) -> Book {
        Book {
            inner: Default::default(),
            in_flight: Arc::new(
                sources
                    .iter()
                    .map(|s| InFlight {
                        snapshot: s.applying.clone(),
                        namespace: s.namespace.clone(),
                        mirror: s.mirror.clone(),
                    })
                    .collect(),
            ),
        }
    }

    /// Records one applied snapshot; returns the rollouts it concerns.
    pub fn record(
        &self,
        snapshot: &Snapshot,
        namespace: &str,
        mirror: &std::path::Path,
    ) -> Vec<Key> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut touched = vec![];
        for key in rollouts(snapshot, namespace) {
            inner.commits.insert(
                key.clone(),
                (snapshot.commit.id.clone(), mirror.to_path_buf()),
            );
            touched.push(key);
        }
        for a in &snapshot.approvals {
            let key = (
                a.namespace.clone().unwrap_or_else(|| namespace.to_string()),
                a.name.clone(),
            );
            let list = inner.approvals.entry(key.clone()).or_default();
            if list
                .iter()
                .any(|e| e.approval.commit == a.commit && e.approval.action == a.action)
            {
                continue;
            }
            list.push(Entry {
                approval: a.clone(),
                mirror: mirror.to_path_buf(),
            });
            if list.len() > KEEP {
                list.remove(0);
            }
            touched.push(key);
        }
        touched
    }

    /// The commit that wrote this Rollout as the daemon knows it, with the mirror it lives in: a
    /// snapshot being applied wins over the one in force. Erring towards the newer commit is the
    /// safe side: approvals must descend from it, so none made before the canary can count.
    pub fn commit(&self, key: &Key) -> Option<(String, PathBuf)> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for (i, f) in self.in_flight.iter().enumerate() {
            let Some(snap) = f.snapshot.borrow().clone() else {
                continue;
            };
            let fresh = inner
                .applying
                .get(&i)
                .is_some_and(|(id, _)| *id == snap.commit.id);
            if !fresh {
                let held = rollouts(&snap, &f.namespace).collect();
                inner.applying.insert(i, (snap.commit.id.clone(), held));
            }
            if inner
                .applying
                .get(&i)
                .is_some_and(|(_, held)| held.contains(key))
            {
                return Some((snap.commit.id.clone(), f.mirror.clone()));
            }
        }
        inner.commits.get(key).cloned()
    }

    pub fn approvals(&self, key: &Key) -> Vec<Entry> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .approvals
            .get(key)
            .cloned()
            .unwrap_or_default()
    }
}

/// Turns a recorded approval into the decision's input; `descends` is computed by the caller.
pub fn git_approval(e: &Entry, descends: Option<bool>) -> GitApproval {
    let a = &e.approval;
    let verdict = match &a.verdict {
        crate::source::Verdict::Accepted => Verdict::Accepted {
            signer: match &a.signature {
                SignatureState::Valid { signer, .. } => Some(signer.clone()),
                _ => None,
            },
        },
        crate::source::Verdict::Rejected { reason } => Verdict::Rejected {
            reason: reason.clone(),
        },
    };
    GitApproval {
        kind: kind(a.action),
        commit: a.commit.clone(),
        author: a.author.clone(),
        committed_at: a.committed_at,
        verdict,
        descends_from_canary_commit: descends,
    }
}

/// Feeds the book from every source's applied snapshots, scheduling the rollouts concerned.
pub fn spawn_feed(book: Book, sources: &[SourceHandle], queue: Arc<Queue>) {
    for s in sources {
        let mut rx = s.snapshot.clone();
        let (book, queue, ns, mirror) = (
            book.clone(),
            queue.clone(),
            s.namespace.clone(),
            s.mirror.clone(),
        );
        tokio::spawn(async move {
            loop {
                let snap = rx.borrow_and_update().clone();
                if let Some(snap) = snap {
                    for key in book.record(&snap, &ns, &mirror) {
                        queue.now(key);
                    }
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
    }
}
