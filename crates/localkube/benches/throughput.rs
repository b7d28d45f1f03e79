//! localkube throughput benchmark: with 5,000 stored ConfigMaps, how many writes per second the server
//! takes, how long a write takes to reach 50 concurrent watchers, and how much memory the server needs.
//!
//! Run: `cargo bench -p localkube --bench throughput` (or build with `--no-run` and run the binary).
//!
//! Set-up, chosen so the figures are the server's own:
//! - The server runs in a child process (this binary re-executed with `LOCALKUBE_BENCH_ROLE=server`), a
//!   plain `LocalKube::start(Config::default())`, controllers included, as tests and the demo run it. Its
//!   peak RSS is the child's `VmHWM`, and its CPU time is read from `/proc/<pid>/stat`.
//! - The clients (writers and watchers) run in this process and speak real HTTPS to it with kube-rs, each
//!   writer and each watcher with its own `kube::Client` (its own TLS connection, as separate controllers
//!   would have). Client and server share the machine's cores; the CPU columns show who used what.
//!
//! Phases: (1) preload the ConfigMaps with concurrent creates; (2) merge patches of existing objects by N
//! concurrent writers, each with one request in flight; (3) 50 watchers on all ConfigMaps while patches
//! are sent at a fixed rate (200/s), each stamped (an annotation) with its send time in nanoseconds since
//! an `Instant` of this process, and each watcher recording when the event reached it; (4) the same at the
//! target write rate (2,000/s, so 100,000 deliveries/s).
//!
//! Timings are reported, never asserted. Knobs (environment): `BENCH_OBJECTS` (5000), `BENCH_SECS` (5 per
//! timed phase), `BENCH_WATCHERS` (50), `BENCH_RATES` ("200,2000" writes/s with watchers), `BENCH_WRITERS`
//! ("16,64" in flight without watchers). For experiments, the server child also reads `BENCH_EVENT_LOG`
//! (`Config::event_log_capacity`) and `BENCH_CONTROLLERS` (`Config::controllers`), and
//! `BENCH_SERVER_WRAPPER` runs the server under a tool, e.g. `valgrind --tool=callgrind` (timings are then
//! meaningless, but instruction counts per request are independent of what else runs on the machine).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::Client;
use kube::api::{
    Api, ListParams, ObjectMeta, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use serde_json::{Value, json};
use tokio::sync::Barrier;

const ROLE_ENV: &str = "LOCALKUBE_BENCH_ROLE";
const NAMESPACES: usize = 5;
const STAMP: &str = "bench.gitcanary.dev/sent-ns";
const TARGET_WRITES_PER_SEC: f64 = 2000.0;
const TARGET_P99_MS: f64 = 10.0;
const TARGET_RSS_MB: f64 = 200.0;
/// `getconf CLK_TCK` on Linux: the unit of utime/stime in /proc/<pid>/stat.
const TICKS_PER_SEC: f64 = 100.0;

fn main() {
    if std::env::var(ROLE_ENV).as_deref() == Ok("server") {
        serve();
        return;
    }
    let knobs = Knobs::from_env();
    let mut server = ServerProcess::spawn();
    let rt = tokio::runtime::Runtime::new().expect("client runtime");
    let report = rt.block_on(run(&knobs, &server));
    drop(rt);
    server.stop();
    report.print(&knobs);
}

struct Knobs {
    objects: usize,
    secs: f64,
    watchers: usize,
    rates: Vec<u64>,
    writers: Vec<usize>,
}

impl Knobs {
    fn from_env() -> Knobs {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
            match std::env::var(name) {
                Ok(v) => v
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={v} is not a valid number")),
                Err(_) => default,
            }
        }
        fn list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
            std::env::var(name)
                .unwrap_or_else(|_| default.into())
                .split(',')
                .filter(|w| !w.trim().is_empty())
                .map(|w| {
                    w.trim()
                        .parse()
                        .unwrap_or_else(|_| panic!("{name}: {w:?} is not a number"))
                })
                .collect()
        }
        Knobs {
            objects: var("BENCH_OBJECTS", 5000),
            secs: var("BENCH_SECS", 5.0),
            watchers: var("BENCH_WATCHERS", 50),
            rates: list("BENCH_RATES", "200,2000"),
            writers: list("BENCH_WRITERS", "16,64"),
        }
    }

    fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.secs)
    }
}

