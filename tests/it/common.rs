//! Shared fixtures: an in-process localkube with its kubeconfig, and the real `kubectl` pointed at it.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use localkube::{Config, LocalKube};
use tokio::io::AsyncBufReadExt;

pub struct Cluster {
    pub server: LocalKube,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

/// Panics with a message naming the missing tool: tests never skip because a tool is absent.
pub fn require_tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "`{name}` is not installed or not on PATH; run scripts/install-test-deps.sh (CI does) to install it"
    )
}

/// Logs of the code under test, when `TEST_LOG` is set (e.g. `TEST_LOG=gitcanary=debug`).
pub fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

impl Cluster {
    pub async fn start() -> Cluster {
        Self::start_with(Config {
            ready_delay: Duration::from_millis(200),
            ..Default::default()
        })
        .await
    }

    pub async fn start_with(config: Config) -> Cluster {
        init_logs();
        let server = LocalKube::start(config).await.expect("localkube starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        server
            .write_kubeconfig(&kubeconfig)
            .expect("kubeconfig written");
        Cluster {
            server,
            dir,
            kubeconfig,
        }
    }

    /// Runs the real kubectl against this cluster (asynchronously: the server shares the runtime).
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_stdin(args, None).await
    }

    pub async fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use tokio::io::AsyncWriteExt;
        let bin = require_tool("kubectl");
        let mut cmd = tokio::process::Command::new(bin);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .stdin(if stdin.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("kubectl runs");
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes()).await.expect("write stdin");
            drop(pipe);
        }
        child.wait_with_output().await.expect("kubectl finishes")
    }

    /// kubectl that must succeed; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            out.status.success(),
            "kubectl {} failed:\nstdout: {}\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl apply -f -` with the given YAML; must succeed. (Imperative `kubectl create configmap`
    /// and friends send protobuf bodies, which localkube does not decode.)
    pub async fn apply(&self, yaml: &str) -> String {
        let out = self.kubectl_stdin(&["apply", "-f", "-"], Some(yaml)).await;
        assert!(
            out.status.success(),
            "kubectl apply failed: {}\n{yaml}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts a long-running kubectl (e.g. `get --watch`) whose output lines can be awaited.
    pub fn spawn_kubectl(&self, args: &[&str]) -> Streaming {
        let mut cmd = tokio::process::Command::new(require_tool("kubectl"));
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("kubectl runs");
        let stdout = child.stdout.take().expect("stdout piped");
        Streaming {
            _child: child,
            lines: tokio::io::BufReader::new(stdout).lines(),
            seen: vec![],
        }
    }

    /// kubectl that must fail; returns stderr.
    pub async fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            !out.status.success(),
            "kubectl {} unexpectedly succeeded: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub async fn client(&self) -> kube::Client {
        client_from(&self.kubeconfig).await
    }

    /// Writes a kubeconfig that authenticates as the ServiceAccount `ns/name` (RBAC applies).
    pub fn service_account_kubeconfig(&self, ns: &str, name: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{ns}-{name}"));
        self.server
            .write_service_account_kubeconfig(&path, ns, name)
            .expect("service account kubeconfig written");
        path
    }
}

/// A kube client from a kubeconfig file.
pub async fn client_from(kubeconfig: &std::path::Path) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig parses");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kube config");
    kube::Client::try_from(cfg).expect("kube client")
}

/// A running kubectl whose stdout is read line by line.
pub struct Streaming {
    _child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    pub seen: Vec<String>,
}

impl Streaming {
    /// Reads lines until one satisfies `pred`; panics with everything seen after `timeout`.
    pub async fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Ok(_) => panic!("kubectl ended; printed {:?}", self.seen),
                Err(_) => panic!(
                    "no matching line within {timeout:?}; printed {:?}",
                    self.seen
                ),
            }
        }
    }
}

/// Path of a file under tests/fixtures.
pub fn fixture(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Polls `check` every 50 ms until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn configmap(name: &str, data: &[(&str, &str)]) -> String {
    let mut y = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    if !data.is_empty() {
        y.push_str("data:\n");
        for (k, v) in data {
            y.push_str(&format!("  {k}: \"{v}\"\n"));
        }
    }
    y
}
