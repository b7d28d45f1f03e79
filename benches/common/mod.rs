//! Shared by the sync and rollout benchmarks.
//!
//! - localkube runs in a child process (this same bench binary, re-executed with
//!   `GITCANARY_BENCH_LOCALKUBE` set), and the daemon in another (`gitcanary run`), so the CPU and
//!   memory of each are read apart from /proc;
//! - API requests are counted by localkube itself: one no-op fault rule per (verb[, resource]) with a
//!   huge `times` budget, which localkube decrements on every matching request; reading the rules back
//!   (`GET /localkube/faults`) gives the counts. Only resource requests are counted (discovery and
//!   `/openapi` are not). Writes are the store's resourceVersion counter, read as a list's
//!   `metadata.resourceVersion` (dry runs do not move it);
//! - sizes come from environment variables, with the sizes as defaults.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};
use serde_json::{Value, json};

/// Environment variable that turns the bench binary into a localkube server.
const CHILD_ENV: &str = "GITCANARY_BENCH_LOCALKUBE";

/// A size from the environment, or its default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

pub fn env_u64(name: &str, default: u64) -> u64 {
    env_usize(name, default as usize) as u64
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"))
}

// ---------------------------------------------------------------------------------------------
// localkube as a child process

#[derive(Clone, Debug)]
pub struct LocalkubeOpts {
    /// The ReplicaSet/Deployment/Pod simulator and the garbage collector.
    pub controllers: bool,
    /// The argoproj.io and Istio CRDs (`gitcanary localkube --install-crds`).
    pub crds: bool,
    pub ready_delay: Duration,
}

/// Call first thing in `main`: in the child, serves localkube until stdin closes, then exits.
pub fn serve_localkube_if_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
    for kv in spec.split(';') {
        if let Some((k, v)) = kv.split_once('=') {
            fields.insert(k, v);
        }
    }
    let kubeconfig = PathBuf::from(fields.get("kubeconfig").copied().unwrap_or("kubeconfig"));
    let crds = if fields.get("crds") == Some(&"1") {
        gitcanary::cli::crds::bundled().unwrap_or_else(|e| panic!("bundled CRDs: {e}"))
    } else {
        vec![]
    };
    let config = localkube::Config {
        controllers: fields.get("controllers") == Some(&"1"),
        ready_delay: Duration::from_millis(
            fields
                .get("ready_ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(100),
        ),
        crds,
        ..Default::default()
    };
    let rt = runtime();
    rt.block_on(async move {
        let server = localkube::LocalKube::start(config)
            .await
            .unwrap_or_else(|e| panic!("localkube: {e}"));
        server
            .write_kubeconfig(&kubeconfig)
            .unwrap_or_else(|e| panic!("kubeconfig: {e}"));
        println!("READY");
        let _ = std::io::stdout().flush();
        // The parent holds our stdin; when it goes away (even by a panic), so do we.
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await;
        drop(server);
    });
    std::process::exit(0);
}

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Child {
    pub child: std::process::Child,
    pub pid: u32,
    pub log: PathBuf,
}