// ---------------------------------------------------------------------------------------------------------
// The server child.

/// Child side: start localkube, print its kubeconfig as one JSON line, serve until stdin closes.
fn serve() {
    let rt = tokio::runtime::Runtime::new().expect("server runtime");
    rt.block_on(async {
        let mut config = localkube::Config::default();
        if let Ok(v) = std::env::var("BENCH_EVENT_LOG") {
            config.event_log_capacity = v.parse().expect("BENCH_EVENT_LOG is a number");
        }
        if let Ok(v) = std::env::var("BENCH_CONTROLLERS") {
            config.controllers = v.parse().expect("BENCH_CONTROLLERS is true or false");
        }
        let server = localkube::LocalKube::start(config)
            .await
            .expect("localkube starts");
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", server.kubeconfig()).expect("kubeconfig written to stdout");
            out.flush().expect("stdout flushed");
        }
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
                line.clear();
            }
        })
        .await
        .expect("stdin reader");
        server.shutdown().await;
    });
}

struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    kubeconfig: Value,
}

impl ServerProcess {
    fn spawn() -> ServerProcess {
        let exe = std::env::current_exe().expect("path of this benchmark binary");
        // e.g. BENCH_SERVER_WRAPPER="valgrind --tool=callgrind" profiles the server alone.
        let wrapper = std::env::var("BENCH_SERVER_WRAPPER").unwrap_or_default();
        let mut argv: Vec<std::ffi::OsString> =
            wrapper.split_whitespace().map(Into::into).collect();
        argv.push(exe.into());
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .env(ROLE_ENV, "server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server child process starts");
        let stdout = child.stdout.take().expect("child stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("kubeconfig line from the server child");
        let kubeconfig =
            serde_json::from_str(&line).expect("server child prints a JSON kubeconfig");
        ServerProcess {
            stdin: child.stdin.take(),
            child,
            kubeconfig,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// A field of /proc/<pid>/status in kB (VmRSS, VmHWM).
fn status_kb(pid: u32, field: &str) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    let rest = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks as f64 / TICKS_PER_SEC
}

/// Busy CPU time of the whole machine (all cores, every process), in seconds, from /proc/stat.
fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let line = stat.lines().next().expect("/proc/stat has a cpu line");
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().expect("/proc/stat field"))
        .collect();
    // user nice system idle iowait irq softirq steal ...; guest time is already in user.
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v.get(7).copied().unwrap_or(0);
    busy as f64 / TICKS_PER_SEC
}

/// Time the threads of a process spent runnable but waiting for a CPU, in seconds (the second field of
/// /proc/<pid>/task/<tid>/schedstat, summed over the live threads).
fn run_queue_wait_secs(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e9
}

/// CPU use over a timed window: the server child, this (client) process, and everything else on the
/// machine (other builds share these cores and skew the figures; this says by how much).
struct CpuWindow {
    server_pid: u32,
    at_start: Cpu,
}

#[derive(Clone, Copy, Default)]
struct Cpu {
    server: f64,
    client: f64,
    machine: f64,
    server_wait: f64,
}

impl Cpu {
    fn now(server_pid: u32) -> Cpu {
        Cpu {
            server: cpu_secs(server_pid),
            client: cpu_secs(std::process::id()),
            machine: machine_busy_secs(),
            server_wait: run_queue_wait_secs(server_pid),
        }
    }

    /// CPU used by processes other than the server and the client.
    fn others(&self) -> f64 {
        (self.machine - self.server - self.client).max(0.0)
    }
}

impl CpuWindow {
    fn start(server_pid: u32) -> CpuWindow {
        CpuWindow {
            server_pid,
            at_start: Cpu::now(server_pid),
        }
    }

