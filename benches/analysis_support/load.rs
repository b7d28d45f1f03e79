//! N concurrent AnalysisRuns measuring every interval, measured by a `gitcanary run` child process
//! (so its CPU and memory are its own) against an in-process localkube and an in-process
//! Prometheus stand-in.
//!
//! Drift method. Status timestamps are whole seconds, so drift is not readable from the status
//! alone. It is put together from two records of the same measurement:
//! - the status (polled from localkube every couple of seconds; 10 measurements are retained, so
//!   none is missed) gives, exactly as the daemon computed it, when each measurement was due:
//!   the previous measurement's `finishedAt` (whole seconds) + interval; for the first one, the
//!   run's `startedAt` + initialDelay;
//! - the stand-in records, for every query, its arrival (wall clock, microseconds) and the `time`
//!   parameter the daemon sent, which is the daemon's own `now` at the reconcile that took the
//!   measurement (the status' `startedAt` is that `now` cut to the second, which pairs them).
//!
//! drift = when the daemon acted − when it was due. "decided" uses the `time` parameter, "query
//! arrived" the arrival at the stand-in (adds the HTTP client's part). The first measurement of a
//! run is reported apart (from creating the run to its first query), since its due time (the
//! run's `startedAt`, cut to the second) is not a scheduling promise.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use gitcanary::analysis::measure::Measurer;
use gitcanary::api::AnalysisRun;
use kube::Api;
use kube::api::{ListParams, PostParams};
use localkube::{FaultRule, LocalKube};
use tokio::io::AsyncBufReadExt;
use tokio::sync::watch;

use super::pipeline::bench_run;
use super::prototype;
use super::stats::{env_or, line, percentile, sorted};

const DRIFT_TARGET_MS: f64 = 50.0;
const VERBS: [&str; 7] = [
    "get", "list", "watch", "create", "update", "patch", "delete",
];

pub struct Settings {
    pub runs: usize,
    pub seconds: u64,
    pub warmup: u64,
    pub poll: u64,
    /// Extra latency localkube adds to every status write (fault injection), to show how the
    /// drift follows the API server's round trip.
    pub update_latency_ms: u64,
    pub mode: Mode,
}

impl Settings {
    pub fn from_env() -> Settings {
        Settings {
            runs: env_or("ANALYSIS_BENCH_RUNS", 100),
            seconds: env_or("ANALYSIS_BENCH_SECONDS", 25),
            warmup: env_or("ANALYSIS_BENCH_WARMUP", 5),
            poll: env_or("ANALYSIS_BENCH_POLL", 2),
            update_latency_ms: env_or("ANALYSIS_BENCH_UPDATE_LATENCY_MS", 0),
            mode: match std::env::var("ANALYSIS_BENCH_LOOP").as_deref() {
                Ok("inproc") => Mode::InProcess,
                Ok("concurrent") => Mode::Concurrent(
                    env_or("ANALYSIS_BENCH_CONCURRENCY", 16),
                    env_or("ANALYSIS_BENCH_SPREAD", 0u8) == 1,
                ),
                _ => Mode::Child,
            },
        }
    }
}

fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One query as the stand-in saw it.
#[derive(Clone, Debug)]
struct Hit {
    run: usize,
    arrived: f64,
    /// The daemon's `now` for this measurement (the `time` parameter).
    decided: f64,
}

type Hits = Arc<Mutex<Vec<Hit>>>;

async fn query(
    State(hits): State<Hits>,
    Query(params): Query<HashMap<String, String>>,
) -> axum::response::Response {
    let arrived = wall();
    let run = params
        .get("query")
        .and_then(|q| q.split('"').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let decided = params
        .get("time")
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN);
    hits.lock().unwrap_or_else(|p| p.into_inner()).push(Hit {
        run,
        arrived,
        decided,
    });
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"run":"{run}"}},"value":[{decided},"0.95"]}}]}}}}"#
    );
    ([("content-type", "application/json")], body).into_response()
}

