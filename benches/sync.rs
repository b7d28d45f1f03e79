//! Sync against localkube, with the figures:
//! - 5,000 objects in 500 files: cold sync time and the API requests it made;
//! - a no-change resync: writes (target 0) and CPU (target < 50 ms);
//! - push-to-applied latency of a one-object change with file watching, p50/p99 over 50 commits
//!   (target p50 < 500 ms), next to one bare kube-rs server-side apply in the same run.
//!
//! localkube runs in a child process (controllers off: Deployments stay objects, no Pods), so its CPU is
//! read apart. The cold sync and the resyncs drive `Syncer::sync` in this process (so the CPU read is
//! gitcanary's own); the latency runs the real daemon (`gitcanary run`, another child) on the same
//! repository and cluster.
//!
//! Sizes: GITCANARY_BENCH_FILES (500), GITCANARY_BENCH_PER_FILE (10), GITCANARY_BENCH_COMMITS (50),
//! GITCANARY_BENCH_RESYNCS (10), GITCANARY_BENCH_SSA (50).
//!
//! Run: `cargo bench --bench sync`. Prints figures and ratios to the targets; asserts no timing.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use gitcanary::source::signature::Signers;
use gitcanary::source::{Follower, Limits, Poll, SourceConfig};
use gitcanary::sync::engine::{SyncConfig, Syncer};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use serde_json::json;

const SOURCE: &str = "bench";
const NAMESPACES: usize = 20;

struct Sizes {
    files: usize,
    per_file: usize,
    commits: usize,
    resyncs: usize,
    ssa: usize,
}

/// A Deployment of about 1 KiB of YAML.
fn deployment(name: &str, ns: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, tier: backend, owner: {ns}}}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, tier: backend}}
      annotations: {{sidecar.istio.io/inject: \"true\"}}
    spec:
      containers:
      - name: app
        image: {image}
        ports: [{{name: http, containerPort: 8080, protocol: TCP}}]
        env:
        - {{name: LOG_LEVEL, value: info}}
        - {{name: FEATURE_FLAGS, value: \"a,b,c\"}}
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
          limits: {{cpu: 500m, memory: 256Mi}}
        readinessProbe:
          httpGet: {{path: /healthz, port: http}}
          periodSeconds: 5
"
    )
}

fn service(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, owner: {ns}}}
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: 80, targetPort: http, protocol: TCP}}
  - {{name: metrics, port: 9090, targetPort: 9090, protocol: TCP}}
"
    )
}

fn configmap(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, owner: {ns}}}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: \"a,b,c\"
  application.yaml: |
    server:
      port: 8080
      shutdownGracePeriod: 30s
    database:
      url: postgres://db.{ns}.svc:5432/{name}
      pool: 10
    cache:
      ttl: 300s
"
    )
}

/// File `f`: objects 0-3 Deployments, 4-6 Services, 7-9 ConfigMaps (repeating for larger files).
/// `bump` gives object 0's image tag.
fn file_text(f: usize, per_file: usize, bump: usize) -> String {
    let ns = format!("team-{:02}", f % NAMESPACES);
    let docs: Vec<String> = (0..per_file)
        .map(|i| {
            let name = format!("app-{f}-{i}");
            match i % 10 {
                0..=3 => {
                    let tag = if i == 0 { bump } else { 1 };
                    deployment(&name, &ns, &format!("registry.example.com/app:v{tag}"))
                }
                4..=6 => service(&name, &ns),
                _ => configmap(&name, &ns),
            }
        })
        .collect();
    docs.join("---\n")
}

fn file_path(f: usize) -> String {
    format!("deploy/team-{:02}/file-{f:03}.yaml", f % NAMESPACES)
}

fn source_config(url: &str, cache: &Path) -> SourceConfig {
    SourceConfig {
        name: SOURCE.into(),
        url: url.into(),
        branch: "main".into(),
        path: "deploy".into(),
        cache_dir: cache.to_owned(),
        interval: Duration::from_secs(3600),
        credentials: Default::default(),
        signers: Signers::default(),
        limits: Limits::default(),
        watch_local: false,
    }
}

fn sync_config() -> SyncConfig {
    SyncConfig {
        source: SOURCE.into(),
        namespace: "default".into(),
        inventory_namespace: "default".into(),
        allow_empty: false,
        self_heal: true,
    }
}