    fn stop(&self) -> Cpu {
        let end = Cpu::now(self.server_pid);
        Cpu {
            server: end.server - self.at_start.server,
            client: end.client - self.at_start.client,
            machine: end.machine - self.at_start.machine,
            server_wait: end.server_wait - self.at_start.server_wait,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Clients.

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

async fn kube_config(kubeconfig: &Value) -> kube::Config {
    let kc: kube::config::Kubeconfig =
        serde_json::from_value(kubeconfig.clone()).expect("kubeconfig deserialises");
    kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kube config from the kubeconfig")
}

fn client(cfg: &kube::Config) -> Client {
    Client::try_from(cfg.clone()).expect("kube client")
}

fn namespace_of(i: usize) -> String {
    format!("bench-{}", i % NAMESPACES)
}

fn name_of(i: usize) -> String {
    format!("cm-{i:05}")
}

/// A ConfigMap of about 1 KiB as stored: labels, an annotation, eight ~100-byte values.
fn config_map(i: usize) -> ConfigMap {
    let filler = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(3);
    let data: BTreeMap<String, String> = (0..8)
        .map(|k| (format!("key-{k}"), format!("{i:05}-{k}-{}", &filler[..92])))
        .collect();
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name_of(i)),
            namespace: Some(namespace_of(i)),
            labels: Some(BTreeMap::from([
                ("app".to_string(), "bench".to_string()),
                ("shard".to_string(), (i % 16).to_string()),
            ])),
            annotations: Some(BTreeMap::from([(STAMP.to_string(), "0".to_string())])),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    }
}

/// Marks the untimed writes that open connections; watchers do not count them.
const WARM_UP: &str = "warm-up";

/// The patch every timed write sends: a new counter value and the send-time stamp.
fn stamped_patch(seq: u64) -> Patch<Value> {
    patch_with_stamp(seq, now_ns().to_string())
}

fn warm_up_patch() -> Patch<Value> {
    patch_with_stamp(0, WARM_UP.to_string())
}

fn patch_with_stamp(seq: u64, stamp: String) -> Patch<Value> {
    Patch::Merge(json!({
        "metadata": {"annotations": {STAMP: stamp}},
        "data": {"counter": seq.to_string()},
    }))
}

#[derive(Default)]
struct Latencies(Vec<u64>);

impl Latencies {
    fn sorted(mut self) -> Sorted {
        self.0.sort_unstable();
        Sorted(self.0)
    }
}

/// Sorted microseconds.
struct Sorted(Vec<u64>);

impl Sorted {
    fn pct_ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1] as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.0.last().map_or(f64::NAN, |v| *v as f64 / 1000.0)
    }
}

struct Row {
    label: String,
    ops: u64,
    errors: u64,
    secs: f64,
    lat: Sorted,
    cpu: Cpu,
}

impl Row {
    fn rate(&self) -> f64 {
        self.ops as f64 / self.secs
    }
}

struct Delivery {
    label: String,
    writes: u64,
    delivered: u64,
    expected: u64,
    closed_early: u64,
    lat: Sorted,
}

struct MemorySample {
    when: String,
    rss_kb: u64,
    rv: u64,
}

struct Report {
    load_average: String,
    object_bytes: usize,
    rows: Vec<Row>,
    deliveries: Vec<Delivery>,
    /// Server VmRSS after each step.
    rss: Vec<MemorySample>,
    server_hwm_kb: u64,
    client_hwm_kb: u64,
}

