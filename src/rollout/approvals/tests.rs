//! Table tests of the approval rules: one state, a list of requests, the effect and what is
//! recorded, removed and reported.

use chrono::TimeDelta;

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::default() + TimeDelta::seconds(1_700_000_000 + seconds)
}

fn gitcanary() -> GitcanaryStatus {
    GitcanaryStatus {
        canary_commit: Some("c0ffee00aa".into()),
        canary_pod_hash: Some("yellow".into()),
        approvals: vec![],
    }
}

fn git(kind: ApprovalKind, commit: &str, seconds: i64) -> GitApproval {
    GitApproval {
        kind,
        commit: commit.into(),
        author: "Ann <ann@example.com>".into(),
        committed_at: at(seconds),
        verdict: Verdict::Accepted { signer: None },
        descends_from_canary_commit: Some(true),
    }
}

#[derive(Clone, Copy)]
enum Where {
    Pause,
    Running,
    Aborted,
    Promoted,
}

fn state(status: &GitcanaryStatus, place: Where) -> State<'_> {
    State {
        gitcanary: status,
        current_pod_hash: "yellow",
        at_pause: matches!(place, Where::Pause),
        aborted: matches!(place, Where::Aborted),
        fully_promoted: matches!(place, Where::Promoted),
        step: Some(1),
    }
}

fn run(place: Where, git: &[GitApproval], annotations: &[(&str, &str)]) -> Outcome {
    let status = gitcanary();
    let annotations = annotations
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    evaluate(
        &state(&status, place),
        &annotations,
        git,
        &BTreeSet::new(),
        at(100),
    )
}

fn recorded(out: &Outcome) -> Vec<(ApprovalKind, Option<&str>)> {
    out.recorded
        .iter()
        .map(|a| (a.kind, a.commit.as_deref()))
        .collect()
}