/// CPU time (user + system) of a process in clock ticks, from /proc.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// (VmRSS, VmHWM) in KiB.
fn memory_kib(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("git {args:?} failed ({other:?}); is the `git` package installed?"),
    }
}

/// Requests served per verb so far: each counting rule starts at u64::MAX uses and localkube
/// takes one off per matching request (a rule with no error and no latency changes nothing).
fn request_counts(lk: &LocalKube) -> BTreeMap<String, u64> {
    lk.cluster()
        .faults
        .list()
        .into_iter()
        .filter(|r| r.latency_ms.is_none())
        .filter_map(|r| Some((r.verb?, u64::MAX - r.times?)))
        .collect()
}

/// Measurements seen in the runs' statuses: (startedAt, finishedAt) in whole seconds, per run.
type Seen = BTreeMap<usize, BTreeSet<(i64, i64)>>;

async fn collect_status(api: &Api<AnalysisRun>, seen: &mut Seen) {
    let Ok(list) = api.list(&ListParams::default()).await else {
        return;
    };
    for run in list {
        let Some(index) = run
            .metadata
            .name
            .as_deref()
            .and_then(|n| n.strip_prefix("bench-"))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(status) = run.status else { continue };
        for result in status.metric_results {
            for m in result.measurements {
                if let (Some(s), Some(f)) = (m.started_at, m.finished_at) {
                    seen.entry(index)
                        .or_default()
                        .insert((s.0.as_second(), f.0.as_second()));
                }
            }
        }
    }
}

struct Sample {
    at: f64,
    daemon_ticks: u64,
    bench_ticks: u64,
    rss_kib: u64,
    requests: BTreeMap<String, u64>,
    own_lists: u64,
}

fn summary(what: &str, values: Vec<f64>, target: Option<f64>) {
    let s = sorted(values);
    if s.is_empty() {
        println!("  {what}: no samples");
        return;
    }
    for (p, name) in [(50.0, "p50"), (99.0, "p99"), (100.0, "max")] {
        let v = percentile(&s, p).unwrap_or(f64::NAN);
        line(
            &format!("{what} {name}"),
            v,
            "ms",
            if (99.0..100.0).contains(&p) {
                target
            } else {
                None
            },
        );
    }
}

