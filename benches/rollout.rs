//! The rollout controller against localkube, with the figures:
//! - from a pause's expiry (`status.pauseConditions[].startTime` + duration) or an approval's arrival
//!   (the `gitcanary.dev/promote: step` annotation) to the VirtualService weight write, as a watch on
//!   the VirtualService sees it: p50/p99 over many steps (target p99 < 100 ms);
//! - 200 rollouts progressing at once: CPU and RSS of the daemon (target RSS < 100 MB) and API
//!   requests per step.
//!
//! Everything goes through Git, as users drive it: the repository holds every Rollout with its two
//! Services and VirtualService; the daemon (`gitcanary run`, a child process) syncs them; a commit
//! changing the images starts the canaries. localkube runs in another child process (Pods become Ready
//! after GITCANARY_BENCH_READY_MS), so the daemon's CPU and memory are its own.
//!
//! Sizes: GITCANARY_BENCH_LAT_ROLLOUTS (4) rollouts with GITCANARY_BENCH_LAT_PAIRS (25) pairs of
//! [setWeight, 1s pause, setWeight, manual pause]; GITCANARY_BENCH_ROLLOUTS (200) rollouts with
//! GITCANARY_BENCH_LOAD_STEPS (9) [setWeight, pause] steps of GITCANARY_BENCH_LOAD_PAUSE_S (2) seconds;
//! GITCANARY_BENCH_READY_MS (100).
//!
//! Run: `cargo bench --bench rollout`. Prints figures and ratios to the targets; asserts no timing.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use futures::StreamExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use kube::runtime::watcher;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Weight(u32),
    Pause(Option<u64>),
}

struct Sizes {
    lat_rollouts: usize,
    lat_pairs: usize,
    rollouts: usize,
    load_steps: usize,
    load_pause: u64,
    ready_ms: u64,
}

fn lat_steps(pairs: usize) -> Vec<Step> {
    let mut steps = vec![];
    for k in 0..pairs {
        steps.push(Step::Weight((2 * k % 99) as u32 + 1));
        steps.push(Step::Pause(Some(1)));
        steps.push(Step::Weight(((2 * k + 1) % 99) as u32 + 1));
        steps.push(Step::Pause(None));
    }
    steps
}

fn load_steps(n: usize, pause: u64) -> Vec<Step> {
    let mut steps = vec![];
    for j in 1..=n {
        steps.push(Step::Weight((j * 90 / n.max(1)).clamp(1, 99) as u32));
        steps.push(Step::Pause(Some(pause)));
    }
    steps
}

fn manifests(name: &str, image: &str, steps: &[Step]) -> String {
    let steps_yaml: String = steps
        .iter()
        .map(|s| match s {
            Step::Weight(w) => format!("      - setWeight: {w}\n"),
            Step::Pause(Some(d)) => format!("      - pause: {{duration: {d}s}}\n"),
            Step::Pause(None) => "      - pause: {}\n".to_string(),
        })
        .collect();
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}-stable
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: 80, targetPort: http, protocol: TCP}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}-canary
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: 80, targetPort: http, protocol: TCP}}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: {name}-vsvc
spec:
  hosts: [{name}]
  http:
  - name: primary
    route:
    - destination: {{host: {name}-stable}}
      weight: 100
    - destination: {{host: {name}-canary}}
      weight: 0
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: {name}
spec:
  replicas: 1
  revisionHistoryLimit: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: app
        image: {image}
        ports: [{{name: http, containerPort: 8080, protocol: TCP}}]
        resources:
          requests: {{cpu: 5m, memory: 32Mi}}
  strategy:
    canary:
      scaleDownDelaySeconds: 2
      canaryService: {name}-canary
      stableService: {name}-stable
      trafficRouting:
        istio:
          virtualService:
            name: {name}-vsvc
            routes: [primary]
      steps:
{steps_yaml}"
    )
}

