//! Headless Chromium driven over the Chrome DevTools Protocol: launch it with a fresh profile,
//! attach to its page, evaluate JavaScript, collect console errors and exceptions, take
//! screenshots. Chromium is Debian's `chromium` package; without it the tests fail and say so.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::common::eventually;
use crate::websocket;

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct Browser {
    child: tokio::process::Child,
    profile: tempfile::TempDir,
    pub page: Page,
}

pub struct Page {
    writer: tokio::sync::Mutex<websocket::Writer>,
    next_id: AtomicU64,
    pending: Pending,
    errors: Arc<Mutex<Vec<String>>>,
    reader: tokio::task::JoinHandle<()>,
}

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser"] {
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!(
        "Chromium is not installed: the dashboard tests need Debian's `chromium` package \
         (apt-get install chromium; scripts/install-test-deps.sh installs it)"
    )
}

impl Browser {
    /// A headless Chromium with an empty profile, its window `width`×`height`, on `about:blank`.
    pub async fn launch(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let log = std::fs::File::create(profile.path().join("chromium.log")).expect("log file");
        let mut cmd = tokio::process::Command::new(chromium());
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--remote-debugging-port=0",
            &format!("--window-size={width},{height}"),
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("data").display()
        ))
        .arg("about:blank")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .process_group(0)
        .kill_on_drop(true);
        let child = cmd.spawn().expect("chromium starts");
        let port_file = profile.path().join("data/DevToolsActivePort");
        let log_path = profile.path().join("chromium.log");
        let port = {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(port) = std::fs::read_to_string(&port_file)
                    .ok()
                    .and_then(|t| t.lines().next().map(str::to_string))
                    .filter(|p| !p.is_empty())
                {
                    break port;
                }
                if tokio::time::Instant::now() > deadline {
                    panic!(
                        "Chromium did not open its DevTools port within 30s:\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let targets: Value = eventually(Duration::from_secs(10), "the page target", || async {
            let body =
                crate::sync::try_http_get(&format!("http://127.0.0.1:{port}/json/list")).await?;
            let list: Value = serde_json::from_str(&body).ok()?;
            list.as_array()?
                .iter()
                .any(|t| t["type"] == "page")
                .then_some(list)
        })
        .await;
        let ws_url = targets
            .as_array()
            .and_then(|l| l.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("the page's DevTools URL")
            .to_string();
        let page = Page::attach(&ws_url).await;
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            page.call(domain, json!({})).await;
        }
        Browser {
            child,
            profile,
            page,
        }
    }

    /// Chromium's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromium.log")).unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.page.reader.abort();
        // Chromium's renderer and helper processes share its process group (it leads it).
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// A console message, exception or log entry at error level, as one line.
fn error_of(event: &Value) -> Option<String> {
    let params = &event["params"];
    match event["method"].as_str()? {
        "Runtime.consoleAPICalled"
            if matches!(params["type"].as_str(), Some("error" | "assert")) =>
        {
            let args: Vec<String> = params["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    a["value"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| a["description"].as_str().unwrap_or("?").to_string())
                })
                .collect();
            Some(format!("console.error: {}", args.join(" ")))
        }
        "Runtime.exceptionThrown" => {
            let d = &params["exceptionDetails"];
            Some(format!(
                "exception: {} {}",
                d["text"].as_str().unwrap_or(""),
                d["exception"]["description"].as_str().unwrap_or("")
            ))
        }
        "Log.entryAdded" if params["entry"]["level"] == "error" => Some(format!(
            "log: {} ({})",
            params["entry"]["text"].as_str().unwrap_or(""),
            params["entry"]["url"].as_str().unwrap_or("")
        )),
        _ => None,
    }
}

impl Page {
    async fn attach(ws_url: &str) -> Page {
        let (mut reader, writer) = websocket::connect(ws_url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {ws_url}: {e}"));
        let pending: Pending = Arc::default();
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let (p, e) = (pending.clone(), errors.clone());
        let reader = tokio::spawn(async move {
            while let Ok(text) = reader.next_text().await {
                let Ok(msg) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = msg["id"].as_u64() {
                    if let Some(tx) = p.lock().expect("pending").remove(&id) {
                        let _ = tx.send(msg);
                    }
                } else if let Some(line) = error_of(&msg) {
                    e.lock().expect("errors").push(line);
                }
            }
        });
        Page {
            writer: tokio::sync::Mutex::new(writer),
            next_id: AtomicU64::new(1),
            pending,
            errors,
            reader,
        }
    }

    /// One CDP command; panics with the protocol's error.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, tx);
        let text = json!({"id": id, "method": method, "params": params}).to_string();
        self.writer
            .lock()
            .await
            .send_text(&text)
            .await
            .unwrap_or_else(|e| panic!("sending {method}: {e}"));
        let answer = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .unwrap_or_else(|_| panic!("{method}: no answer within 30s"))
            .unwrap_or_else(|_| panic!("{method}: the DevTools connection closed"));
        if let Some(error) = answer.get("error") {
            panic!("{method} failed: {error}");
        }
        answer["result"].clone()
    }

    /// Evaluates `expression` (awaiting a promise) and returns its value; panics on an exception.
    pub async fn eval(&self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        if let Some(details) = result.get("exceptionDetails") {
            panic!("evaluating {expression}: {details}");
        }
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it returns something other than null/undefined/false.
    pub async fn wait_for(&self, timeout: Duration, what: &str, expression: &str) -> Value {
        eventually(timeout, what, || async {
            let v = self.eval(expression).await;
            (!v.is_null() && v != Value::Bool(false)).then_some(v)
        })
        .await
    }

    pub async fn navigate(&self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
        self.wait_for(
            Duration::from_secs(20),
            "the page loaded",
            &format!(
                "location.href === {} && document.readyState === 'complete'",
                json!(url)
            ),
        )
        .await;
    }

    /// Console errors, uncaught exceptions and error log entries seen so far.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().expect("errors").clone()
    }

    /// A PNG of the whole page.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true, "clip": {
                    "x": 0, "y": 0, "scale": 1,
                    "width": size["width"].as_f64().unwrap_or(1280.0),
                    "height": size["height"].as_f64().unwrap_or(800.0),
                }}),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("screenshot is base64")
    }
}
