//! SSH remotes (openssh-server on loopback) with a private key and optional known_hosts checking.

use crate::git_repo;
use crate::git_servers;
use crate::git_signing;

use std::path::Path;
use std::time::Duration;

use git_repo::{TestRepo, service};
use git_servers::{SshGitServer, served_repo};
use git_signing::SshSigner;
use gitcanary::source::credentials::Credentials;
use gitcanary::source::signature::Signers;
use gitcanary::source::{Follower, Limits, Poll, SourceConfig};

fn config(url: &str, cache: &Path, credentials: Credentials) -> SourceConfig {
    SourceConfig {
        name: "ssh".into(),
        url: url.into(),
        branch: "main".into(),
        path: "".into(),
        cache_dir: cache.to_owned(),
        interval: Duration::from_secs(3600),
        credentials,
        signers: Signers::default(),
        limits: Limits::default(),
        watch_local: false,
    }
}

fn error_of(follower: &Follower) -> String {
    follower
        .status()
        .error
        .as_ref()
        .map(|f| f.error.to_string())
        .unwrap_or_default()
}

#[test]
fn key_authentication_with_and_without_known_hosts() {
    let client = SshSigner::new("deploy@example.com");
    let server = SshGitServer::start(&client.public_key());
    let work = TestRepo::new();
    work.write("svc.yaml", &service("web"));
    let first = work.commit("first");
    let root = tempfile::tempdir().unwrap();
    let bare = served_repo(root.path(), "repo.git", work.path());
    let url = server.url(&bare);
    let cache = tempfile::tempdir().unwrap();
    let keyed = |known_hosts: Option<std::path::PathBuf>| Credentials {
        ssh_key: Some(client.key()),
        known_hosts,
        ..Credentials::default()
    };

    let mut follower = Follower::new(config(&url, cache.path(), keyed(None))).unwrap();
    assert_eq!(
        follower.poll(),
        Poll::NewSnapshot,
        "{}\nsshd log:\n{}",
        error_of(&follower),
        server.log()
    );
    assert_eq!(
        follower.status().snapshot.as_ref().unwrap().commit.id,
        first
    );

    let hosts = tempfile::tempdir().unwrap();
    let good = hosts.path().join("good");
    std::fs::write(&good, server.known_hosts_line()).unwrap();
    let mut follower = Follower::new(config(&url, cache.path(), keyed(Some(good)))).unwrap();
    assert_eq!(
        follower.poll(),
        Poll::NewSnapshot,
        "{}",
        error_of(&follower)
    );

    // The right host name with another key: refused as a possible man in the middle.
    let other = SshSigner::new("other@example.com");
    let data = other
        .public_key()
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let bad = hosts.path().join("bad");
    std::fs::write(
        &bad,
        format!("[127.0.0.1]:{} ssh-ed25519 {data}\n", server.port),
    )
    .unwrap();
    let mut follower = Follower::new(config(&url, cache.path(), keyed(Some(bad)))).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    assert!(
        error_of(&follower).contains("host key does not match known_hosts"),
        "{}",
        error_of(&follower)
    );

    // A key the server does not know.
    let stranger = SshSigner::new("stranger@example.com");
    let credentials = Credentials {
        ssh_key: Some(stranger.key()),
        ..Credentials::default()
    };
    let mut follower = Follower::new(config(&url, cache.path(), credentials)).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    let error = error_of(&follower);
    assert!(
        error.contains("failed to fetch branch `main`") && error.contains("rejected the SSH key"),
        "{error}"
    );
}

#[test]
fn an_unreachable_ssh_remote_reports_the_connection_error() {
    let port = git_servers::free_port();
    let cache = tempfile::tempdir().unwrap();
    let url = format!("ssh://git@127.0.0.1:{port}/srv/repo.git");
    let mut follower = Follower::new(config(&url, cache.path(), Credentials::default())).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    let error = error_of(&follower);
    assert!(
        error.contains(&format!("127.0.0.1:{port}")) && error.contains("Connection refused"),
        "{error}"
    );
}