pub async fn run(settings: &Settings) {
    let Settings {
        runs,
        seconds,
        warmup,
        poll,
        update_latency_ms,
        mode,
    } = *settings;
    println!(
        "\n{runs} AnalysisRuns measuring every 1s for {seconds}s (first {warmup}s after creation not counted); analysis loop: {}",
        match mode {
            Mode::Child => "`gitcanary run` as a child process".to_owned(),
            Mode::InProcess => "controller::run in the bench process".to_owned(),
            Mode::Concurrent(n, spread) => format!(
                "WHAT-IF prototype, {n} reconciles in flight{}, in the bench process",
                if spread {
                    ", due times spread over the second"
                } else {
                    ""
                }
            ),
        }
    );
    let ticks_per_s = clock_ticks_per_second();
    let crds = gitcanary::cli::crds::bundled().expect("bundled CRDs");
    let lk = LocalKube::start(localkube::Config {
        crds,
        controllers: false,
        ..Default::default()
    })
    .await
    .expect("localkube starts");
    for verb in VERBS {
        lk.cluster().faults.add(FaultRule {
            verb: Some(verb.into()),
            times: Some(u64::MAX),
            ..Default::default()
        });
    }
    if update_latency_ms > 0 {
        println!(
            "  localkube adds {update_latency_ms} ms to every update (ANALYSIS_BENCH_UPDATE_LATENCY_MS)"
        );
        lk.cluster().faults.add(FaultRule {
            verb: Some("update".into()),
            latency_ms: Some(update_latency_ms),
            ..Default::default()
        });
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    lk.write_kubeconfig(&kubeconfig).expect("kubeconfig");

    // The Prometheus stand-in.
    let hits: Hits = Arc::default();
    let app = axum::Router::new()
        .route("/api/v1/query", get(query))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the stand-in");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let client = {
        let kc = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig parses");
        let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .expect("kube config");
        kube::Client::try_from(cfg).expect("kube client")
    };
    let log_path = dir.path().join("daemon.log");
    let (mut measuring, pid) = match mode {
        Mode::Child => {
            let child = spawn_daemon(dir.path(), &kubeconfig, &log_path).await;
            let pid = child.id().expect("daemon pid").to_string();
            (Measuring::Child(child), pid)
        }
        Mode::InProcess | Mode::Concurrent(..) => {
            let (stop, stopped) = watch::channel(false);
            let measurer = Measurer::new(None).expect("Prometheus client");
            let c = client.clone();
            tokio::spawn(async move {
                match mode {
                    Mode::Concurrent(width, spread) => {
                        prototype::run(c, measurer, width, spread, stopped).await
                    }
                    _ => gitcanary::analysis::controller::run(c, measurer, stopped).await,
                }
            });
            (Measuring::Task(stop), "self".to_owned())
        }
    };
    let (idle_rss, _) = memory_kib(&pid);

    let api: Api<AnalysisRun> = Api::namespaced(client, "default");
    let mut created_at = vec![0.0; runs];
    let creating = wall();
    for (i, created) in created_at.iter_mut().enumerate() {
        let run: AnalysisRun =
            serde_json::from_value(bench_run(&address, i, false)).expect("run parses");
        api.create(&PostParams::default(), &run)
            .await
            .unwrap_or_else(|e| panic!("creating run {i}: {e}"));
        *created = wall();
    }
    let created = wall();
    println!(
        "  created {runs} runs in {:.0} ms; daemon RSS before them {:.1} MiB",
        (created - creating) * 1000.0,
        idle_rss as f64 / 1024.0
    );

    // Sample once a second; poll statuses every `poll` seconds.
    let mut seen = Seen::new();
    let mut samples: Vec<Sample> = Vec::new();
    let mut own_lists = 0u64;
    let mut peak_rss = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let end = created + seconds as f64;
    let mut n = 0u64;
    loop {
        tick.tick().await;
        if n.is_multiple_of(poll.max(1)) {
            collect_status(&api, &mut seen).await;
            own_lists += 1;
        }
        n += 1;
        let (rss, _) = memory_kib(&pid);
        peak_rss = peak_rss.max(rss);
        samples.push(Sample {
            at: wall(),
            daemon_ticks: cpu_ticks(&pid).unwrap_or(0),
            bench_ticks: cpu_ticks("self").unwrap_or(0),
            rss_kib: rss,
            requests: request_counts(&lk),
            own_lists,
        });
        if wall() >= end {
            break;
        }
    }
    collect_status(&api, &mut seen).await;
    let (_, hwm) = memory_kib(&pid);
    match &mut measuring {
        Measuring::Child(daemon) => {
            let _ = daemon.start_kill();
            let _ = daemon.wait().await;
        }
        Measuring::Task(stop) => {
            let _ = stop.send(true);
        }
    }
    let hits = hits.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let daemon_log = std::fs::read_to_string(&log_path).unwrap_or_default();

    report(&Report {
        runs,
        child: mode == Mode::Child,
        spread: matches!(mode, Mode::Concurrent(_, true)),
        created_at: &created_at,
        steady_from: created + warmup as f64,
        end,
        seen: &seen,
        hits: &hits,
        samples: &samples,
        ticks_per_s,
        peak_rss,
        hwm,
        daemon_log: &daemon_log,
    });
}

/// Where the analysis loop runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// `gitcanary run` as a child process (its CPU and memory are its own).
    Child,
    /// `gitcanary::analysis::controller::run` in this process.
    InProcess,
    /// The bench's what-if loop with this many reconciles in flight, and whether it spreads due
    /// times over the second, in this process.
    Concurrent(usize, bool),
}

enum Measuring {
    Child(tokio::process::Child),
    Task(watch::Sender<bool>),
}