async fn run(knobs: &Knobs, server: &ServerProcess) -> Report {
    let pid = server.pid();
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .expect("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let cfg = kube_config(&server.kubeconfig).await;
    let admin = client(&cfg);
    let all: Api<ConfigMap> = Api::all(admin.clone());
    let mut rss = vec![memory_sample("started", pid, &all).await];
    let namespaces: Api<Namespace> = Api::all(admin.clone());
    for n in 0..NAMESPACES {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(namespace_of(n)),
                ..Default::default()
            },
            ..Default::default()
        };
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .expect("namespace created");
    }

    let mut rows = vec![preload(knobs, &cfg, pid).await];
    let stored: Api<ConfigMap> = Api::namespaced(admin.clone(), &namespace_of(0));
    let sample = stored
        .get(&name_of(0))
        .await
        .expect("preloaded object readable");
    let object_bytes = serde_json::to_vec(&sample)
        .expect("object serialises")
        .len();
    rss.push(memory_sample(format!("{} objects stored", knobs.objects), pid, &all).await);

    for &n in &knobs.writers {
        rows.push(write_phase(knobs, &cfg, pid, n, &format!("merge patch, {n} in flight")).await);
        rss.push(memory_sample(format!("after patches, {n} in flight"), pid, &all).await);
    }

    let mut deliveries = vec![];
    for &rate in &knobs.rates {
        let (row, d) = watch_phase(knobs, &cfg, pid, rate).await;
        rows.push(row);
        deliveries.push(d);
        rss.push(
            memory_sample(
                format!("after {} watchers, {rate} writes/s", knobs.watchers),
                pid,
                &all,
            )
            .await,
        );
    }

    Report {
        load_average,
        object_bytes,
        rows,
        deliveries,
        rss,
        server_hwm_kb: status_kb(pid, "VmHWM"),
        client_hwm_kb: status_kb(std::process::id(), "VmHWM"),
    }
}

/// The server's VmRSS now, with its resourceVersion: how many writes (events) it has committed, which is
/// what its event log holds up to `Config::event_log_capacity`.
async fn memory_sample(when: impl Into<String>, pid: u32, api: &Api<ConfigMap>) -> MemorySample {
    let rv = api
        .list_metadata(&ListParams::default().limit(1))
        .await
        .expect("list for the resourceVersion")
        .metadata
        .resource_version
        .and_then(|rv| rv.parse().ok())
        .expect("list has a numeric resourceVersion");
    MemorySample {
        when: when.into(),
        rss_kb: status_kb(pid, "VmRSS"),
        rv,
    }
}

/// Phase 1: creates every object with 16 concurrent creators.
async fn preload(knobs: &Knobs, cfg: &kube::Config, pid: u32) -> Row {
    const CREATORS: usize = 16;
    let next = Arc::new(AtomicU64::new(0));
    let cpu = CpuWindow::start(pid);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CREATORS {
        let (client, next, total) = (client(cfg), next.clone(), knobs.objects);
        tasks.spawn(async move {
            let mut lat = Latencies::default();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= total {
                    return (lat, errors);
                }
                let api: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace_of(i));
                let t = Instant::now();
                match api.create(&PostParams::default(), &config_map(i)).await {
                    Ok(_) => lat.0.push(t.elapsed().as_micros() as u64),
                    Err(e) => {
                        errors += 1;
                        eprintln!("create {}: {e}", name_of(i));
                    }
                }
            }
        });
    }
    let mut all = Latencies::default();
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        let (lat, e) = r.expect("creator task");
        all.0.extend(lat.0);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    Row {
        label: format!("preload create, {CREATORS} in flight"),
        ops: all.0.len() as u64,
        errors,
        secs,
        lat: all.sorted(),
        cpu: cpu.stop(),
    }
}

/// One writer: merge patches of its own share of the objects (no two writers touch the same object, so
/// there are no conflicts) until `deadline`, one request in flight. `pace` spaces the requests.
async fn writer(
    client: Client,
    first: usize,
    stride: usize,
    objects: usize,
    start: Arc<Barrier>,
    deadline: Arc<OnceLock<Instant>>,
) -> (Latencies, u64) {
    let apis: Vec<Api<ConfigMap>> = (0..NAMESPACES)
        .map(|n| Api::namespaced(client.clone(), &namespace_of(n)))
        .collect();
    let pp = PatchParams::default();
    let mut i = first;
    let mut seq = 0;
    // One untimed write opens the connection (TCP and TLS handshakes).
    apis[i % NAMESPACES]
        .patch(&name_of(i), &pp, &warm_up_patch())
        .await
        .expect("warm-up patch");
    start.wait().await;
    let deadline = *deadline
        .get()
        .expect("deadline set before the start barrier opens");
    let mut lat = Latencies::default();
    let mut errors = 0;
    while Instant::now() < deadline {
        seq += 1;
        let t = Instant::now();
        match apis[i % NAMESPACES]
            .patch(&name_of(i), &pp, &stamped_patch(seq))
            .await
        {
            Ok(_) => lat.0.push(t.elapsed().as_micros() as u64),
            Err(e) => {
                errors += 1;
                if errors == 1 {
                    eprintln!("patch {}: {e}", name_of(i));
                }
            }
        }
        i += stride;
        if i >= objects {
            i = first;
        }
    }
    (lat, errors)
}

