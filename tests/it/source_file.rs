//! The source layer against local-path remotes: snapshots, reuse, force-push, refusals, failures.

use crate::git_repo;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use git_repo::{TestRepo, seed_manifests, service};
use gitcanary::source::{
    ApprovalAction, Follower, Limits, Poll, SignatureState, SourceConfig, Verdict,
    signature::Signers,
};

fn config(url: &str, cache: &Path) -> SourceConfig {
    SourceConfig {
        name: "test".into(),
        url: url.into(),
        branch: "main".into(),
        path: "deploy".into(),
        cache_dir: cache.to_owned(),
        interval: Duration::from_secs(3600),
        credentials: Default::default(),
        signers: Signers::default(),
        limits: Limits::default(),
        watch_local: false,
    }
}

/// A repo whose `deploy/` holds the seed walk-through (the first Rollout version).
fn seed_repo() -> TestRepo {
    let repo = TestRepo::new();
    for (name, content) in seed_manifests() {
        if name != "rollout-with-analysis.yaml" {
            repo.write(&format!("deploy/{name}"), &content);
        }
    }
    repo.write("README.md", "demo\n");
    repo.commit("Initial manifests");
    repo
}

fn error_text(follower: &Follower) -> String {
    follower
        .status()
        .error
        .as_ref()
        .map(|f| f.error.to_string())
        .unwrap_or_default()
}

#[test]
fn first_snapshot_loads_the_seed_manifests_with_origins() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let snapshot = follower.status().snapshot.clone().unwrap();
    assert_eq!(snapshot.commit.id, repo.head());
    assert_eq!(snapshot.commit.summary, "Initial manifests");
    let keys: Vec<String> = snapshot.objects.iter().map(|m| m.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            "Gateway/istio-rollout-gateway",
            "VirtualService/istio-rollout-vsvc",
            "AnalysisTemplate/istio-success-rate",
            "Rollout/istio-rollout",
            "Service/istio-rollout-canary",
            "Service/istio-rollout-stable",
        ]
    );
    let stable = &snapshot.objects[5];
    assert_eq!(
        stable.origin.to_string(),
        "deploy/service.yaml:15 (document 2)"
    );
    assert!(snapshot.approvals.is_empty());
    assert_eq!(follower.poll(), Poll::Unchanged);
}

#[test]
fn a_commit_outside_the_path_reuses_objects_and_reports_its_approvals() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    follower.poll();
    let first = follower.status().snapshot.clone().unwrap();

    repo.write("README.md", "approved\n");
    let approval = repo.commit("Approve the canary\n\nPromote: istio-rollout\nAbort: prod/other");
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let second = follower.status().snapshot.clone().unwrap();
    assert!(
        Arc::ptr_eq(&first.objects, &second.objects),
        "objects were parsed again"
    );
    assert_eq!(first.digest, second.digest);
    let found: Vec<_> = second
        .approvals
        .iter()
        .map(|a| {
            (
                a.action,
                a.namespace.clone(),
                a.name.clone(),
                a.commit.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                ApprovalAction::Promote,
                None,
                "istio-rollout".to_owned(),
                approval.clone()
            ),
            (
                ApprovalAction::Abort,
                Some("prod".to_owned()),
                "other".to_owned(),
                approval
            ),
        ]
    );
    assert!(
        second
            .approvals
            .iter()
            .all(|a| a.verdict == Verdict::Accepted)
    );
    assert!(
        second
            .approvals
            .iter()
            .all(|a| a.signature == SignatureState::Unsigned)
    );
    assert_eq!(second.approvals[0].author, "Alice <alice@example.com>");
}

#[test]
fn a_changed_manifest_changes_only_its_hash_and_the_digest() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    follower.poll();
    let first = follower.status().snapshot.clone().unwrap();
    let rollout = std::fs::read_to_string(repo.path().join("deploy/rollout.yaml")).unwrap();
    repo.write("deploy/rollout.yaml", &rollout.replace(":blue", ":yellow"));
    repo.commit("Yellow");
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let second = follower.status().snapshot.clone().unwrap();
    assert_ne!(first.digest, second.digest);
    let changed: Vec<String> = first
        .objects
        .iter()
        .zip(second.objects.iter())
        .filter(|(a, b)| a.hash != b.hash)
        .map(|(a, _)| a.key.to_string())
        .collect();
    assert_eq!(changed, ["Rollout/istio-rollout"]);
}