const COUNTED: &[(&str, &str)] = &[
    ("patch", "deployments"),
    ("patch", "services"),
    ("patch", "configmaps"),
    ("create", "events"),
    ("patch", "events"),
    ("get", "configmaps"),
];

fn main() {
    serve_localkube_if_child();
    let heap_on = heap_accounting();
    let sizes = Sizes {
        files: env_usize("GITCANARY_BENCH_FILES", 500),
        per_file: env_usize("GITCANARY_BENCH_PER_FILE", 10),
        commits: env_usize("GITCANARY_BENCH_COMMITS", 50),
        resyncs: env_usize("GITCANARY_BENCH_RESYNCS", 10),
        ssa: env_usize("GITCANARY_BENCH_SSA", 50),
    };
    let objects = sizes.files * sizes.per_file;
    let work = tmp();
    let repo = work.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap_or_else(|e| panic!("{e}"));
    init_repo(&repo);
    for f in 0..sizes.files {
        write(&repo, &file_path(f), &file_text(f, sizes.per_file, 1));
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "manifests"]);
    println!(
        "sync bench: {objects} objects in {} files ({} namespaces), {} resyncs, {} commits, {} bare applies; \
         localkube in a child process (pid below), 2 cores",
        sizes.files, NAMESPACES, sizes.resyncs, sizes.commits, sizes.ssa
    );

    let lk = Localkube::start(
        &LocalkubeOpts {
            controllers: false,
            crds: false,
            ready_delay: Duration::from_millis(100),
        },
        work.path(),
    );
    println!("localkube pid {}", lk.proc.pid);

    // Phase A: the syncer in this process.
    let rt = runtime();
    rt.block_on(in_process(
        &lk,
        &repo,
        work.path(),
        &sizes,
        objects,
        heap_on,
    ));
    // Its watches end with the runtime.
    drop(rt);

    // Phase B: the daemon, file watching.
    let rt = runtime();
    rt.block_on(daemon_latency(&lk, &repo, work.path(), &sizes));
    drop(rt);
}

fn report_pass(what: &str, wall: Duration, own_cpu: Duration, lk_cpu: Duration, d: &Delta) {
    println!(
        "{what}: wall {:.1} ms, gitcanary CPU {:.1} ms, localkube CPU {:.1} ms, {} requests ({}), {} writes",
        ms(wall),
        ms(own_cpu),
        ms(lk_cpu),
        d.requests(),
        d.by_verb(),
        d.writes
    );
}