/// Phase 2: `n` writers at full speed for the phase duration.
async fn write_phase(knobs: &Knobs, cfg: &kube::Config, pid: u32, n: usize, label: &str) -> Row {
    let start = Arc::new(Barrier::new(n + 1));
    let deadline = Arc::new(OnceLock::new());
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..n {
        tasks.spawn(writer(
            client(cfg),
            w,
            n,
            knobs.objects,
            start.clone(),
            deadline.clone(),
        ));
    }
    let (row, _) = timed_writers(knobs, pid, label, tasks, start, deadline).await;
    row
}

/// Opens the start barrier, collects the writers' results, and measures the window.
async fn timed_writers(
    knobs: &Knobs,
    pid: u32,
    label: &str,
    mut tasks: tokio::task::JoinSet<(Latencies, u64)>,
    start: Arc<Barrier>,
    deadline: Arc<OnceLock<Instant>>,
) -> (Row, Instant) {
    let cpu = CpuWindow::start(pid);
    let t0 = Instant::now();
    deadline
        .set(t0 + knobs.duration())
        .expect("deadline set once");
    start.wait().await;
    let mut all = Latencies::default();
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        let (lat, e) = r.expect("writer task");
        all.0.extend(lat.0);
        errors += e;
    }
    let end = Instant::now();
    let row = Row {
        label: label.to_string(),
        ops: all.0.len() as u64,
        errors,
        secs: (end - t0).as_secs_f64(),
        lat: all.sorted(),
        cpu: cpu.stop(),
    };
    (row, end)
}