/// Starts `gitcanary run` following an empty repository (the runs are created directly) and
/// waits until it serves.
async fn spawn_daemon(dir: &Path, kubeconfig: &Path, log_path: &Path) -> tokio::process::Child {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).expect("repo dir");
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "bench\n").expect("readme");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "empty"]);
    let log = std::fs::File::create(log_path).expect("daemon log");
    let mut daemon = tokio::process::Command::new(
        std::env::var_os("ANALYSIS_BENCH_DAEMON")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_gitcanary").into()),
    )
    .arg("--kubeconfig")
    .arg(kubeconfig)
    .args(["run", "--repo"])
    .arg(&repo)
    .args([
        "--branch",
        "main",
        "--path",
        ".",
        "--allow-empty",
        "--no-watch",
    ])
    .args(["--interval", "1h", "--listen", "127.0.0.1:0", "--cache-dir"])
    .arg(dir.join("cache"))
    .env("HOME", dir)
    .env(
        "GITCANARY_LOG",
        std::env::var("ANALYSIS_BENCH_DAEMON_LOG").unwrap_or_else(|_| "warn".into()),
    )
    .env_remove("ARGO_ROLLOUTS_PROMETHEUS_ADDRESS")
    .stdout(Stdio::piped())
    .stderr(log)
    .kill_on_drop(true)
    .spawn()
    .expect("gitcanary run starts");
    let stdout = daemon.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.contains("listening on") {
                return true;
            }
        }
        false
    })
    .await;
    if ready != Ok(true) {
        let log = std::fs::read_to_string(log_path).unwrap_or_default();
        panic!("the daemon did not start:\n{log}");
    }
    daemon
}

struct Report<'a> {
    runs: usize,
    /// The loop runs in a child process (else CPU and memory include localkube).
    child: bool,
    /// Due times carry the prototype's per-run phase.
    spread: bool,
    created_at: &'a [f64],
    steady_from: f64,
    end: f64,
    seen: &'a Seen,
    hits: &'a [Hit],
    samples: &'a [Sample],
    ticks_per_s: f64,
    peak_rss: u64,
    hwm: u64,
    daemon_log: &'a str,
}