// ---------------------------------------------------------------------------------------------
// What the watches saw

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Trigger {
    /// A timed pause expired (startTime + duration).
    Expiry,
    /// The bench annotated the Rollout with `gitcanary.dev/promote: step`.
    Approval,
}

#[derive(Default)]
struct RolloutView {
    phase: String,
    stable: String,
    current: String,
    /// Pause step index -> (what ends it, when).
    triggers: HashMap<usize, (Trigger, SystemTime)>,
    /// Timed pause step index -> how long after its (whole-second) startTime the bench saw it begin.
    start_fraction: HashMap<usize, Duration>,
    approved: std::collections::HashSet<usize>,
    canary_weight: Option<u64>,
}

#[derive(Default)]
struct Tracker {
    steps: HashMap<String, Vec<Step>>,
    views: HashMap<String, RolloutView>,
    /// Trigger -> VirtualService write seen, with the rollout's group ("lat" / "load").
    samples: Vec<(String, Trigger, Duration)>,
    /// Timed pauses: the latency less the start's sub-second part (the part the controller's
    /// whole-second clock adds to the wait).
    residuals: Vec<(String, Duration)>,
    approvals_sent: usize,
}

enum Seen {
    Rollout(SystemTime, Value),
    VirtualService(SystemTime, Value),
}

fn group_of(name: &str) -> String {
    name.split('-').next().unwrap_or_default().to_string()
}

fn parse_time(v: &Value) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(v.as_str()?).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_millis(t.timestamp_millis().max(0) as u64))
}