impl Child {
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Localkube {
    pub proc: Child,
    pub kubeconfig: PathBuf,
}

impl Localkube {
    pub fn start(opts: &LocalkubeOpts, dir: &Path) -> Localkube {
        let kubeconfig = dir.join("kubeconfig");
        let log = dir.join("localkube.log");
        let spec = format!(
            "kubeconfig={};controllers={};crds={};ready_ms={}",
            kubeconfig.display(),
            u8::from(opts.controllers),
            u8::from(opts.crds),
            opts.ready_delay.as_millis()
        );
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current exe: {e}"));
        let mut child = Command::new(exe)
            .env(CHILD_ENV, spec)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(file(&log))
            .spawn()
            .unwrap_or_else(|e| panic!("starting localkube: {e}"));
        let pid = child.id();
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let proc = Child { child, pid, log };
        assert!(
            line.trim() == "READY",
            "localkube did not start: {:?}\n{}",
            line,
            proc.log_tail()
        );
        Localkube { proc, kubeconfig }
    }
}

fn file(path: &Path) -> std::fs::File {
    std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub async fn client(kubeconfig: &Path) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).unwrap_or_else(|e| panic!("{e}"));
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    kube::Client::try_from(cfg).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------------
// The daemon as a child process

pub struct DaemonProc {
    pub proc: Child,
    /// `http://127.0.0.1:PORT` of probes, metrics and the JSON API.
    pub url: String,
}

impl DaemonProc {
    /// `gitcanary run` following `repo` (path `deploy`, branch main), file watching on, periodic
    /// fetch and resync every hour (so only commits and drift start passes).
    pub fn start(kubeconfig: &Path, repo: &Path, dir: &Path, name: &str) -> DaemonProc {
        let log = dir.join(format!("daemon-{name}.log"));
        let cache = dir.join(format!("cache-{name}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitcanary"))
            .args(["--kubeconfig", &kubeconfig.display().to_string()])
            .args(["-n", "default", "run", "--name", name])
            .args(["--repo", &repo.display().to_string()])
            .args(["--path", "deploy", "--interval", "1h"])
            .args(["--cache-dir", &cache.display().to_string()])
            .args(["--listen", "127.0.0.1:0"])
            .env("GITCANARY_LOG", "info")
            .envs(extra_env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file(&log))
            .spawn()
            .unwrap_or_else(|e| panic!("starting gitcanary run: {e}"));
        let pid = child.id();
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let proc = Child { child, pid, log };
        let url = line
            .trim()
            .strip_prefix("gitcanary listening on ")
            .map(str::to_string)
            .unwrap_or_else(|| panic!("daemon did not start: {line:?}\n{}", proc.log_tail()));
        DaemonProc { proc, url }
    }

    /// The value of one metric line (name with labels, as printed), if present.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = http_get(&format!("{}/metrics", self.url)).await;
        text.lines().find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
    }

    /// Sync passes finished (success or failure) for source `name`.
    pub async fn passes(&self, name: &str) -> u64 {
        let mut n = 0.0;
        for result in ["success", "failure"] {
            n += self
                .metric(&format!(
                    "gitcanary_sync_results_total{{source=\"{name}\",result=\"{result}\"}}"
                ))
                .await
                .unwrap_or(0.0);
        }
        n as u64
    }
}