fn report(r: &Report<'_>) {
    let interval = 1.0;
    // Queries per run, by the second of the daemon's `now` (= the status' startedAt).
    let mut by_run: HashMap<usize, BTreeMap<i64, &Hit>> = HashMap::new();
    for hit in r.hits {
        by_run
            .entry(hit.run)
            .or_default()
            .insert(hit.decided.floor() as i64, hit);
    }
    let mut decided = Vec::new();
    let mut arrived = Vec::new();
    let mut client_part = Vec::new();
    let mut unmatched = 0usize;
    let mut pairs = 0usize;
    // Per due second: the latest arrival, to see how long a burst of due runs takes to drain.
    let mut drain: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for (run, measurements) in r.seen {
        let list: Vec<&(i64, i64)> = measurements.iter().collect();
        for w in list.windows(2) {
            let (prev, cur) = (w[0], w[1]);
            let mut due = prev.1 as f64 + interval;
            if r.spread {
                due += prototype::phase(&format!("bench-{run:03}")).as_secs_f64();
            }
            if due < r.steady_from || due > r.end {
                continue;
            }
            pairs += 1;
            let Some(hit) = by_run.get(run).and_then(|m| m.get(&cur.0)) else {
                unmatched += 1;
                continue;
            };
            decided.push((hit.decided - due) * 1000.0);
            arrived.push((hit.arrived - due) * 1000.0);
            client_part.push((hit.arrived - hit.decided) * 1000.0);
            let slot = drain.entry(due as i64).or_insert((0.0, 0));
            slot.0 = slot.0.max((hit.arrived - due) * 1000.0);
            slot.1 += 1;
        }
    }
    let first: Vec<f64> = (0..r.runs)
        .filter_map(|i| {
            let hit = r
                .hits
                .iter()
                .filter(|h| h.run == i)
                .min_by(|a, b| a.arrived.total_cmp(&b.arrived))?;
            Some((hit.arrived - r.created_at[i]) * 1000.0)
        })
        .collect();
    let steady_hits = r
        .hits
        .iter()
        .filter(|h| h.arrived >= r.steady_from && h.arrived < r.end)
        .count();
    let window = r.end - r.steady_from;
    println!(
        "scheduling drift over {pairs} measurements due in the last {window:.0}s ({unmatched} without a matching query)"
    );
    summary("drift, decided (daemon's now - due)", decided, None);
    summary(
        "drift, query arrived (stand-in clock - due)",
        arrived,
        Some(DRIFT_TARGET_MS),
    );
    summary("HTTP client part (arrival - decided)", client_part, None);
    if !r.spread {
        let drains: Vec<f64> = drain
            .values()
            .filter(|(_, n)| *n * 10 >= r.runs * 9)
            .map(|(ms, _)| *ms)
            .collect();
        let drain_median = percentile(&sorted(drains.clone()), 50.0).unwrap_or(f64::NAN);
        line(
            "burst drain: due -> last run's query, median second",
            drain_median,
            "ms",
            None,
        );
        line(
            "  = per run, serially",
            drain_median / r.runs as f64,
            "ms",
            None,
        );
    }
    summary("first measurement: run created -> query", first, None);
    line(
        "queries/s in the window (expected runs/interval)",
        steady_hits as f64 / window,
        "/s",
        None,
    );
    println!(
        "  {:<52} {:>10.2}",
        "  ratio to expected",
        steady_hits as f64 / window / (r.runs as f64 / interval)
    );

    // CPU and memory over the window.
    let inside: Vec<&Sample> = r
        .samples
        .iter()
        .filter(|s| s.at >= r.steady_from - 0.5)
        .collect();
    if let (Some(a), Some(b)) = (inside.first(), inside.last())
        && b.at > a.at
    {
        let wall = b.at - a.at;
        let cpu = |x: u64, y: u64| (y - x) as f64 / r.ticks_per_s / wall * 100.0;
        if r.child {
            println!("daemon process (gitcanary run) over {wall:.1}s");
        } else {
            println!(
                "bench process (analysis loop + localkube + stand-in: not separable) over {wall:.1}s"
            );
        }
        line(
            "CPU, % of one core",
            cpu(a.daemon_ticks, b.daemon_ticks),
            "%",
            None,
        );
        line(
            "  CPU per measurement",
            (b.daemon_ticks - a.daemon_ticks) as f64 / r.ticks_per_s * 1e6
                / (steady_hits.max(1) as f64),
            "us",
            None,
        );
        println!(
            "  {:<52} {:>10.1} / {:.1} MiB",
            "RSS at window start / end",
            a.rss_kib as f64 / 1024.0,
            b.rss_kib as f64 / 1024.0
        );
        println!(
            "  {:<52} {:>10.1} / {:.1} MiB",
            "peak RSS (sampled / VmHWM)",
            r.peak_rss as f64 / 1024.0,
            r.hwm as f64 / 1024.0
        );
        if r.child {
            println!("bench process (localkube, stand-in, status polls)");
            line(
                "CPU, % of one core",
                cpu(a.bench_ticks, b.bench_ticks),
                "%",
                None,
            );
        }
        println!("requests to localkube from the daemon, per second (resource requests by verb)");
        let own = b.own_lists - a.own_lists;
        let mut total = 0.0;
        for verb in VERBS {
            let x = a.requests.get(verb).copied().unwrap_or(0);
            let y = b.requests.get(verb).copied().unwrap_or(0);
            let mut count = y - x;
            if verb == "list" {
                count = count.saturating_sub(own);
            }
            if count > 0 {
                line(&format!("  {verb}"), count as f64 / wall, "/s", None);
            }
            total += count as f64 / wall;
        }
        line("  total", total, "/s", None);
    }
    let warnings = r
        .daemon_log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .count();
    println!("  daemon log: {warnings} warning/error lines");
    for l in r
        .daemon_log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .take(3)
    {
        println!("    {}", l.chars().take(200).collect::<String>());
    }
}
