//! Approvals: people driving the canary through Git commit trailers and `gitcanary.dev/*`
//! annotations. Pure rules; the decision turns the chosen effect into the same status change the
//! Argo kubectl plugin would patch (§2.5), so both routes share one state machine.
//!
//! Rules, in the order they are checked:
//! - A Git approval applies only to the canary revision that was current when it was committed: it
//!   must descend from (and not be) `status.gitcanary.canaryCommit`, and `canaryPodHash` must be
//!   the current pod hash. A commit cannot approve the canary it introduces, and approvals of an
//!   older canary are never replayed onto a newer one (a new revision resets `status.gitcanary`).
//! - A rejected approval (e.g. unsigned while signers are configured) is never acted on; its
//!   reason is reported once as a Warning Event.
//! - A Git approval counts once: acting on it (or finding it has nothing to act on) records it in
//!   `status.gitcanary.approvals`, which survives restarts.
//! - At most one approval takes effect per decision, the oldest first (Git by commit time, then
//!   annotations); the rest are looked at again on the next decision, against the new state.
//! - `Promote` ends a pause (a pause step, or an inconclusive analysis). Arriving while the rollout
//!   is not paused it stays pending (a Git approval unrecorded, an annotation in place) and ends the
//!   next pause of the same revision: a reviewer can approve "the 10% step" before the canary
//!   reaches it. An abort voids pending promotions, so a retried canary pauses again.
//! - `PromoteFull` skips the remaining steps, and like Argo's `promote --full` also leaves an abort.
//! - `Abort` aborts; `Retry` only acts on an aborted rollout and is otherwise consumed without
//!   effect, so it can never arm itself against a later abort.
//! - Nothing acts on a fully promoted revision: Git approvals for it stay unrecorded (harmless,
//!   since a new revision voids them), annotations are removed with an Event saying so.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::actions::Event;
use super::observed::{GitApproval, Verdict};
use super::time::to_time;
use crate::api::{Approval, ApprovalKind, GitcanaryStatus};

pub const PROMOTE_ANNOTATION: &str = "gitcanary.dev/promote";
pub const ABORT_ANNOTATION: &str = "gitcanary.dev/abort";
pub const RETRY_ANNOTATION: &str = "gitcanary.dev/retry";

pub const ACCEPTED: &str = "ApprovalAccepted";
pub const VOID: &str = "ApprovalVoid";
pub const REJECTED: &str = "ApprovalRejected";

/// What the rollout looks like to an approval.
#[derive(Clone, Copy, Debug)]
pub struct State<'a> {
    /// `status.gitcanary` for the current revision (already reset if the revision just changed).
    pub gitcanary: &'a GitcanaryStatus,
    pub current_pod_hash: &'a str,
    /// Paused by a pause step or an inconclusive analysis.
    pub at_pause: bool,
    pub aborted: bool,
    pub fully_promoted: bool,
    pub step: Option<i32>,
}

/// The status change an approval asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// End the current pause (step completed).
    PromoteStep,
    /// `promoteFull: true`.
    PromoteFull,
    /// `abort: true`.
    Abort,
    /// `abort: false` on an aborted rollout.
    Retry,
}

/// What to do about the approvals seen in one decision.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub effect: Option<Effect>,
    /// To append to `status.gitcanary.approvals`.
    pub recorded: Vec<Approval>,
    /// Consumed annotations.
    pub remove_annotations: Vec<String>,
    pub events: Vec<Event>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Disposition {
    Act(Effect),
    /// Consumed without effect.
    Void(&'static str),
    /// Not yet: a promotion waiting for a pause.
    Wait,
    /// Not for this revision's state at all.
    Ignore,
}

fn disposition(kind: ApprovalKind, state: &State<'_>) -> Disposition {
    match kind {
        _ if state.fully_promoted => Disposition::Ignore,
        ApprovalKind::Promote if state.aborted => Disposition::Void("the rollout is aborted"),
        ApprovalKind::Promote if state.at_pause => Disposition::Act(Effect::PromoteStep),
        ApprovalKind::Promote => Disposition::Wait,
        ApprovalKind::PromoteFull => Disposition::Act(Effect::PromoteFull),
        ApprovalKind::Abort if state.aborted => Disposition::Void("the rollout is already aborted"),
        ApprovalKind::Abort => Disposition::Act(Effect::Abort),
        ApprovalKind::Retry if state.aborted => Disposition::Act(Effect::Retry),
        ApprovalKind::Retry => Disposition::Void("the rollout is not aborted"),
    }
}

/// The trailer token, used in Event messages.
pub fn kind_name(kind: ApprovalKind) -> &'static str {
    match kind {
        ApprovalKind::Promote => "Promote",
        ApprovalKind::PromoteFull => "Promote-Full",
        ApprovalKind::Abort => "Abort",
        ApprovalKind::Retry => "Retry",
    }
}

fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}