async fn in_process(
    lk: &Localkube,
    repo: &Path,
    dir: &Path,
    sizes: &Sizes,
    objects: usize,
    heap_on: bool,
) {
    let client = client(&lk.kubeconfig).await;
    let ns_api: Api<Namespace> = Api::all(client.clone());
    for i in 0..NAMESPACES {
        let ns: Namespace =
            serde_json::from_value(json!({"metadata": {"name": format!("team-{i:02}")}}))
                .unwrap_or_else(|e| panic!("{e}"));
        ns_api
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("namespace: {e}"));
    }
    let counters = Counters::install(&client, COUNTED).await;

    // The snapshot, as the follower builds it (timed in the source bench).
    let cache = dir.join("cache-inprocess");
    let heap0 = heap_mib();
    let mut follower = Follower::new(source_config(&repo.display().to_string(), &cache))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(follower.poll(), Poll::NewSnapshot);
    let snap = follower
        .status()
        .snapshot
        .clone()
        .unwrap_or_else(|| panic!("no snapshot"));
    assert_eq!(snap.objects.len(), objects);
    let heap_snapshot = heap_mib() - heap0;
    let me = std::process::id();
    let pids = [me, lk.proc.pid];

    // Cold sync.
    let mut syncer = Syncer::new(client.clone(), sync_config());
    let heap1 = heap_mib();
    heap_peak_mib_reset();
    let before = counters.read().await;
    let mark = CpuMark::take(&pids);
    let report = syncer
        .sync(&snap)
        .await
        .unwrap_or_else(|e| panic!("cold sync: {e}"));
    let (wall, cpu) = mark.since();
    let d = counters.read().await.since(&before);
    assert_eq!(report.applied, objects);
    println!();
    println!("== cold sync of {objects} objects (Syncer::sync, empty cluster)");
    report_pass("cold sync", wall, cpu[0].0, cpu[1].0, &d);
    println!(
        "  per object: {:.2} requests, {:.2} writes; {}",
        d.requests() as f64 / objects as f64,
        d.writes as f64 / objects as f64,
        d.by_resource(objects as f64)
    );
    line("cold sync wall time", ms(wall), "ms", None);
    let cold_peak = heap_peak_mib_reset() - heap1;
    let heap_synced = heap_mib() - heap1;

    // No-change resyncs: what the daemon does on its resync tick or a drift notification.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!();
    println!(
        "== no-change resync (same snapshot, warm syncer), {} passes",
        sizes.resyncs
    );
    let mut walls = vec![];
    let mut cpus = vec![];
    let mut lk_cpus = vec![];
    let mut total = Delta::default();
    let heap2 = heap_mib();
    heap_peak_mib_reset();
    for _ in 0..sizes.resyncs {
        let before = counters.read().await;
        let mark = CpuMark::take(&pids);
        let report = syncer
            .sync(&snap)
            .await
            .unwrap_or_else(|e| panic!("resync: {e}"));
        let (wall, cpu) = mark.since();
        let d = counters.read().await.since(&before);
        assert_eq!(report.applied, 0, "a no-change resync applied objects");
        walls.push(wall);
        cpus.push(cpu[0].0);
        lk_cpus.push(cpu[1].0);
        total.writes += d.writes;
        for (k, v) in d.counts {
            *total.counts.entry(k).or_default() += v;
        }
    }
    let resync_peak = heap_peak_mib_reset() - heap2;
    println!("  wall            {}", dist(&walls));
    println!("  gitcanary CPU   {}", dist(&cpus));
    println!("  localkube CPU   {}", dist(&lk_cpus));
    println!(
        "  requests {} ({}) and writes {} over {} passes",
        total.requests(),
        total.by_verb(),
        total.writes,
        sizes.resyncs
    );
    line(
        "no-change resync: writes per pass",
        total.writes as f64 / sizes.resyncs.max(1) as f64,
        "",
        None,
    );
    println!(
        "  target: zero writes -> {}",
        if total.writes == 0 { "met" } else { "MISSED" }
    );
    line(
        "no-change resync: gitcanary CPU per pass (p50)",
        ms(percentile(&cpus, 50.0)),
        "ms",
        Some(50.0),
    );
    line(
        "no-change resync: gitcanary CPU per pass (max)",
        ms(percentile(&cpus, 100.0)),
        "ms",
        Some(50.0),
    );

    println!();
    if !heap_on {
        println!(
            "== heap of this process: not counted (GITCANARY_BENCH_HEAP=1 counts it, at some CPU cost)"
        );
    } else {
        println!(
            "== heap of this process (counting allocator): snapshot of {objects} objects {heap_snapshot:.0} MiB; \
         syncer state after the cold sync {heap_synced:.0} MiB (transient peak during it +{cold_peak:.0} MiB); \
         transient peak during a no-change resync +{resync_peak:.0} MiB"
        );
    }

    // One-object changes in this process: the source layer's part and the sync pass's part.
    let mut polls = vec![];
    let mut poll_cpu = vec![];
    let mut passes = vec![];
    let mut pass_cpu = vec![];
    let mut total = Delta::default();
    let n = sizes.commits.clamp(1, 5);
    for k in 0..n {
        let f = (k * 7 + 3) % sizes.files;
        write(repo, &file_path(f), &file_text(f, sizes.per_file, 50 + k));
        git(repo, &["commit", "-qam", &format!("in-process change {k}")]);
        let mark = CpuMark::take(&[me]);
        assert_eq!(follower.poll(), Poll::NewSnapshot);
        let (wall, cpu) = mark.since();
        polls.push(wall);
        poll_cpu.push(cpu[0].0);
        let snap = follower
            .status()
            .snapshot
            .clone()
            .unwrap_or_else(|| panic!("no snapshot"));
        let before = counters.read().await;
        let mark = CpuMark::take(&[me]);
        let report = syncer
            .sync(&snap)
            .await
            .unwrap_or_else(|e| panic!("one-object sync: {e}"));
        let (wall, cpu) = mark.since();
        assert_eq!(report.applied, 1);
        passes.push(wall);
        pass_cpu.push(cpu[0].0);
        let d = counters.read().await.since(&before);
        total.writes += d.writes;
        for (k, v) in d.counts {
            *total.counts.entry(k).or_default() += v;
        }
    }
    println!();
    println!("== one-object change in this process ({n} commits): where push-to-applied goes");
    println!(
        "  Follower::poll (fetch, parse the changed file, hash)  wall {}",
        dist(&polls)
    );
    println!(
        "                                                       CPU  {}",
        dist(&poll_cpu)
    );
    println!(
        "  Syncer::sync (plan, dry-run, apply, event)           wall {}",
        dist(&passes)
    );
    println!(
        "                                                       CPU  {}",
        dist(&pass_cpu)
    );
    println!(
        "  per change: {:.1} requests ({}), {:.1} writes",
        total.requests() as f64 / n as f64,
        total.by_verb(),
        total.writes as f64 / n as f64
    );

    // A restarted daemon's first pass over the same cluster: fresh caches, everything in sync.
    let before = counters.read().await;
    let mark = CpuMark::take(&pids);
    let mut fresh = Syncer::new(client.clone(), sync_config());
    let report = fresh
        .sync(&snap)
        .await
        .unwrap_or_else(|e| panic!("restart pass: {e}"));
    let (wall, cpu) = mark.since();
    let d = counters.read().await.since(&before);
    println!();
    report_pass(
        &format!(
            "== restart pass (new Syncer, cluster in sync; applied {})",
            report.applied
        ),
        wall,
        cpu[0].0,
        cpu[1].0,
        &d,
    );
    drop(fresh);
    drop(syncer);
}

