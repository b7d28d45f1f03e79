//! Smart HTTP remotes (nginx + fcgiwrap + git http-backend) with basic auth and bearer tokens.

use crate::git_repo;
use crate::git_servers;

use std::path::Path;
use std::time::Duration;

use git_repo::{TestRepo, git, service};
use git_servers::{HttpGitServer, served_repo};
use gitcanary::source::credentials::{Credentials, Secret, SecretSource};
use gitcanary::source::signature::Signers;
use gitcanary::source::{Follower, Limits, Poll, SourceConfig};

const USER: &str = "deployer";
const PASSWORD: &str = "pa55-w0rd-xyz";
const TOKEN: &str = "tok-abcdef-123456";

fn config(url: &str, cache: &Path, credentials: Credentials) -> SourceConfig {
    SourceConfig {
        name: "http".into(),
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

fn basic(password: &str) -> Credentials {
    Credentials {
        username: Some(USER.into()),
        password: Some(SecretSource::Value(Secret::new(password))),
        ..Credentials::default()
    }
}

fn bearer(token: &str) -> Credentials {
    Credentials {
        token: Some(SecretSource::Value(Secret::new(token))),
        ..Credentials::default()
    }
}

/// Everything a person could see of the follower: errors, their debug form, and the status.
fn visible(follower: &Follower) -> String {
    let status = follower.status();
    let error = status
        .error
        .as_ref()
        .map(|f| f.error.to_string())
        .unwrap_or_default();
    format!("{error}\n{status:?}")
}

struct Setup {
    work: TestRepo,
    _root: tempfile::TempDir,
    bare: std::path::PathBuf,
    server: HttpGitServer,
}

fn setup() -> Setup {
    let work = TestRepo::new();
    work.write("svc.yaml", &service("web"));
    work.commit("first");
    let root = tempfile::tempdir().unwrap();
    let bare = served_repo(root.path(), "repo.git", work.path());
    let server = HttpGitServer::start(root.path(), USER, PASSWORD, TOKEN);
    Setup {
        work,
        _root: root,
        bare,
        server,
    }
}

#[test]
fn basic_auth_fetches_incrementally_and_follows_a_force_push() {
    let s = setup();
    let cache = tempfile::tempdir().unwrap();
    let url = s.server.url("basic", "repo.git");
    let mut follower = Follower::new(config(&url, cache.path(), basic(PASSWORD))).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot, "{}", visible(&follower));
    assert_eq!(follower.poll(), Poll::Unchanged);

    let bare = s.bare.display().to_string();
    s.work.write("svc2.yaml", &service("api"));
    let second = s.work.commit("second\n\nPromote: web");
    s.work.git(&["push", "-q", &bare, "main"]);
    assert_eq!(follower.poll(), Poll::NewSnapshot, "{}", visible(&follower));
    let snapshot = follower.status().snapshot.clone().unwrap();
    assert_eq!(
        (snapshot.commit.id.as_str(), snapshot.objects.len()),
        (second.as_str(), 2)
    );
    assert_eq!(snapshot.approvals.len(), 1);

    s.work.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let rewritten = s.work.commit("rewritten");
    s.work.git(&["push", "-q", "--force", &bare, "main"]);
    assert_eq!(follower.poll(), Poll::NewSnapshot, "{}", visible(&follower));
    let snapshot = follower.status().snapshot.clone().unwrap();
    assert_eq!(
        (snapshot.commit.id.as_str(), snapshot.objects.len()),
        (rewritten.as_str(), 1)
    );
    assert!(snapshot.approvals.is_empty());
}

#[test]
fn wrong_or_missing_credentials_fail_without_showing_the_secret() {
    let s = setup();
    let cache = tempfile::tempdir().unwrap();
    let url = s.server.url("basic", "repo.git");
    let cases = [
        (
            basic("wrong-secret-value"),
            "the remote rejected the username and password",
        ),
        (
            Credentials::default(),
            "asks for a username and password, and none is configured",
        ),
    ];
    for (credentials, why) in cases {
        let mut follower = Follower::new(config(&url, cache.path(), credentials)).unwrap();
        assert_eq!(follower.poll(), Poll::FetchFailed);
        let shown = visible(&follower);
        assert!(
            shown.contains("failed to fetch branch `main`") && shown.contains(why),
            "{shown}"
        );
        assert!(
            !shown.contains("wrong-secret-value"),
            "secret leaked: {shown}"
        );
    }
    // A password embedded in the URL is not shown either: not in errors, status, config or logs.
    let embedded = url.replace("http://", &format!("http://{USER}:url-secret-999@"));
    let cfg = config(&embedded, cache.path(), basic("also-secret-555"));
    let shown_config = format!("{cfg:?}");
    // Scoped subscribers and the global callsite-interest cache race with other tests' threads:
    // a callsite can be cached as "nobody listens" between the rebuild and the event. A few tries
    // make the capture dependable; every try's output is checked for secrets below.
    let mut tries = vec![];
    for _ in 0..3 {
        let logs = LogBuffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(logs.clone())
            .finish();
        let (outcome, shown) = tracing::subscriber::with_default(subscriber, || {
            tracing::callsite::rebuild_interest_cache();
            let mut follower = Follower::new(cfg.clone()).unwrap();
            let outcome = follower.poll();
            (outcome, visible(&follower))
        });
        let logged = logs.text();
        let done = logged.contains("fetch failed");
        tries.push((outcome, shown, logged));
        if done {
            break;
        }
    }
    let last = &tries[tries.len() - 1].2;
    assert!(last.contains("fetch failed"), "nothing logged: {last}");
    for (outcome, shown, logged) in &tries {
        for text in [shown, &shown_config, logged] {
            for secret in ["url-secret-999", "also-secret-555"] {
                assert!(
                    !text.contains(secret),
                    "secret leaked ({outcome:?}): {text}"
                );
            }
        }
    }
}

#[test]
fn bearer_tokens_and_secret_files() {
    let s = setup();
    let cache = tempfile::tempdir().unwrap();
    let url = s.server.url("bearer", "repo.git");
    let mut follower = Follower::new(config(&url, cache.path(), bearer(TOKEN))).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot, "{}", visible(&follower));

    let mut follower = Follower::new(config(&url, cache.path(), bearer("tok-wrong-777"))).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    assert!(!visible(&follower).contains("tok-wrong-777"));

    // A mounted Secret: the file is read at every fetch, so rotating it takes effect at once.
    let secrets = tempfile::tempdir().unwrap();
    let file = secrets.path().join("password");
    std::fs::write(&file, "stale\n").unwrap();
    let credentials = Credentials {
        username: Some(USER.into()),
        password: Some(SecretSource::File(file.clone())),
        ..Credentials::default()
    };
    let basic_url = s.server.url("basic", "repo.git");
    let mut follower = Follower::new(config(&basic_url, cache.path(), credentials)).unwrap();
    assert_eq!(follower.poll(), Poll::FetchFailed);
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    assert_eq!(follower.poll(), Poll::NewSnapshot, "{}", visible(&follower));
    git(s.work.path(), &["status"]);
}

/// Collects log output in memory.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