/// Whether a Git approval is about the current canary at all (signature aside).
fn applies(approval: &GitApproval, state: &State<'_>) -> bool {
    let Some(canary_commit) = state.gitcanary.canary_commit.as_deref() else {
        return false;
    };
    let recorded = state
        .gitcanary
        .approvals
        .iter()
        .any(|a| a.kind == approval.kind && a.commit.as_deref() == Some(&approval.commit));
    !recorded
        && approval.commit != canary_commit
        && approval.descends_from_canary_commit == Some(true)
        && state.gitcanary.canary_pod_hash.as_deref() == Some(state.current_pod_hash)
}

/// One request, from either source.
struct Request {
    kind: ApprovalKind,
    commit: Option<String>,
    signer: Option<String>,
    /// `Promote from commit 1a2b3c4d by Ann <ann@example.com>` / `… from annotation …`.
    origin: String,
    annotation: Option<&'static str>,
}

/// Decides which approvals act now. `annotations` are the live Rollout's.
pub fn evaluate(
    state: &State<'_>,
    annotations: &BTreeMap<String, String>,
    git: &[GitApproval],
    reported: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Outcome {
    let mut out = Outcome::default();
    let mut requests = Vec::new();
    let mut candidates: Vec<&GitApproval> = git.iter().filter(|a| applies(a, state)).collect();
    candidates.sort_by(|a, b| (a.committed_at, &a.commit).cmp(&(b.committed_at, &b.commit)));
    for approval in candidates {
        let origin = format!(
            "{} from commit {} by {}",
            kind_name(approval.kind),
            short(&approval.commit),
            approval.author
        );
        match &approval.verdict {
            Verdict::Rejected { reason } => {
                let key = format!("rejected-{}-{}", approval.commit, kind_name(approval.kind));
                if !reported.contains(&key) {
                    let message = format!("{origin} rejected: {reason}");
                    out.events.push(Event::warning(REJECTED, message).once(key));
                }
            }
            Verdict::Accepted { signer } => requests.push(Request {
                kind: approval.kind,
                commit: Some(approval.commit.clone()),
                signer: signer.clone(),
                origin,
                annotation: None,
            }),
        }
    }
    annotation_requests(annotations, &mut requests, &mut out);

    for request in requests {
        let record = || Approval {
            kind: request.kind,
            commit: request.commit.clone(),
            step: state.step,
            at: to_time(now),
            signer: request.signer.clone(),
        };
        match disposition(request.kind, state) {
            Disposition::Act(effect) => {
                out.effect = Some(effect);
                out.recorded.push(record());
                out.remove_annotations
                    .extend(request.annotation.map(str::to_owned));
                let step = state.step.map_or_else(|| "-".to_owned(), |s| s.to_string());
                let message = format!("{} accepted at step {step}", request.origin);
                out.events.push(Event::normal(ACCEPTED, message));
                return out;
            }
            Disposition::Void(why) => {
                out.recorded.push(record());
                out.remove_annotations
                    .extend(request.annotation.map(str::to_owned));
                let message = format!("{} has no effect: {why}", request.origin);
                out.events.push(Event::normal(VOID, message));
            }
            Disposition::Ignore => {
                if let Some(key) = request.annotation {
                    out.remove_annotations.push(key.to_owned());
                    let message = format!(
                        "{} has no effect: the rollout is fully promoted",
                        request.origin
                    );
                    out.events.push(Event::normal(VOID, message));
                }
            }
            Disposition::Wait => {}
        }
    }
    out
}

fn annotation_requests(
    annotations: &BTreeMap<String, String>,
    requests: &mut Vec<Request>,
    out: &mut Outcome,
) {
    let annotation = |key: &'static str, kind: ApprovalKind, shown: String| Request {
        kind,
        commit: None,
        signer: None,
        origin: format!("{} from annotation {shown}", kind_name(kind)),
        annotation: Some(key),
    };
    if let Some(value) = annotations.get(PROMOTE_ANNOTATION) {
        let shown = format!("{PROMOTE_ANNOTATION}={value}");
        match value.trim() {
            "step" | "" => {
                requests.push(annotation(PROMOTE_ANNOTATION, ApprovalKind::Promote, shown))
            }
            "full" => requests.push(annotation(
                PROMOTE_ANNOTATION,
                ApprovalKind::PromoteFull,
                shown,
            )),
            other => {
                out.remove_annotations.push(PROMOTE_ANNOTATION.to_owned());
                out.events.push(Event::warning(
                    REJECTED,
                    format!(
                        "annotation {PROMOTE_ANNOTATION}: '{other}' is neither 'step' nor 'full'"
                    ),
                ));
            }
        }
    }
    if annotations.contains_key(ABORT_ANNOTATION) {
        requests.push(annotation(
            ABORT_ANNOTATION,
            ApprovalKind::Abort,
            ABORT_ANNOTATION.to_owned(),
        ));
    }
    if annotations.contains_key(RETRY_ANNOTATION) {
        requests.push(annotation(
            RETRY_ANNOTATION,
            ApprovalKind::Retry,
            RETRY_ANNOTATION.to_owned(),
        ));
    }
}

#[cfg(test)]
mod tests;
