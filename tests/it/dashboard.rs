//! The dashboard: its JSON API and buttons over HTTP, and the page itself in headless Chromium
//! following a canary live, against localkube, a real Git repository and the daemon.

use std::net::SocketAddr;
use std::time::Duration;

use gitcanary::daemon::{Daemon, DaemonConfig};
use gitcanary::source::credentials::Secret;
use gitcanary::web::DashboardConfig;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::common::{Cluster, eventually, fixture};
use crate::rollout_walkthrough::{rollout_manifest, wait_status, walkthrough_repo};
use crate::sync::{demo_spec, http_get, with_crds};

async fn start(
    c: &Cluster,
    repo: &crate::git_repo::TestRepo,
    cache: &std::path::Path,
    listen: &str,
    dashboard: DashboardConfig,
) -> Daemon {
    Daemon::start(
        c.client().await,
        DaemonConfig {
            sources: vec![demo_spec(repo, cache)],
            listen: listen.parse().expect("listen address"),
            webhook_secret: None,
            dashboard,
            mesh: None,
        },
    )
    .await
    .expect("daemon starts")
}

/// The daemon's loopback address (it may listen on 0.0.0.0).
fn local(d: &Daemon) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], d.addr.port()))
}

/// One HTTP request with extra headers; (status, body).
async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use http_body_util::BodyExt;
    let uri: http::Uri = url.parse().expect("url");
    let authority = uri.authority().expect("host").to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let mut req = http::Request::builder()
        .method(method)
        .uri(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req = req.header("host", &authority);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .expect("request");
    let resp = sender.send_request(req).await.expect("response");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn get_json(url: &str) -> Value {
    serde_json::from_str(&http_get(url).await).unwrap_or(Value::Null)
}

/// A yellow canary of the seed walk-through, paused at its first step (10%).
async fn paused_canary(c: &Cluster, repo: &crate::git_repo::TestRepo) {
    wait_status(c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    repo.write(
        "deploy/rollout.yaml",
        &rollout_manifest("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    wait_status(c, "paused at the first pause", 30, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_describes_a_paused_canary_and_its_buttons_promote_it() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start(
        &c,
        &repo,
        cache.path(),
        "127.0.0.1:0",
        DashboardConfig::default(),
    )
    .await;
    paused_canary(&c, &repo).await;
    let base = format!("http://{}", d.addr);

    let list = eventually(
        Duration::from_secs(10),
        "the rollout listed as paused",
        || async {
            let list = get_json(&format!("{base}/api/v1/rollouts")).await;
            (list["rollouts"][0]["step"] == "1/18").then_some(list)
        },
    )
    .await;
    let r = &list["rollouts"][0];
    assert_eq!(
        (
            &r["namespace"],
            &r["name"],
            &r["phase"],
            &r["setWeight"],
            &r["actualWeight"]
        ),
        (
            &json!("default"),
            &json!("istio-rollout"),
            &json!("Paused"),
            &json!(10),
            &json!(10)
        ),
        "{list}"
    );
    assert_eq!(
        r["canaryImages"],
        json!(["argoproj/rollouts-demo:yellow"]),
        "{list}"
    );
    assert_eq!(
        r["stableImages"],
        json!(["argoproj/rollouts-demo:blue"]),
        "{list}"
    );

    let detail = get_json(&format!("{base}/api/v1/rollouts/default/istio-rollout")).await;
    assert_eq!(
        detail["steps"].as_array().map(Vec::len),
        Some(18),
        "{detail}"
    );
    assert_eq!(detail["steps"][1]["state"], "current", "{detail}");
    assert_eq!(detail["steps"][0]["state"], "done", "{detail}");
    assert_eq!(detail["pause"]["reason"], "CanaryPauseStep", "{detail}");
    assert_eq!(
        detail["approve"]["trailer"], "Promote: default/istio-rollout",
        "{detail}"
    );
    assert_eq!(
        detail["actions"],
        json!({"promote": true, "promoteFull": true, "abort": true, "retry": false})
    );
    assert_eq!(detail["weights"]["canary"], 10, "{detail}");
    let routes = &detail["virtualServices"][0]["routes"][0]["destinations"];
    assert_eq!(
        (&routes[0]["weight"], &routes[1]["weight"]),
        (&json!(90), &json!(10)),
        "the live VirtualService: {detail}"
    );
    assert_eq!(
        detail["revisions"]
            .as_array()
            .map(|r| r.iter().map(|x| x["revision"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(2), json!(1)]),
        "{detail}"
    );
    let (status, body) = request(
        "GET",
        &format!("{base}/api/v1/rollouts/default/nope"),
        &[],
        "",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let info = get_json(&format!("{base}/api/v1/dashboard")).await;
    assert_eq!(info, json!({"actions": "open", "mesh": false}));

    // A request sent by a page of another site is refused, even on loopback.
    let promote = format!("{base}/api/v1/rollouts/default/istio-rollout/promote");
    let (status, body) =
        request("POST", &promote, &[("origin", "http://evil.example")], "{}").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = request("POST", &promote, &[("host", "evil.example:80")], "{}").await;
    assert_eq!(status, 403, "a rebound name is not loopback: {body}");
    let (status, _) = request(
        "POST",
        &format!("{base}/api/v1/rollouts/default/istio-rollout/promote-all"),
        &[],
        "{}",
    )
    .await;
    assert_eq!(status, 404);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        crate::rollout_walkthrough::rollout_status(&c).await["currentStepIndex"],
        1,
        "refused requests changed nothing"
    );

    // The button's request: the same annotation as `gitcanary promote`.
    let (status, body) = request("POST", &promote, &[], "{}").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("gitcanary.dev/promote=step"), "{body}");
    wait_status(&c, "promoted past the manual pause", 20, |s| {
        s["currentStepIndex"].as_i64().is_some_and(|i| i >= 2)
    })
    .await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_loopback_the_buttons_need_the_token() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    // No token: refused with a message that says how to enable them.
    let d = start(
        &c,
        &repo,
        cache.path(),
        "0.0.0.0:0",
        DashboardConfig::default(),
    )
    .await;
    wait_status(&c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    let base = format!("http://{}", local(&d));
    let promote = format!("{base}/api/v1/rollouts/default/istio-rollout/abort");
    let (status, body) = request("POST", &promote, &[], "{}").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--dashboard-token"), "{body}");
    let info = get_json(&format!("{base}/api/v1/dashboard")).await;
    assert_eq!(info["actions"], "refused", "{info}");
    let (status, _) = request("GET", &format!("{base}/api/v1/rollouts"), &[], "").await;
    assert_eq!(status, 200, "reading needs no token");
    d.stop().await;

    // With a token: only the right one is accepted.
    let d = start(
        &c,
        &repo,
        cache.path(),
        "0.0.0.0:0",
        DashboardConfig {
            token: Some(Secret::new("correct horse")),
            mesh_ui: None,
        },
    )
    .await;
    let base = format!("http://{}", local(&d));
    let retry = format!("{base}/api/v1/rollouts/default/istio-rollout/retry");
    let (status, body) = request("POST", &retry, &[], "{}").await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = request(
        "POST",
        &retry,
        &[("authorization", "Bearer correct horsE")],
        "{}",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        !body.contains("correct horse"),
        "the token never shows: {body}"
    );
    let (status, body) = request(
        "POST",
        &retry,
        &[("authorization", "Bearer correct horse")],
        "{}",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let info = get_json(&format!("{base}/api/v1/dashboard")).await;
    assert_eq!(info["actions"], "token", "{info}");
    d.stop().await;
}

/// Reads a DOM value on the page.
async fn text(browser: &Browser, selector: &str) -> String {
    browser
        .page
        .eval(&format!(
            "(document.querySelector({}) || {{}}).textContent || ''",
            json!(selector)
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_follows_a_canary_live_and_promotes_it() {
    let c = with_crds().await;
    let repo = walkthrough_repo();
    let cache = tempfile::tempdir().expect("cache");
    let d = start(
        &c,
        &repo,
        cache.path(),
        "127.0.0.1:0",
        DashboardConfig::default(),
    )
    .await;
    paused_canary(&c, &repo).await;
    let browser = Browser::launch(1400, 1000).await;
    let page = &browser.page;
    page.navigate(&format!("http://{}/", d.addr)).await;
    page.wait_for(
        Duration::from_secs(15),
        "the paused canary on the page",
        "document.querySelector('#rollout-step')?.textContent === '1/18'",
    )
    .await;
    assert_eq!(text(&browser, "#set-weight").await, "10%");
    assert_eq!(text(&browser, "#actual-weight").await, "10%");
    assert_eq!(text(&browser, "#steps li.current").await, "1pause");
    assert!(text(&browser, "#phase").await.contains("Paused"));
    assert!(
        text(&browser, "#canary-images")
            .await
            .contains("argoproj/rollouts-demo:yellow")
    );
    assert!(
        text(&browser, "#stable-images")
            .await
            .contains("argoproj/rollouts-demo:blue")
    );
    assert_eq!(
        text(&browser, "#approve-trailer").await,
        "Promote: default/istio-rollout"
    );
    let errors = page.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let sources = text(&browser, "#sources").await;
    assert!(
        sources.contains("demo") && sources.contains("yellow") && sources.contains("Synced"),
        "{sources}"
    );
    assert_eq!(
        page.eval("document.querySelector('button[data-action=promote]').disabled")
            .await,
        json!(false)
    );
    assert_eq!(
        page.eval("document.querySelector('button[data-action=retry]').disabled")
            .await,
        json!(true)
    );

    // A promotion (the button) moves the page on by itself: no reload, the marker survives.
    page.eval("window.__sameDocument = true").await;
    page.eval("document.querySelector('button[data-action=promote]').click()")
        .await;
    page.wait_for(
        Duration::from_secs(30),
        "the step past the pause on the page",
        "parseInt((document.querySelector('#rollout-step')?.textContent || '0').split('/')[0]) >= 2",
    )
    .await;
    assert_eq!(
        page.eval("window.__sameDocument === true").await,
        json!(true),
        "the page was not reloaded"
    );
    assert!(
        text(&browser, "#action-status")
            .await
            .contains("Promote requested")
    );
    // A Promote commit is not needed any more; the timed pauses run out and the page follows to the end.
    page.wait_for(
        Duration::from_secs(60),
        "Healthy at 18/18 on the page",
        "document.querySelector('#rollout-step')?.textContent === '18/18' && document.querySelector('#phase')?.textContent === 'Healthy'",
    )
    .await;
    assert_eq!(text(&browser, "#actual-weight").await, "100%");
    let errors = page.errors();
    assert!(
        errors.is_empty(),
        "console errors: {errors:#?}\n{}",
        browser.log()
    );
    drop(browser);
    d.stop().await;
}

/// The seed's second walk-through in a repository: the Rollout with background analysis and the
/// success-rate template against `prometheus`, pauses shortened.
fn analysis_repo(prometheus: &str) -> crate::git_repo::TestRepo {
    let repo = crate::git_repo::TestRepo::new();
    for f in [
        "service.yaml",
        "istio-rollout-gateway.yaml",
        "istio-rollout-vsvc.yaml",
    ] {
        repo.write(
            &format!("deploy/{f}"),
            &std::fs::read_to_string(fixture(&format!("seed/{f}"))).expect("seed file"),
        );
    }
    let template = std::fs::read_to_string(fixture("seed/istio-success-rate.yaml"))
        .expect("template")
        .replace(
            "http://<your-prometheus-endpoint>:9090/api/v1/prometheus/",
            prometheus,
        )
        .replace("initialDelay: 60s", "initialDelay: 5s")
        .replace("interval: 20s", "interval: 2s");
    repo.write("deploy/istio-success-rate.yaml", &template);
    repo.write(
        "deploy/rollout.yaml",
        &analysis_rollout("argoproj/rollouts-demo:blue"),
    );
    repo.commit("blue, judged by Prometheus");
    repo
}

fn analysis_rollout(image: &str) -> String {
    std::fs::read_to_string(fixture("seed/rollout-with-analysis.yaml"))
        .expect("rollout")
        .replace("argoproj/rollouts-demo:yellow", image)
        .replace("value: canary", "value: istio-rollout-canary")
        .replace("{duration: 20s}", "{duration: 1s}")
}

/// The demo's view mid-rollout: the canary paused at 10% and judged by a real Prometheus scraping
/// meshsim, the colour grid and the canary's error-rate slider. `UPDATE_SCREENSHOT=1` writes the
/// picture to docs/dashboard.png; otherwise the same page is checked and the picture only taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshot() {
    let c = with_crds().await;
    let mesh = ::meshsim::Meshsim::start(c.client().await, ::meshsim::Config::default())
        .await
        .expect("meshsim starts");
    let prometheus = crate::prometheus::Prometheus::start(&[mesh.addr()]).await;
    let repo = analysis_repo(&prometheus.address());
    let cache = tempfile::tempdir().expect("cache");
    let mesh_ui = url::Url::parse(&format!("{}/", mesh.url())).expect("meshsim URL");
    let d = start(
        &c,
        &repo,
        cache.path(),
        "127.0.0.1:0",
        DashboardConfig {
            token: None,
            mesh_ui: Some(mesh_ui),
        },
    )
    .await;
    wait_status(&c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    repo.write(
        "deploy/rollout.yaml",
        &analysis_rollout("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("Ship yellow");
    wait_status(&c, "paused at the first pause", 30, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    let browser = Browser::launch(1400, 900).await;
    let page = &browser.page;
    page.navigate(&format!("http://{}/#/default/istio-rollout", d.addr))
        .await;
    page.wait_for(
        Duration::from_secs(15),
        "the paused canary on the page",
        "document.querySelector('#rollout-step')?.textContent === '1/18'",
    )
    .await;
    // The background analysis measures the canary's success rate; the page shows each value.
    let values = page
        .wait_for(
            Duration::from_secs(60),
            "three successful measurements on the page",
            "(() => { const m = [...document.querySelectorAll('#analysis .meas.Successful')].map(x => x.textContent); \
               return m.length >= 3 ? m : null; })()",
        )
        .await;
    assert!(
        values
            .as_array()
            .into_iter()
            .flatten()
            .all(|v| v.as_str().is_some_and(|v| v.starts_with("✔ ["))),
        "measurement values: {values}"
    );
    assert!(text(&browser, "#analysis").await.contains("success-rate"));
    // The grid fills with answers from both versions.
    page.wait_for(
        Duration::from_secs(20),
        "blue and yellow answers in the grid",
        "(() => { const c = [...document.querySelectorAll('#grid .cell')].map(x => x.style.backgroundColor); \
           return c.filter(Boolean).length === c.length && c.includes('blue') && c.includes('yellow'); })()",
    )
    .await;
    page.wait_for(
        Duration::from_secs(10),
        "the slider enabled for the canary",
        "!document.querySelector('#error-rate').disabled && document.querySelector('#error-rate').dataset.image === 'argoproj/rollouts-demo:yellow'",
    )
    .await;
    let errors = page.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let png = page.screenshot().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert_eq!(width, 1400, "the whole page's width");
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/dashboard.png");
        std::fs::write(path, &png).expect("writing docs/dashboard.png");
    }

    // The slider sets the canary's error rate in meshsim, through the daemon; failures show up.
    page.eval(
        "(() => { const s = document.querySelector('#error-rate'); s.value = '40'; \
           s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); })()",
    )
    .await;
    eventually(
        Duration::from_secs(10),
        "meshsim's error rate set",
        || async {
            mesh.error_rates()
                .iter()
                .any(|r| r.image == "argoproj/rollouts-demo:yellow" && (r.rate - 0.4).abs() < 1e-9)
                .then_some(())
        },
    )
    .await;
    page.wait_for(
        Duration::from_secs(20),
        "failed canary answers in the grid",
        "document.querySelectorAll('#grid .cell.error').length > 0",
    )
    .await;
    let errors = page.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    drop(browser);
    d.stop().await;
    mesh.shutdown().await;
    prometheus.stop().await;
}