#[test]
fn approvals_cover_every_commit_since_the_previous_snapshot_and_survive_a_force_push() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    follower.poll();
    let base = repo.head();
    repo.commit("one\n\nPromote: a");
    repo.commit("two\n\nRetry: b");
    follower.poll();
    let names: Vec<_> = follower
        .status()
        .snapshot
        .as_ref()
        .unwrap()
        .approvals
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(names, ["a", "b"]);

    // Rewrite history: drop "one" and "two", add "three". Only "three" is new.
    repo.git(&["reset", "-q", "--hard", &base]);
    let three = repo.commit("three\n\nPromote-Full: c");
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let snapshot = follower.status().snapshot.clone().unwrap();
    assert_eq!(snapshot.commit.id, three);
    let names: Vec<_> = snapshot
        .approvals
        .iter()
        .map(|a| (a.action, a.name.clone()))
        .collect();
    assert_eq!(names, [(ApprovalAction::PromoteFull, "c".to_owned())]);
}

#[test]
fn a_bad_commit_is_refused_and_the_last_good_snapshot_stays() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    follower.poll();
    let good = follower.status().snapshot.clone().unwrap();

    repo.write(
        "deploy/broken.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n",
    );
    let bad = repo.commit("Broken\n\nPromote: istio-rollout");
    assert_eq!(follower.poll(), Poll::Refused);
    let status = follower.status();
    assert_eq!(status.snapshot.as_ref().unwrap().commit.id, good.commit.id);
    assert_eq!(status.fetched.as_ref().unwrap().id, bad);
    let failure = status.error.clone().unwrap();
    assert_eq!(failure.commit.as_deref(), Some(bad.as_str()));
    let message = failure.error.to_string();
    assert!(
        message.contains(&bad) && message.contains("deploy/broken.yaml:5:"),
        "{message}"
    );
    // Polling again does not re-parse or re-report the same commit.
    assert_eq!(follower.poll(), Poll::Unchanged);

    repo.remove("deploy/broken.yaml");
    repo.commit("Fix");
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let status = follower.status();
    assert!(status.error.is_none());
    // The approval in the refused commit is reported with the next good snapshot.
    let approvals = &status.snapshot.as_ref().unwrap().approvals;
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0].commit, bad);
}

/// Each refusal the issue lists, with what the error must say.
#[test]
fn refusals_name_the_file_and_the_problem() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let big = format!("{}# {}\n", service("big"), "x".repeat(2048));
    type Files = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Files, &str)> = vec![
        (
            "invalid yaml",
            vec![("deploy/bad.yaml", "a: b\nc: [d\n".into())],
            "deploy/bad.yaml:3:1: invalid YAML",
        ),
        (
            "no apiVersion",
            vec![(
                "deploy/a.yaml",
                "kind: Service\nmetadata: {name: a}\n".into(),
            )],
            "deploy/a.yaml:1 (document 1): missing or empty `apiVersion`",
        ),
        (
            "no kind",
            vec![(
                "deploy/a.yaml",
                "apiVersion: v1\nmetadata: {name: a}\n".into(),
            )],
            "missing or empty `kind`",
        ),
        (
            "no name",
            vec![(
                "deploy/a.yaml",
                "---\napiVersion: v1\nkind: Service\nmetadata: {}\n".into(),
            )],
            "deploy/a.yaml:2 (document 1): missing or empty `metadata.name`",
        ),
        (
            "duplicate",
            vec![
                ("deploy/a.yaml", service("x")),
                ("deploy/sub/b.yml", service("x")),
            ],
            "deploy/sub/b.yml:1 (document 1): Service/x is also defined at deploy/a.yaml:1 (document 1)",
        ),
        (
            "too large",
            vec![("deploy/big.yaml", big)],
            "deploy/big.yaml: file is",
        ),
        (
            "alias bomb",
            vec![("deploy/bomb.yaml", bomb)],
            "deploy/bomb.yaml: document 1: YAML alias expansion exceeds",
        ),
        (
            "json",
            vec![(
                "deploy/a.json",
                "{\"apiVersion\": \"v1\",\n \"kind\": }".into(),
            )],
            "deploy/a.json:2:10: invalid JSON",
        ),
    ];
    for (what, files, want) in cases {
        let repo = TestRepo::new();
        for (path, content) in &files {
            repo.write(path, content);
        }
        repo.commit(what);
        let cache = tempfile::tempdir().unwrap();
        let mut cfg = config(&repo.url(), cache.path());
        cfg.limits = Limits {
            max_file_bytes: 1024,
        };
        let mut follower = Follower::new(cfg).unwrap();
        assert_eq!(follower.poll(), Poll::Refused, "{what}");
        let message = error_text(&follower);
        assert!(message.contains(want), "{what}: {message}");
        assert!(follower.status().snapshot.is_none());
    }
}