impl Tracker {
    /// Returns the name of a rollout to approve now, if one reached a manual pause.
    fn on_rollout(&mut self, at: SystemTime, obj: &Value) -> Option<String> {
        let name = obj.pointer("/metadata/name")?.as_str()?.to_string();
        let steps = self.steps.get(&name)?.clone();
        let status = obj.get("status")?;
        let view = self.views.entry(name.clone()).or_default();
        let s = |p: &str| {
            status
                .get(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        view.phase = s("phase");
        view.stable = s("stableRS");
        view.current = s("currentPodHash");
        let annotated = obj
            .pointer("/metadata/annotations/gitcanary.dev~1promote")
            .is_some();
        let idx = status.get("currentStepIndex")?.as_u64()? as usize;
        let Some(Step::Pause(duration)) = steps.get(idx) else {
            return None;
        };
        if view.stable == view.current {
            return None;
        }
        let start = status
            .get("pauseConditions")?
            .as_array()?
            .iter()
            .find(|p| p["reason"] == "CanaryPauseStep")
            .and_then(|p| parse_time(&p["startTime"]))?;
        match duration {
            Some(d) => {
                if let std::collections::hash_map::Entry::Vacant(e) = view.triggers.entry(idx) {
                    e.insert((Trigger::Expiry, start + Duration::from_secs(*d)));
                    view.start_fraction
                        .insert(idx, at.duration_since(start).unwrap_or_default());
                }
                None
            }
            None if !view.approved.contains(&idx) && !annotated => {
                view.approved.insert(idx);
                view.triggers
                    .insert(idx, (Trigger::Approval, SystemTime::now()));
                self.approvals_sent += 1;
                Some(name)
            }
            None => None,
        }
    }

    fn on_virtual_service(&mut self, at: SystemTime, obj: &Value) {
        let Some(vs) = obj.pointer("/metadata/name").and_then(Value::as_str) else {
            return;
        };
        let Some(name) = vs.strip_suffix("-vsvc") else {
            return;
        };
        let Some(steps) = self.steps.get(name) else {
            return;
        };
        let weight = obj
            .pointer("/spec/http/0/route/1/weight")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let view = self.views.entry(name.to_string()).or_default();
        if view.canary_weight == Some(weight) {
            return;
        }
        view.canary_weight = Some(weight);
        let Some(s) = steps
            .iter()
            .position(|st| *st == Step::Weight(weight as u32))
        else {
            return;
        };
        if s == 0 {
            return;
        }
        if let Some((trigger, when)) = view.triggers.remove(&(s - 1)) {
            let latency = at.duration_since(when).unwrap_or_default();
            self.samples.push((group_of(name), trigger, latency));
            if let Some(fraction) = view.start_fraction.remove(&(s - 1)) {
                self.residuals
                    .push((group_of(name), latency.saturating_sub(fraction)));
            }
        }
    }

    /// Rollouts of a group that are Healthy on a template other than `old` hashes.
    fn healthy(&self, group: &str, old: &HashMap<String, String>) -> usize {
        self.views
            .iter()
            .filter(|(n, v)| {
                group_of(n) == group
                    && v.phase == "Healthy"
                    && !v.stable.is_empty()
                    && v.stable == v.current
                    && old.get(*n) != Some(&v.stable)
            })
            .count()
    }

    fn stable_hashes(&self, group: &str) -> HashMap<String, String> {
        self.views
            .iter()
            .filter(|(n, _)| group_of(n) == group)
            .map(|(n, v)| (n.clone(), v.stable.clone()))
            .collect()
    }
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn spawn_watch(
    client: kube::Client,
    ar: ApiResource,
    tx: tokio::sync::mpsc::UnboundedSender<Seen>,
    rollouts: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let api: Api<DynamicObject> = Api::namespaced_with(client, "default", &ar);
        let mut stream = watcher(api, watcher::Config::default()).boxed();
        while let Some(ev) = stream.next().await {
            let obj = match ev {
                Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => o,
                _ => continue,
            };
            let at = SystemTime::now();
            let Ok(v) = serde_json::to_value(&obj) else {
                continue;
            };
            let seen = if rollouts {
                Seen::Rollout(at, v)
            } else {
                Seen::VirtualService(at, v)
            };
            if tx.send(seen).is_err() {
                return;
            }
        }
    })
}

/// Consumes watch events; approves manual pauses as soon as they are reached.
fn spawn_tracker(
    client: kube::Client,
    tracker: Arc<Mutex<Tracker>>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Seen>,
) -> tokio::task::JoinHandle<()> {
    let rollouts: Api<DynamicObject> = Api::namespaced_with(
        client,
        "default",
        &resource("argoproj.io", "v1alpha1", "Rollout", "rollouts"),
    );
    tokio::spawn(async move {
        while let Some(seen) = rx.recv().await {
            let approve = {
                let mut t = tracker.lock().unwrap_or_else(|p| p.into_inner());
                match &seen {
                    Seen::Rollout(at, v) => t.on_rollout(*at, v),
                    Seen::VirtualService(at, v) => {
                        t.on_virtual_service(*at, v);
                        None
                    }
                }
            };
            if let Some(name) = approve {
                let api = rollouts.clone();
                tokio::spawn(async move {
                    let p = json!({"metadata": {"annotations": {"gitcanary.dev/promote": "step"}}});
                    if let Err(e) = api
                        .patch(&name, &PatchParams::default(), &Patch::Merge(&p))
                        .await
                    {
                        eprintln!("approving {name}: {e}");
                    }
                });
            }
        }
    })
}

const COUNTED: &[(&str, &str)] = &[
    ("patch", "virtualservices"),
    ("update", "rollouts"),
    ("patch", "rollouts"),
    ("create", "replicasets"),
    ("patch", "replicasets"),
    ("delete", "replicasets"),
    ("patch", "services"),
    ("create", "events"),
    ("patch", "events"),
    ("patch", "configmaps"),
];

fn write_repo(repo: &Path, sizes: &Sizes, lat_image: &str, load_image: &str) {
    for i in 0..sizes.lat_rollouts {
        let name = format!("lat-{i}");
        write(
            repo,
            &format!("deploy/{name}.yaml"),
            &manifests(&name, lat_image, &lat_steps(sizes.lat_pairs)),
        );
    }
    for i in 0..sizes.rollouts {
        let name = format!("load-{i:03}");
        write(
            repo,
            &format!("deploy/{name}.yaml"),
            &manifests(
                &name,
                load_image,
                &load_steps(sizes.load_steps, sizes.load_pause),
            ),
        );
    }
}

fn main() {
    serve_localkube_if_child();
    let sizes = Sizes {
        lat_rollouts: env_usize("GITCANARY_BENCH_LAT_ROLLOUTS", 4),
        lat_pairs: env_usize("GITCANARY_BENCH_LAT_PAIRS", 25),
        rollouts: env_usize("GITCANARY_BENCH_ROLLOUTS", 200),
        load_steps: env_usize("GITCANARY_BENCH_LOAD_STEPS", 9),
        load_pause: env_u64("GITCANARY_BENCH_LOAD_PAUSE_S", 2),
        ready_ms: env_u64("GITCANARY_BENCH_READY_MS", 100),
    };
    let work = tmp();
    let repo = work.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap_or_else(|e| panic!("{e}"));
    init_repo(&repo);
    write_repo(&repo, &sizes, "example/app:blue", "example/app:blue");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "rollouts"]);
    println!(
        "rollout bench: {} latency rollouts x {} pairs [setWeight, 1s pause, setWeight, manual pause]; \
         {} load rollouts x {} [setWeight, {}s pause]; pods ready after {} ms; 2 cores",
        sizes.lat_rollouts,
        sizes.lat_pairs,
        sizes.rollouts,
        sizes.load_steps,
        sizes.load_pause,
        sizes.ready_ms
    );
    let lk = Localkube::start(
        &LocalkubeOpts {
            controllers: true,
            crds: true,
            ready_delay: Duration::from_millis(sizes.ready_ms),
        },
        work.path(),
    );
    let rt = runtime();
    rt.block_on(run(&lk, &repo, work.path(), &sizes));
}

