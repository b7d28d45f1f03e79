//! The webhook router over real HTTP: a good signature makes the follower fetch, anything else is 401.

use crate::git_repo;

use std::time::Duration;

use git_repo::{TestRepo, service};
use gitcanary::source::credentials::Secret;
use gitcanary::source::signature::Signers;
use gitcanary::source::webhook::{WebhookState, router};
use gitcanary::source::{Limits, SourceConfig, follow};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "webhook-secret";

/// Sends a POST with raw HTTP/1.1 and returns the status code.
pub(crate) async fn post(
    addr: std::net::SocketAddr,
    headers: &[(&str, String)],
    body: &str,
) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST /hooks/git HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn github_signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn only_authenticated_hooks_trigger_a_fetch() {
    let repo = TestRepo::new();
    repo.write("svc.yaml", &service("web"));
    let first = repo.commit("first");
    let cache = tempfile::tempdir().unwrap();
    // No file watching and a long interval: only the webhook can make the follower fetch again.
    let mut handle = follow(SourceConfig {
        name: "hooked".into(),
        url: repo.url(),
        branch: "main".into(),
        path: "".into(),
        cache_dir: cache.path().to_owned(),
        interval: Duration::from_secs(3600),
        credentials: Default::default(),
        signers: Signers::default(),
        limits: Limits::default(),
        watch_local: false,
    })
    .unwrap();
    handle
        .status
        .wait_for(|s| s.snapshot.is_some())
        .await
        .unwrap();

    let app = router(WebhookState {
        secret: Secret::new(SECRET),
        trigger: handle.trigger.clone(),
        standby: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let second = repo.commit("second");
    let body = r#"{"ref":"refs/heads/main"}"#;
    let refused = [
        vec![],
        vec![("X-Hub-Signature-256", github_signature("wrong", body))],
        vec![(
            "X-Hub-Signature-256",
            github_signature(SECRET, "other body"),
        )],
        vec![("X-Gitlab-Token", "wrong".to_owned())],
    ];
    for headers in &refused {
        assert_eq!(post(addr, headers, body).await, 401, "{headers:?}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let in_force = handle
        .status
        .borrow()
        .snapshot
        .as_ref()
        .map(|s| s.commit.id.clone());
    assert_eq!(
        in_force.as_deref(),
        Some(first.as_str()),
        "a refused hook triggered a fetch"
    );

    let good = [("X-Hub-Signature-256", github_signature(SECRET, body))];
    assert_eq!(post(addr, &good, body).await, 202);
    let seen = tokio::time::timeout(
        Duration::from_secs(5),
        handle
            .status
            .wait_for(|s| s.snapshot.as_ref().is_some_and(|s| s.commit.id == second)),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(seen, "the GitHub-signed hook did not trigger a fetch");

    let third = repo.commit("third");
    assert_eq!(
        post(addr, &[("X-Gitlab-Token", SECRET.to_owned())], body).await,
        202
    );
    let seen = tokio::time::timeout(
        Duration::from_secs(5),
        handle
            .status
            .wait_for(|s| s.snapshot.as_ref().is_some_and(|s| s.commit.id == third)),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(seen, "the GitLab-token hook did not trigger a fetch");
    handle.task.abort();
    server.abort();
}