/// `GITCANARY_BENCH_DAEMON_ENV="K=V,K2=V2"`: extra environment for the daemon (e.g. allocator
/// settings, for experiments).
fn extra_env() -> Vec<(String, String)> {
    std::env::var("GITCANARY_BENCH_DAEMON_ENV")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Minimal HTTP/1.1 GET over loopback (the daemon's API is plain HTTP); returns the body.
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let Ok(mut s) = tokio::net::TcpStream::connect(host).await else {
        return String::new();
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or(("", ""));
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Request and write counters

const BUDGET: u64 = 1 << 50;
pub const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Counts API requests per verb (and per verb and resource for the pairs asked for).
pub struct Counters {
    client: kube::Client,
    keys: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// The store's resourceVersion: one per write.
    pub rv: u64,
    pub counts: BTreeMap<String, u64>,
}

/// What happened between two readings.
#[derive(Clone, Debug, Default)]
pub struct Delta {
    pub writes: u64,
    pub counts: BTreeMap<String, u64>,
}

impl Delta {
    /// All requests (sum over verbs).
    pub fn requests(&self) -> u64 {
        VERBS.iter().map(|v| self.get(v)).sum()
    }

    pub fn get(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// `verb N, verb N, …` for the verbs that occurred.
    pub fn by_verb(&self) -> String {
        VERBS
            .iter()
            .filter(|v| self.get(v) > 0)
            .map(|v| format!("{v} {}", self.get(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Per-(verb, resource) counts that occurred, divided by `per`.
    pub fn by_resource(&self, per: f64) -> String {
        self.counts
            .iter()
            .filter(|(k, n)| k.contains(' ') && **n > 0)
            .map(|(k, n)| format!("{k} {:.2}", *n as f64 / per))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn localkube_request(
    client: &kube::Client,
    method: &str,
    body: Option<Value>,
) -> Result<String, kube::Error> {
    let builder = http::Request::builder()
        .method(method)
        .uri("/localkube/faults")
        .header("content-type", "application/json");
    let req = builder
        .body(body.map(|b| b.to_string().into_bytes()).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    client.request_text(req).await
}

impl Counters {
    /// Installs the counting rules (and clears any other rule). `pairs`: (verb, resource plural).
    pub async fn install(client: &kube::Client, pairs: &[(&str, &str)]) -> Counters {
        localkube_request(client, "DELETE", None)
            .await
            .unwrap_or_else(|e| panic!("clearing fault rules: {e}"));
        let mut keys = vec![];
        for v in VERBS {
            keys.push(v.to_string());
            localkube_request(client, "POST", Some(json!({"verb": v, "times": BUDGET})))
                .await
                .unwrap_or_else(|e| panic!("adding a counting rule: {e}"));
        }
        for (v, r) in pairs {
            keys.push(format!("{v} {r}"));
            localkube_request(
                client,
                "POST",
                Some(json!({"verb": v, "resource": r, "times": BUDGET})),
            )
            .await
            .unwrap_or_else(|e| panic!("adding a counting rule: {e}"));
        }
        Counters {
            client: client.clone(),
            keys,
        }
    }

    /// Reads the counters and the resourceVersion (the read costs one `list namespaces`, which
    /// [`Reading::since`] takes off).
    pub async fn read(&self) -> Reading {
        let list = Api::<Namespace>::all(self.client.clone())
            .list_metadata(&ListParams::default().limit(1))
            .await
            .unwrap_or_else(|e| panic!("reading the resourceVersion: {e}"));
        let rv = list
            .metadata
            .resource_version
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let text = localkube_request(&self.client, "GET", None)
            .await
            .unwrap_or_else(|e| panic!("reading the counting rules: {e}"));
        let rules: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
        let counts = self
            .keys
            .iter()
            .zip(rules.iter())
            .map(|(k, r)| {
                let left = r["times"].as_u64().unwrap_or(BUDGET);
                (k.clone(), BUDGET - left)
            })
            .collect();
        Reading { rv, counts }
    }
}

impl Reading {
    /// What happened since `earlier`, without the counters' own `list namespaces`.
    pub fn since(&self, earlier: &Reading) -> Delta {
        let mut counts: BTreeMap<String, u64> = self
            .counts
            .iter()
            .map(|(k, v)| (k.clone(), v - earlier.counts.get(k).copied().unwrap_or(0)))
            .collect();
        for key in ["list", "list namespaces"] {
            if let Some(n) = counts.get_mut(key) {
                *n = n.saturating_sub(1);
            }
        }
        Delta {
            writes: self.rv.saturating_sub(earlier.rv),
            counts,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Heap of this process: a counting allocator (live and peak bytes), for the in-process parts. Off
// unless GITCANARY_BENCH_HEAP=1: the counting costs ~15% CPU on allocation-heavy paths.

pub struct CountingAlloc;

static HEAP_ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns heap accounting on when GITCANARY_BENCH_HEAP=1; says whether it is on.
pub fn heap_accounting() -> bool {
    let on = std::env::var("GITCANARY_BENCH_HEAP").is_ok_and(|v| v == "1");
    HEAP_ON.store(on, std::sync::atomic::Ordering::Relaxed);
    on
}

static HEAP_NOW: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HEAP_PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: same contract as the caller's.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() && HEAP_ON.load(Relaxed) {
            let now = HEAP_NOW.fetch_add(layout.size(), Relaxed) + layout.size();
            HEAP_PEAK.fetch_max(now, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.dealloc(ptr, layout) };
        if HEAP_ON.load(std::sync::atomic::Ordering::Relaxed) {
            HEAP_NOW.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: same contract as the caller's.
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if !p.is_null() && HEAP_ON.load(Relaxed) {
            HEAP_NOW.fetch_sub(layout.size(), Relaxed);
            let now = HEAP_NOW.fetch_add(new_size, Relaxed) + new_size;
            HEAP_PEAK.fetch_max(now, Relaxed);
        }
        p
    }
}

/// Live heap bytes of this process, in MiB.
pub fn heap_mib() -> f64 {
    HEAP_NOW.load(std::sync::atomic::Ordering::Relaxed) as f64 / (1024.0 * 1024.0)
}

/// Peak live heap since the last reset, in MiB; resets it to the current value.
pub fn heap_peak_mib_reset() -> f64 {
    use std::sync::atomic::Ordering::Relaxed;
    let peak = HEAP_PEAK.swap(HEAP_NOW.load(Relaxed), Relaxed);
    peak as f64 / (1024.0 * 1024.0)
}

// ---------------------------------------------------------------------------------------------
// CPU and memory from /proc

/// CPU time of a process with nanosecond precision: the sum of its live threads' run time
/// (`/proc/PID/task/*/schedstat`). Threads that exited are missing: use [`cpu_ticks`] over long
/// windows.
pub fn cpu_precise(pid: u32) -> Duration {
    let mut ns: u64 = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                ns += s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(ns)
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100)
    })
}

/// utime + stime of a process (every thread, exited ones included), at clock-tick resolution.
pub fn cpu_ticks(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14, stime field 15.
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let total = ticks(11) + ticks(12);
    Duration::from_micros(total * 1_000_000 / clock_ticks_per_second())
}

/// (VmRSS, VmHWM) in MiB.
pub fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU readings of several processes at once, for deltas.
pub struct CpuMark {
    at: Instant,
    values: Vec<(u32, Duration, Duration)>,
}

impl CpuMark {
    pub fn take(pids: &[u32]) -> CpuMark {
        CpuMark {
            at: Instant::now(),
            values: pids
                .iter()
                .map(|&p| (p, cpu_precise(p), cpu_ticks(p)))
                .collect(),
        }
    }

    /// (wall, per pid: precise CPU, tick CPU) since this mark.
    pub fn since(&self) -> (Duration, Vec<(Duration, Duration)>) {
        let wall = self.at.elapsed();
        let v = self
            .values
            .iter()
            .map(|&(p, precise, ticks)| {
                (
                    cpu_precise(p).saturating_sub(precise),
                    cpu_ticks(p).saturating_sub(ticks),
                )
            })
            .collect();
        (wall, v)
    }
}

// ---------------------------------------------------------------------------------------------
// Figures

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of unsorted samples.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut s = samples.to_vec();
    s.sort();
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// `p50 … p99 … max … (n)`.
pub fn dist(samples: &[Duration]) -> String {
    format!(
        "p50 {:>8.1} ms  p90 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms  (n={})",
        ms(percentile(samples, 50.0)),
        ms(percentile(samples, 90.0)),
        ms(percentile(samples, 99.0)),
        ms(percentile(samples, 100.0)),
        samples.len()
    )
}

/// One result line: figure, and its target and ratio when it has one (ratio > 1 misses it).
pub fn line(what: &str, value: f64, unit: &str, target: Option<f64>) {
    match target {
        Some(t) => println!(
            "{what:<52} {value:>10.1} {unit:<4} target < {t:>6.0} {unit:<4} ratio {:.2} {}",
            value / t,
            if value < t { "(met)" } else { "(MISSED)" }
        ),
        None => println!("{what:<52} {value:>10.1} {unit}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Git

/// Runs `git` in `dir`, isolated from the user's configuration; panics naming the package if missing.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}; is the Debian package `git` installed?"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn write(repo: &Path, rel: &str, text: &str) {
    let path = repo.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

pub fn init_repo(repo: &Path) {
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["config", "commit.gpgsign", "false"]);
}
