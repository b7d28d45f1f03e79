//! Approval commits signed with SSH keys and gpg, checked against configured allowed signers.

use crate::git_repo;
use crate::git_signing;

use std::path::Path;
use std::time::Duration;

use git_repo::{TestRepo, service};
use git_signing::{GpgSigner, SshSigner};
use gitcanary::source::signature::Signers;
use gitcanary::source::{
    Approval, Follower, Limits, Poll, SignatureFormat, SignatureState, SourceConfig, Verdict,
};

fn config(url: &str, cache: &Path, signers: Signers) -> SourceConfig {
    SourceConfig {
        name: "signed".into(),
        url: url.into(),
        branch: "main".into(),
        path: "".into(),
        cache_dir: cache.to_owned(),
        interval: Duration::from_secs(3600),
        credentials: Default::default(),
        signers,
        limits: Limits::default(),
        watch_local: false,
    }
}

/// Polls once for the base commit, runs `commits`, polls again and returns the new approvals by name.
fn approvals_after(repo: &TestRepo, signers: Signers, commits: impl FnOnce()) -> Vec<Approval> {
    let cache = tempfile::tempdir().unwrap();
    let mut follower = Follower::new(config(&repo.url(), cache.path(), signers)).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    commits();
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    follower
        .status()
        .snapshot
        .as_ref()
        .unwrap()
        .approvals
        .clone()
}

fn find<'a>(approvals: &'a [Approval], name: &str) -> &'a Approval {
    approvals
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no approval for {name}: {approvals:?}"))
}

/// Rewrites the message of a signed commit while keeping its signature, which must then fail.
fn tamper(repo: &TestRepo, commit: &str, from: &str, to: &str) -> String {
    let raw = repo.git(&["cat-file", "commit", commit]);
    let forged = raw.replace(from, to);
    let file = repo.path().join(".git/forged");
    std::fs::write(&file, format!("{forged}\n")).unwrap();
    let id = repo.git(&[
        "hash-object",
        "-t",
        "commit",
        "-w",
        &file.display().to_string(),
    ]);
    repo.git(&["update-ref", "refs/heads/main", &id]);
    id
}

#[test]
fn only_approvals_signed_by_allowed_signers_count() {
    let alice_ssh = SshSigner::new("alice@example.com");
    let mallory_ssh = SshSigner::new("mallory@example.com");
    let alice_gpg = GpgSigner::new("Alice <alice@example.com>");
    let bob_gpg = GpgSigner::new("Bob <bob@example.com>");
    let keys = tempfile::tempdir().unwrap();
    let allowed = keys.path().join("allowed_signers");
    std::fs::write(&allowed, alice_ssh.allowed_signers_line()).unwrap();
    let pgp = keys.path().join("alice.asc");
    std::fs::write(&pgp, alice_gpg.armored_public_key()).unwrap();
    let signers = Signers::load(Some(&allowed), &[pgp]).unwrap();

    let repo = TestRepo::new();
    repo.write("svc.yaml", &service("web"));
    repo.commit("base");
    let approvals = approvals_after(&repo, signers, || {
        repo.commit("unsigned\n\nPromote: unsigned");
        alice_ssh.commit(repo.path(), "ssh\n\nPromote: ssh-alice");
        mallory_ssh.commit(repo.path(), "ssh\n\nPromote: ssh-mallory");
        alice_gpg.commit(repo.path(), "gpg\n\nPromote-Full: gpg-alice");
        bob_gpg.commit(repo.path(), "gpg\n\nAbort: gpg-bob");
        let signed = alice_ssh.commit(repo.path(), "ssh\n\nRetry: tampered");
        tamper(&repo, &signed, "Retry: tampered", "Retry: tampered-x");
    });

    let rejected = |a: &Approval, why: &str| match &a.verdict {
        Verdict::Rejected { reason } => assert!(reason.contains(why), "{}: {reason}", a.name),
        Verdict::Accepted => panic!("{} was accepted: {:?}", a.name, a.signature),
    };
    rejected(find(&approvals, "unsigned"), "not signed");
    assert_eq!(
        find(&approvals, "unsigned").signature,
        SignatureState::Unsigned
    );

    let ssh = find(&approvals, "ssh-alice");
    assert_eq!(ssh.verdict, Verdict::Accepted);
    assert_eq!(
        ssh.signature,
        SignatureState::Valid {
            format: SignatureFormat::Ssh,
            signer: "alice@example.com".into()
        }
    );
    rejected(find(&approvals, "ssh-mallory"), "not an allowed signer");

    let gpg = find(&approvals, "gpg-alice");
    assert_eq!(gpg.verdict, Verdict::Accepted, "{:?}", gpg.signature);
    assert_eq!(
        gpg.signature,
        SignatureState::Valid {
            format: SignatureFormat::OpenPgp,
            signer: "Alice <alice@example.com>".into()
        }
    );
    rejected(find(&approvals, "gpg-bob"), "not an allowed signer");
    rejected(find(&approvals, "tampered-x"), "invalid signature");
    assert_eq!(approvals.len(), 6);
}

#[test]
fn without_signers_everything_counts_and_signatures_are_not_checked() {
    let alice_ssh = SshSigner::new("alice@example.com");
    let repo = TestRepo::new();
    repo.commit("base");
    let approvals = approvals_after(&repo, Signers::default(), || {
        repo.commit("plain\n\nPromote: plain");
        alice_ssh.commit(repo.path(), "signed\n\nPromote: signed");
    });
    assert!(approvals.iter().all(|a| a.verdict == Verdict::Accepted));
    assert_eq!(
        find(&approvals, "plain").signature,
        SignatureState::Unsigned
    );
    assert_eq!(
        find(&approvals, "signed").signature,
        SignatureState::NotChecked {
            format: SignatureFormat::Ssh
        }
    );
}

#[test]
fn a_bad_allowed_signers_file_is_a_startup_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("allowed");
    std::fs::write(
        &file,
        "# people\nalice@example.com ssh-ed25519 AAAAnotakey\n",
    )
    .unwrap();
    let error = Signers::load(Some(&file), &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains(&format!("{}:2:", file.display())), "{error}");
}