#[test]
fn symlinks_inside_are_followed_and_outside_refused() {
    let repo = TestRepo::new();
    repo.write("shared/svc.yaml", &service("shared"));
    std::fs::create_dir_all(repo.path().join("deploy")).unwrap();
    repo.symlink("deploy/link.yaml", "../shared/svc.yaml");
    repo.commit("inside");
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let snapshot = follower.status().snapshot.clone().unwrap();
    assert_eq!(
        snapshot.objects[0].origin.file,
        Path::new("deploy/link.yaml")
    );

    repo.symlink("deploy/escape.yaml", "../../../etc/hostname");
    repo.commit("outside");
    assert_eq!(follower.poll(), Poll::Refused);
    let message = error_text(&follower);
    assert!(
        message.contains("deploy/escape.yaml: symlink points outside the repository"),
        "{message}"
    );
}

#[test]
fn ignored_files_lists_and_empty_documents() {
    let repo = TestRepo::new();
    repo.write("deploy/.gitcanaryignore", "drafts/\nsecret.yaml\n");
    repo.write("deploy/drafts/wip.yaml", "not: [valid\n");
    repo.write("deploy/secret.yaml", "not: [valid\n");
    repo.write("deploy/notes.txt", "not: [valid\n");
    let list = format!(
        "---\n---\napiVersion: v1\nkind: List\nitems:\n- {}\n- {}\n",
        "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}",
        "{apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: x}}"
    );
    repo.write("deploy/list.yaml", &list);
    repo.commit("lists");
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path())).unwrap();
    assert_eq!(
        follower.poll(),
        Poll::NewSnapshot,
        "{}",
        error_text(&follower)
    );
    let snapshot = follower.status().snapshot.clone().unwrap();
    let found: Vec<_> = snapshot
        .objects
        .iter()
        .map(|m| format!("{} @ {}", m.key, m.origin))
        .collect();
    assert_eq!(
        found,
        [
            "ConfigMap/a @ deploy/list.yaml:3 (document 2, item 1)",
            "ConfigMap/x/b @ deploy/list.yaml:3 (document 2, item 2)",
        ]
    );
}

#[test]
fn an_unreachable_remote_keeps_the_last_good_snapshot() {
    let repo = seed_repo();
    let served = tempfile::tempdir().unwrap();
    let bare = repo.bare_clone(&served.path().join("r.git"));
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&bare.display().to_string(), cache.path())).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    std::fs::remove_dir_all(&bare).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    let status = follower.status();
    assert!(status.snapshot.is_some());
    let failure = status.error.clone().unwrap();
    assert!(failure.commit.is_none());
    let message = failure.error.to_string();
    assert!(
        message.contains("failed to fetch branch `main`") && message.contains("r.git"),
        "{message}"
    );
}

#[test]
fn a_missing_branch_is_an_error() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = config(&repo.url(), cache.path());
    cfg.branch = "nope".into();
    let mut follower = Follower::new(cfg).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    assert!(
        error_text(&follower).contains("branch `nope` does not exist"),
        "{}",
        error_text(&follower)
    );

    // A branch deleted after it was followed is reported too.
    repo.git(&["branch", "-q", "gone"]);
    let mut cfg = config(&repo.url(), cache.path());
    cfg.branch = "gone".into();
    let mut follower = Follower::new(cfg).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    repo.git(&["branch", "-q", "-D", "gone"]);
    assert_eq!(follower.poll(), Poll::FetchFailed);
    assert!(
        error_text(&follower).contains("branch `gone` does not exist"),
        "{}",
        error_text(&follower)
    );
    assert!(follower.status().snapshot.is_some());
}

#[tokio::test]
async fn file_watching_sees_a_local_commit_within_a_second() {
    let repo = seed_repo();
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = config(&repo.url(), cache.path());
    cfg.watch_local = true;
    let mut handle = gitcanary::source::follow(cfg).unwrap();
    handle
        .status
        .wait_for(|s| s.snapshot.is_some())
        .await
        .unwrap();
    let next = repo.commit("Watched\n\nPromote: istio-rollout");
    let seen = tokio::time::timeout(
        Duration::from_secs(1),
        handle
            .status
            .wait_for(|s| s.snapshot.as_ref().is_some_and(|s| s.commit.id == next)),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(seen, "the commit was not seen within a second");
    handle.task.abort();
}