/// Phases 3 and 4: `knobs.watchers` watchers on all ConfigMaps, each recording for every MODIFIED event
/// the time since its write was sent, while writes arrive at `rate` per second.
async fn watch_phase(knobs: &Knobs, cfg: &kube::Config, pid: u32, rate: u64) -> (Row, Delivery) {
    let admin = client(cfg);
    let all: Api<ConfigMap> = Api::all(admin);
    let rv = all
        .list_metadata(&ListParams::default().limit(1))
        .await
        .expect("list for a resourceVersion")
        .metadata
        .resource_version
        .expect("list has a resourceVersion");
    let ready = Arc::new(Barrier::new(knobs.watchers + 1));
    let delivered = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut watchers = tokio::task::JoinSet::new();
    for _ in 0..knobs.watchers {
        let api: Api<ConfigMap> = Api::all(client(cfg));
        let (rv, ready, delivered, mut stop) = (
            rv.clone(),
            ready.clone(),
            delivered.clone(),
            stop_rx.clone(),
        );
        watchers.spawn(async move {
            let wp = WatchParams::default().timeout(290);
            let stream = api.watch(&wp, &rv).await.expect("watch starts");
            let mut stream = std::pin::pin!(stream);
            ready.wait().await;
            let mut lat = Latencies::default();
            let closed_early = loop {
                tokio::select! {
                    _ = stop.changed() => break false,
                    ev = stream.next() => match ev {
                        Some(Ok(WatchEvent::Modified(cm))) => {
                            let now = now_ns();
                            let stamp = cm
                                .metadata
                                .annotations
                                .as_ref()
                                .and_then(|a| a.get(STAMP))
                                .expect("every write carries a stamp");
                            if stamp != WARM_UP {
                                let sent: u64 = stamp.parse().expect("stamp is a number");
                                lat.0.push(now.saturating_sub(sent) / 1000);
                                delivered.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            eprintln!("watch error: {e}");
                            break true;
                        }
                        None => break true,
                    }
                }
            };
            (lat, closed_early)
        });
    }
    ready.wait().await;

    let label = format!("{} watchers, writes paced at {rate}/s", knobs.watchers);
    let (row, end) = paced_writes(knobs, cfg, pid, rate, &label).await;
    let writes = row.ops;
    let expected = writes * knobs.watchers as u64;
    // Lets the watchers drain what is in flight: until all arrived, or nothing arrived for a second, or
    // ten seconds after the last write.
    let drain_until = end + Duration::from_secs(10);
    let mut last = (delivered.load(Ordering::Relaxed), Instant::now());
    loop {
        let now_delivered = delivered.load(Ordering::Relaxed);
        if now_delivered >= expected || Instant::now() > drain_until {
            break;
        }
        if now_delivered != last.0 {
            last = (now_delivered, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_tx
        .send(true)
        .expect("watchers listen for the stop signal");
    let mut lat = Latencies::default();
    let mut closed_early = 0;
    while let Some(r) = watchers.join_next().await {
        let (l, closed) = r.expect("watcher task");
        lat.0.extend(l.0);
        closed_early += u64::from(closed);
    }
    let delivery = Delivery {
        label,
        writes,
        delivered: lat.0.len() as u64,
        expected,
        closed_early,
        lat: lat.sorted(),
    };
    (row, delivery)
}

/// The load of phases 3 and 4: `rate` stamped writes per second, each sent on schedule on its own task
/// (so a slow write does not delay the next), round-robin over several clients.
async fn paced_writes(
    knobs: &Knobs,
    cfg: &kube::Config,
    pid: u32,
    rate: u64,
    label: &str,
) -> (Row, Instant) {
    const CLIENTS: usize = 16;
    let apis: Vec<Vec<Api<ConfigMap>>> = (0..CLIENTS)
        .map(|_| {
            let c = client(cfg);
            (0..NAMESPACES)
                .map(|n| Api::namespaced(c.clone(), &namespace_of(n)))
                .collect()
        })
        .collect();
    for (c, apis) in apis.iter().enumerate() {
        // Opens each client's connection before the timed window.
        apis[c % NAMESPACES]
            .patch(&name_of(c), &PatchParams::default(), &warm_up_patch())
            .await
            .expect("warm-up patch");
    }
    let total = (rate as f64 * knobs.secs).round() as u64;
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut tasks = tokio::task::JoinSet::new();
    let cpu = CpuWindow::start(pid);
    let t0 = Instant::now();
    for seq in 0..total {
        ticks.tick().await;
        let i = (seq as usize * 7919) % knobs.objects;
        let api = apis[seq as usize % CLIENTS][i % NAMESPACES].clone();
        tasks.spawn(async move {
            let t = Instant::now();
            api.patch(&name_of(i), &PatchParams::default(), &stamped_patch(seq))
                .await
                .map(|_| t.elapsed().as_micros() as u64)
        });
    }
    let mut lat = Latencies::default();
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("paced write task") {
            Ok(us) => lat.0.push(us),
            Err(e) => {
                errors += 1;
                eprintln!("paced patch: {e}");
            }
        }
    }
    let end = Instant::now();
    let row = Row {
        label: label.to_string(),
        ops: lat.0.len() as u64,
        errors,
        secs: (end - t0).as_secs_f64(),
        lat: lat.sorted(),
        cpu: cpu.stop(),
    };
    (row, end)
}

impl Report {
    fn print(&self, knobs: &Knobs) {
        println!();
        println!(
            "localkube throughput: {} ConfigMaps of {} bytes (as JSON) in {NAMESPACES} namespaces; server in a child process, \
             clients (kube-rs over HTTPS, one connection each) in this process; {} cores; load average at start {}",
            knobs.objects,
            self.object_bytes,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            self.load_average,
        );
        for (k, v) in [
            ("BENCH_EVENT_LOG", std::env::var("BENCH_EVENT_LOG").ok()),
            ("BENCH_CONTROLLERS", std::env::var("BENCH_CONTROLLERS").ok()),
            (
                "BENCH_SERVER_WRAPPER",
                std::env::var("BENCH_SERVER_WRAPPER").ok(),
            ),
        ] {
            if let Some(v) = v {
                println!("server config override: {k}={v}");
            }
        }
        println!();
        println!(
            "{:<38} {:>7} {:>4} {:>8} {:>7} {:>7} {:>7} {:>9} {:>5} {:>5} {:>6} {:>8}",
            "writes",
            "ok",
            "err",
            "ops/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "srv us/op",
            "srv",
            "cli",
            "others",
            "srv wait"
        );
        for r in &self.rows {
            println!(
                "{:<38} {:>7} {:>4} {:>8.0} {:>7.2} {:>7.2} {:>7.1} {:>9.0} {:>5.2} {:>5.2} {:>6.2} {:>8.2}",
                r.label,
                r.ops,
                r.errors,
                r.rate(),
                r.lat.pct_ms(50.0),
                r.lat.pct_ms(99.0),
                r.lat.max_ms(),
                r.cpu.server * 1e6 / r.ops.max(1) as f64,
                r.cpu.server / r.secs,
                r.cpu.client / r.secs,
                r.cpu.others() / r.secs,
                r.cpu.server_wait / r.secs,
            );
        }
        println!(
            "  (srv us/op: server CPU time per write, its deliveries to watchers included; srv/cli/others: cores \
             used by the server, the clients, and every other process on the machine; srv wait: server threads \
             runnable but waiting for a core, in thread-seconds per second; others above ~0.1 skew timings)"
        );
        println!();
        println!(
            "{:<38} {:>7} {:>9} {:>9} {:>6} {:>7} {:>7} {:>7} {:>7}",
            "write -> watch delivery",
            "writes",
            "delivered",
            "expected",
            "closed",
            "p50 ms",
            "p99 ms",
            "p99.9",
            "max ms"
        );
        for d in &self.deliveries {
            println!(
                "{:<38} {:>7} {:>9} {:>9} {:>6} {:>7.2} {:>7.2} {:>7.2} {:>7.1}",
                d.label,
                d.writes,
                d.delivered,
                d.expected,
                d.closed_early,
                d.lat.pct_ms(50.0),
                d.lat.pct_ms(99.0),
                d.lat.pct_ms(99.9),
                d.lat.max_ms(),
            );
        }
        println!();
        println!(
            "server VmRSS (resourceVersion = writes committed so far; the event log keeps the last {})",
            std::env::var("BENCH_EVENT_LOG")
                .unwrap_or_else(|_| localkube::Config::default().event_log_capacity.to_string())
        );
        for m in &self.rss {
            println!(
                "  {:<36} {:>8.1} MB   resourceVersion {:>7}",
                m.when,
                mb(m.rss_kb),
                m.rv
            );
        }
        println!(
            "  {:<36} {:>8.1} MB   (client process: {:.1} MB)",
            "peak (VmHWM)",
            mb(self.server_hwm_kb),
            mb(self.client_hwm_kb)
        );
        println!();
        println!("against the issue's targets (ratio = measured / target):");
        let line = |what: String, measured: f64, target: f64, better: &str| {
            println!(
                "  {what:<54} {measured:>8.2} / {target:>6.0} = {:>6.2}  ({better} 1 meets it)",
                measured / target
            );
        };
        for r in self
            .rows
            .iter()
            .filter(|r| r.label.starts_with("merge patch"))
        {
            line(
                format!("writes/s, {}", r.label),
                r.rate(),
                TARGET_WRITES_PER_SEC,
                ">=",
            );
        }
        for d in &self.deliveries {
            line(
                format!("p99 delivery ms, {}", d.label),
                d.lat.pct_ms(99.0),
                TARGET_P99_MS,
                "<=",
            );
        }
        line(
            "peak server RSS MB".into(),
            mb(self.server_hwm_kb),
            TARGET_RSS_MB,
            "<=",
        );
    }
}