#[test]
fn git_approvals() {
    use ApprovalKind::*;
    let unrelated = GitApproval {
        descends_from_canary_commit: Some(false),
        ..git(Promote, "old", 1)
    };
    let unknown = GitApproval {
        descends_from_canary_commit: None,
        ..git(Promote, "unknown", 1)
    };
    type Case = (
        &'static str,
        Where,
        Vec<GitApproval>,
        Option<Effect>,
        Vec<(ApprovalKind, Option<&'static str>)>,
    );
    let cases: Vec<Case> = vec![
        (
            "promote at a pause",
            Where::Pause,
            vec![git(Promote, "p1", 1)],
            Some(Effect::PromoteStep),
            vec![(Promote, Some("p1"))],
        ),
        (
            "promote before the pause waits",
            Where::Running,
            vec![git(Promote, "p1", 1)],
            None,
            vec![],
        ),
        (
            "not descending",
            Where::Pause,
            vec![unrelated],
            None,
            vec![],
        ),
        (
            "unknown ancestry",
            Where::Pause,
            vec![unknown],
            None,
            vec![],
        ),
        (
            "the canary commit itself",
            Where::Pause,
            vec![git(Promote, "c0ffee00aa", 1)],
            None,
            vec![],
        ),
        (
            "promote full",
            Where::Running,
            vec![git(PromoteFull, "f", 1)],
            Some(Effect::PromoteFull),
            vec![(PromoteFull, Some("f"))],
        ),
        (
            "abort",
            Where::Running,
            vec![git(Abort, "a", 1)],
            Some(Effect::Abort),
            vec![(Abort, Some("a"))],
        ),
        (
            "abort twice",
            Where::Aborted,
            vec![git(Abort, "a", 1)],
            None,
            vec![(Abort, Some("a"))],
        ),
        (
            "retry",
            Where::Aborted,
            vec![git(Retry, "r", 1)],
            Some(Effect::Retry),
            vec![(Retry, Some("r"))],
        ),
        (
            "retry with nothing to retry is consumed",
            Where::Running,
            vec![git(Retry, "r", 1)],
            None,
            vec![(Retry, Some("r"))],
        ),
        (
            "abort voids pending promotes",
            Where::Aborted,
            vec![git(Promote, "p", 1)],
            None,
            vec![(Promote, Some("p"))],
        ),
        (
            "promoted: nothing acts",
            Where::Promoted,
            vec![git(Abort, "a", 1), git(Promote, "p", 2)],
            None,
            vec![],
        ),
        (
            "one effect per decision, oldest first",
            Where::Running,
            vec![
                git(Retry, "late", 9),
                git(Abort, "early", 3),
                git(Promote, "waits", 1),
            ],
            Some(Effect::Abort),
            vec![(Abort, Some("early"))],
        ),
        (
            "voids before the effect are consumed with it",
            Where::Pause,
            vec![git(Retry, "r", 1), git(Promote, "p", 2)],
            Some(Effect::PromoteStep),
            vec![(Retry, Some("r")), (Promote, Some("p"))],
        ),
    ];
    for (name, place, approvals, effect, expected) in cases {
        let out = run(place, &approvals, &[]);
        assert_eq!(out.effect, effect, "{name}");
        assert_eq!(recorded(&out), expected, "{name}");
    }
}

#[test]
fn recorded_approvals_count_once_and_only_for_their_revision() {
    let mut status = gitcanary();
    status.approvals.push(Approval {
        kind: ApprovalKind::Promote,
        commit: Some("p1".into()),
        step: Some(1),
        at: to_time(at(0)),
        signer: None,
    });
    let approvals = [git(ApprovalKind::Promote, "p1", 1)];
    let out = evaluate(
        &state(&status, Where::Pause),
        &BTreeMap::new(),
        &approvals,
        &BTreeSet::new(),
        at(5),
    );
    assert_eq!(out.effect, None);

    let mut other = gitcanary();
    other.canary_pod_hash = Some("orange".into());
    let approvals = [git(ApprovalKind::Promote, "p2", 1)];
    let out = evaluate(
        &state(&other, Where::Pause),
        &BTreeMap::new(),
        &approvals,
        &BTreeSet::new(),
        at(5),
    );
    assert_eq!(out.effect, None, "an approval for another revision");

    let mut from_kubectl = gitcanary();
    from_kubectl.canary_commit = None;
    let out = evaluate(
        &state(&from_kubectl, Where::Pause),
        &BTreeMap::new(),
        &approvals,
        &BTreeSet::new(),
        at(5),
    );
    assert_eq!(out.effect, None, "a revision that did not come from Git");
}

#[test]
fn rejected_approvals_are_reported_once_and_never_act() {
    let rejected = GitApproval {
        verdict: Verdict::Rejected {
            reason: "commit is not signed".into(),
        },
        ..git(ApprovalKind::Promote, "deadbeef99", 1)
    };
    let out = run(Where::Pause, std::slice::from_ref(&rejected), &[]);
    assert_eq!(out.effect, None);
    assert!(out.recorded.is_empty());
    assert_eq!(out.events.len(), 1);
    assert_eq!(
        out.events[0].message,
        "Promote from commit deadbeef by Ann <ann@example.com> rejected: commit is not signed"
    );
    let key = out.events[0].key.clone().expect("once-only");
    let status = gitcanary();
    let again = evaluate(
        &state(&status, Where::Pause),
        &BTreeMap::new(),
        &[rejected],
        &[key].into(),
        at(200),
    );
    assert!(again.events.is_empty());
}

#[test]
fn annotations() {
    use ApprovalKind::*;
    type Case = (
        &'static str,
        Where,
        Vec<(&'static str, &'static str)>,
        Option<Effect>,
        Vec<&'static str>,
        Vec<ApprovalKind>,
    );
    let cases: Vec<Case> = vec![
        (
            "promote step at a pause",
            Where::Pause,
            vec![(PROMOTE_ANNOTATION, "step")],
            Some(Effect::PromoteStep),
            vec![PROMOTE_ANNOTATION],
            vec![Promote],
        ),
        (
            "promote waits in place",
            Where::Running,
            vec![(PROMOTE_ANNOTATION, "step")],
            None,
            vec![],
            vec![],
        ),
        (
            "promote full",
            Where::Running,
            vec![(PROMOTE_ANNOTATION, "full")],
            Some(Effect::PromoteFull),
            vec![PROMOTE_ANNOTATION],
            vec![PromoteFull],
        ),
        (
            "bad value",
            Where::Pause,
            vec![(PROMOTE_ANNOTATION, "now")],
            None,
            vec![PROMOTE_ANNOTATION],
            vec![],
        ),
        (
            "abort",
            Where::Running,
            vec![(ABORT_ANNOTATION, "")],
            Some(Effect::Abort),
            vec![ABORT_ANNOTATION],
            vec![Abort],
        ),
        (
            "retry",
            Where::Aborted,
            vec![(RETRY_ANNOTATION, "true")],
            Some(Effect::Retry),
            vec![RETRY_ANNOTATION],
            vec![Retry],
        ),
        (
            "retry when running",
            Where::Running,
            vec![(RETRY_ANNOTATION, "true")],
            None,
            vec![RETRY_ANNOTATION],
            vec![Retry],
        ),
        (
            "promoted",
            Where::Promoted,
            vec![(ABORT_ANNOTATION, "")],
            None,
            vec![ABORT_ANNOTATION],
            vec![],
        ),
    ];
    for (name, place, annotations, effect, removed, kinds) in cases {
        let out = run(place, &[], &annotations);
        assert_eq!(out.effect, effect, "{name}");
        assert_eq!(out.remove_annotations, removed, "{name}");
        assert_eq!(
            out.recorded.iter().map(|a| a.kind).collect::<Vec<_>>(),
            kinds,
            "{name}"
        );
        assert!(out.recorded.iter().all(|a| a.commit.is_none()), "{name}");
    }
}

#[test]
fn git_approvals_come_before_annotations() {
    let out = run(
        Where::Running,
        &[git(ApprovalKind::Abort, "a", 1)],
        &[(PROMOTE_ANNOTATION, "full")],
    );
    assert_eq!(out.effect, Some(Effect::Abort));
    assert!(out.remove_annotations.is_empty());
}