async fn wait_healthy(
    tracker: &Arc<Mutex<Tracker>>,
    group: &str,
    want: usize,
    old: &HashMap<String, String>,
    timeout: Duration,
    daemon: &DaemonProc,
) {
    let deadline = Instant::now() + timeout;
    loop {
        let n = tracker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .healthy(group, old);
        if n >= want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{n}/{want} {group} rollouts Healthy after {timeout:?}\n{}",
            daemon.proc.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn report_samples(what: &str, samples: &[Duration]) {
    println!("  {what:<40} {}", dist(samples));
}

async fn run(lk: &Localkube, repo: &Path, dir: &Path, sizes: &Sizes) {
    let client = client(&lk.kubeconfig).await;
    let counters = Counters::install(&client, COUNTED).await;
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    {
        let mut t = tracker.lock().unwrap_or_else(|p| p.into_inner());
        for i in 0..sizes.lat_rollouts {
            t.steps
                .insert(format!("lat-{i}"), lat_steps(sizes.lat_pairs));
        }
        for i in 0..sizes.rollouts {
            t.steps.insert(
                format!("load-{i:03}"),
                load_steps(sizes.load_steps, sizes.load_pause),
            );
        }
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let w1 = spawn_watch(
        client.clone(),
        resource("argoproj.io", "v1alpha1", "Rollout", "rollouts"),
        tx.clone(),
        true,
    );
    let w2 = spawn_watch(
        client.clone(),
        resource(
            "networking.istio.io",
            "v1alpha3",
            "VirtualService",
            "virtualservices",
        ),
        tx,
        false,
    );
    let tr = spawn_tracker(client.clone(), tracker.clone(), rx);
    let total = sizes.lat_rollouts + sizes.rollouts;

    // 1. Initial deploy: sync every object, each Rollout straight to stable.
    let before = counters.read().await;
    let mark = CpuMark::take(&[lk.proc.pid]);
    let daemon = DaemonProc::start(&lk.kubeconfig, repo, dir, "bench");
    let empty = HashMap::new();
    wait_healthy(
        &tracker,
        "lat",
        sizes.lat_rollouts,
        &empty,
        Duration::from_secs(600),
        &daemon,
    )
    .await;
    wait_healthy(
        &tracker,
        "load",
        sizes.rollouts,
        &empty,
        Duration::from_secs(600),
        &daemon,
    )
    .await;
    let (wall, cpu) = mark.since();
    let d = counters.read().await.since(&before);
    let (rss, _) = rss_mib(daemon.proc.pid);
    println!();
    println!(
        "== initial deploy of {total} rollouts ({} objects) from Git: all Healthy after {:.1} s; daemon CPU {:.1} s, \
         localkube CPU {:.1} s, {} requests ({}), {} writes; daemon RSS {rss:.0} MiB",
        total * 4,
        wall.as_secs_f64(),
        cpu_ticks(daemon.proc.pid).as_secs_f64(),
        cpu[0].1.as_secs_f64(),
        d.requests(),
        d.by_verb(),
        d.writes
    );
    println!("  by resource: {}", d.by_resource(1.0));
    tokio::time::sleep(Duration::from_secs(3)).await;

    // 2. Latency: the lat-* canaries, timed pauses and approvals.
    let old = tracker
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .stable_hashes("lat");
    write_repo(repo, sizes, "example/app:yellow", "example/app:blue");
    let before = counters.read().await;
    let passes0 = daemon.passes("bench").await;
    let mark = CpuMark::take(&[daemon.proc.pid, lk.proc.pid]);
    git(repo, &["commit", "-qam", "lat: yellow"]);
    wait_healthy(
        &tracker,
        "lat",
        sizes.lat_rollouts,
        &old,
        Duration::from_secs(60 + 4 * sizes.lat_pairs as u64),
        &daemon,
    )
    .await;
    let (wall, cpu) = mark.since();
    let d = counters.read().await.since(&before);
    let passes = daemon.passes("bench").await - passes0;
    let residual = |group: &str| -> Vec<Duration> {
        tracker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .residuals
            .iter()
            .filter(|(g, _)| g == group)
            .map(|r| r.1)
            .collect()
    };
    let (timed, approvals, sent) = {
        let t = tracker.lock().unwrap_or_else(|p| p.into_inner());
        let pick = |tr: Trigger| -> Vec<Duration> {
            t.samples
                .iter()
                .filter(|(g, k, _)| g == "lat" && *k == tr)
                .map(|s| s.2)
                .collect()
        };
        (
            pick(Trigger::Expiry),
            pick(Trigger::Approval),
            t.approvals_sent,
        )
    };
    let steps = (sizes.lat_rollouts * sizes.lat_pairs * 4) as f64;
    println!();
    println!(
        "== latency: {} rollouts x {} steps, done in {:.1} s",
        sizes.lat_rollouts,
        sizes.lat_pairs * 4,
        wall.as_secs_f64()
    );
    report_samples("pause expiry -> VirtualService write", &timed);
    report_samples("  less the start's dropped sub-second", &residual("lat"));
    report_samples("approval -> VirtualService write", &approvals);
    let all: Vec<Duration> = timed.iter().chain(&approvals).copied().collect();
    report_samples("both", &all);
    line(
        "pause expiry -> VS write p99",
        ms(percentile(&timed, 99.0)),
        "ms",
        Some(100.0),
    );
    line(
        "approval -> VS write p99",
        ms(percentile(&approvals, 99.0)),
        "ms",
        Some(100.0),
    );
    println!(
        "  daemon CPU {:.1} s, localkube CPU {:.1} s; {} requests ({}) incl. the bench's {sent} approvals; \
         {:.2} requests and {:.2} writes per step; {passes} sync passes",
        cpu[0].1.as_secs_f64(),
        cpu[1].1.as_secs_f64(),
        d.requests(),
        d.by_verb(),
        (d.requests() as f64 - sent as f64) / steps,
        d.writes as f64 / steps
    );
    println!("  per step by resource: {}", d.by_resource(steps));

    // 3. Load: every load-* rollout progresses at once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let old = tracker
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .stable_hashes("load");
    write_repo(repo, sizes, "example/app:yellow", "example/app:yellow");
    let (rss0, _) = rss_mib(daemon.proc.pid);
    let before = counters.read().await;
    let passes0 = daemon.passes("bench").await;
    let mark = CpuMark::take(&[daemon.proc.pid, lk.proc.pid]);
    let pid = daemon.proc.pid;
    let sampler = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        let mut series = vec![];
        loop {
            let (rss, _) = rss_mib(pid);
            peak = peak.max(rss);
            series.push(rss);
            tokio::time::sleep(Duration::from_millis(250)).await;
            if series.len() > 100_000 {
                return (peak, series);
            }
        }
    });
    git(repo, &["commit", "-qam", "load: yellow"]);
    let ideal = sizes.load_steps as u64 * sizes.load_pause;
    wait_healthy(
        &tracker,
        "load",
        sizes.rollouts,
        &old,
        Duration::from_secs(300 + 10 * ideal),
        &daemon,
    )
    .await;
    let (wall, cpu) = mark.since();
    let d = counters.read().await.since(&before);
    let passes = daemon.passes("bench").await - passes0;
    sampler.abort();
    let (rss_end, hwm) = rss_mib(daemon.proc.pid);
    let load: Vec<Duration> = tracker
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .samples
        .iter()
        .filter(|(g, _, _)| g == "load")
        .map(|s| s.2)
        .collect();
    let steps = (sizes.rollouts * sizes.load_steps * 2) as f64;
    let cores = cpu[0].1.as_secs_f64() / wall.as_secs_f64();
    println!();
    println!(
        "== load: {} rollouts x {} steps at once: all promoted after {:.1} s (pauses alone: {ideal} s)",
        sizes.rollouts,
        sizes.load_steps * 2,
        wall.as_secs_f64()
    );
    println!(
        "  daemon CPU {:.1} s ({:.2} cores on average, {:.1} ms per step); localkube CPU {:.1} s",
        cpu[0].1.as_secs_f64(),
        cores,
        ms(cpu[0].1) / steps,
        cpu[1].1.as_secs_f64()
    );
    line("daemon RSS, peak (VmHWM)", hwm, "MiB", Some(100.0));
    println!(
        "  daemon RSS before the commit {rss0:.0} MiB, at the end {rss_end:.0} MiB; localkube RSS {:.0} MiB",
        rss_mib(lk.proc.pid).0
    );
    println!(
        "  {} requests ({}), {:.2} requests per step, {:.2} writes per step (incl. localkube's pod simulator); \
         {passes} sync passes",
        d.requests(),
        d.by_verb(),
        d.requests() as f64 / steps,
        d.writes as f64 / steps
    );
    println!("  per step by resource: {}", d.by_resource(steps));
    report_samples("pause expiry -> VS write, under load", &load);
    report_samples("  less the start's dropped sub-second", &residual("load"));
    line(
        "under load: pause expiry -> VS write p99",
        ms(percentile(&load, 99.0)),
        "ms",
        Some(100.0),
    );
    let mut by_group: BTreeMap<&str, usize> = BTreeMap::new();
    for (g, _, _) in &tracker.lock().unwrap_or_else(|p| p.into_inner()).samples {
        *by_group
            .entry(if g == "lat" { "lat" } else { "load" })
            .or_default() += 1;
    }
    println!("  samples: {by_group:?}");
    w1.abort();
    w2.abort();
    tr.abort();
    drop(daemon);
}