/// (namespace, name, image) of Deployment changes, with the instant this process saw them.
type Seen = (Instant, String, String, String);

async fn daemon_latency(lk: &Localkube, repo: &Path, dir: &Path, sizes: &Sizes) {
    let client = client(&lk.kubeconfig).await;
    let counters = Counters::install(&client, COUNTED).await;

    // Watch every Deployment of the source; forward changes with the instant they arrived.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Seen>();
    let deployments: Api<Deployment> = Api::all(client.clone());
    let cfg = watcher::Config::default().labels(&format!("gitcanary.dev/source={SOURCE}"));
    let watch_task = tokio::spawn(async move {
        let mut stream = watcher(deployments, cfg).boxed();
        while let Some(ev) = stream.next().await {
            if let Ok(watcher::Event::Apply(d)) = ev {
                let at = Instant::now();
                let image = d
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.spec.as_ref())
                    .and_then(|s| s.containers.first())
                    .and_then(|c| c.image.clone())
                    .unwrap_or_default();
                let _ = tx.send((
                    at,
                    d.metadata.namespace.unwrap_or_default(),
                    d.metadata.name.unwrap_or_default(),
                    image,
                ));
            }
        }
    });

    // Start the daemon on the synced cluster (same source name: its inventory and labels).
    let before = counters.read().await;
    let lk_mark = CpuMark::take(&[lk.proc.pid]);
    let started = Instant::now();
    let daemon = DaemonProc::start(&lk.kubeconfig, repo, dir, SOURCE);
    let deadline = Instant::now() + Duration::from_secs(300);
    while daemon.passes(SOURCE).await < 1 {
        assert!(
            Instant::now() < deadline,
            "daemon did not finish its first pass\n{}",
            daemon.proc.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first_pass = started.elapsed();
    let daemon_cpu = cpu_ticks(daemon.proc.pid);
    let (_, lk_cpu) = lk_mark.since();
    let d = counters.read().await.since(&before);
    println!();
    println!(
        "== daemon start on the synced cluster (clone, parse, watch lists, plan): first pass done after {:.0} ms; \
         daemon CPU {:.0} ms, localkube CPU {:.0} ms, {} requests ({}), {} writes",
        ms(first_pass),
        ms(daemon_cpu),
        ms(lk_cpu[0].1),
        d.requests(),
        d.by_verb(),
        d.writes
    );
    // Let the start settle (initial watch events, the rollout controller's caches).
    tokio::time::sleep(Duration::from_secs(2)).await;
    while rx.try_recv().is_ok() {}
    let (rss_start, _) = rss_mib(daemon.proc.pid);

    let mut latencies = vec![];
    let mut pass_done = vec![];
    let mut git_commit = vec![];
    let mut extra_passes = 0;
    let before = counters.read().await;
    let mark = CpuMark::take(&[daemon.proc.pid, lk.proc.pid]);
    for k in 0..sizes.commits {
        let f = (k * 7) % sizes.files;
        let ns = format!("team-{:02}", f % NAMESPACES);
        let name = format!("app-{f}-0");
        let tag = 100 + k;
        let image = format!("registry.example.com/app:v{tag}");
        write(repo, &file_path(f), &file_text(f, sizes.per_file, tag));
        git(repo, &["add", "-A"]);
        let passes = daemon.passes(SOURCE).await;
        let t0 = Instant::now();
        git(
            repo,
            &["commit", "-q", "-m", &format!("bump {name} to v{tag}")],
        );
        let committed = Instant::now();
        git_commit.push(committed - t0);
        let seen = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some((at, sns, sname, simage)) = rx.recv().await {
                if sns == ns && sname == name && simage == image {
                    return Some(at);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            panic!(
                "commit {k} not applied within 30s\n{}",
                daemon.proc.log_tail()
            )
        });
        latencies.push(seen.saturating_duration_since(committed));
        // The pass goes on after the apply (events, inventory): wait for its end before the next.
        let deadline = Instant::now() + Duration::from_secs(30);
        while daemon.passes(SOURCE).await <= passes && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        pass_done.push(committed.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
        extra_passes += daemon.passes(SOURCE).await.saturating_sub(passes + 1);
    }
    let (wall, cpu) = mark.since();
    let d = counters.read().await.since(&before);
    let n = sizes.commits.max(1) as f64;

    // One bare server-side apply of a Deployment of the same size, same client, same cluster.
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "default",
        &kube::discovery::ApiResource::erase::<Deployment>(&()),
    );
    let pp = PatchParams::apply("bench").force();
    let mut bare = vec![];
    for k in 0..=sizes.ssa {
        let yaml = deployment(
            "bare-ssa",
            "default",
            &format!("registry.example.com/app:b{k}"),
        );
        let body: serde_json::Value = serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{e}"));
        let t = Instant::now();
        api.patch("bare-ssa", &pp, &Patch::Apply(&body))
            .await
            .unwrap_or_else(|e| panic!("bare apply: {e}"));
        if k > 0 {
            bare.push(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watch_task.abort();

    println!();
    println!(
        "== push-to-applied, one Deployment image per commit, file watching ({} commits)",
        sizes.commits
    );
    println!("  commit -> change seen by a watch   {}", dist(&latencies));
    println!("  commit -> daemon's pass finished   {}", dist(&pass_done));
    println!("  (the `git commit` itself, before)  {}", dist(&git_commit));
    println!("  bare kube-rs server-side apply     {}", dist(&bare));
    println!(
        "  per commit: daemon CPU {:.1} ms, localkube CPU {:.1} ms, {:.1} requests ({}), {:.1} writes; \
         extra passes (drift seen in own writes) {extra_passes}; window {:.1} s",
        ms(cpu[0].1) / n,
        ms(cpu[1].1) / n,
        d.requests() as f64 / n,
        d.by_verb(),
        d.writes as f64 / n,
        wall.as_secs_f64()
    );
    println!("  per commit by resource: {}", d.by_resource(n));
    let p50 = ms(percentile(&latencies, 50.0));
    line("push-to-applied p50", p50, "ms", Some(500.0));
    line(
        "push-to-applied p99",
        ms(percentile(&latencies, 99.0)),
        "ms",
        None,
    );
    let ssa50 = ms(percentile(&bare, 50.0));
    line("bare server-side apply p50", ssa50, "ms", None);
    println!(
        "push-to-applied p50 / bare apply p50: {:.0}x (gitcanary's own overhead {:.1} ms)",
        p50 / ssa50.max(0.001),
        p50 - ssa50
    );
    let (rss, hwm) = rss_mib(daemon.proc.pid);
    let (lrss, lhwm) = rss_mib(lk.proc.pid);
    println!(
        "daemon RSS {rss:.0} MiB (peak {hwm:.0}; {rss_start:.0} after its first pass); \
         localkube RSS {lrss:.0} MiB (peak {lhwm:.0})"
    );
}
