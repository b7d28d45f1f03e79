//! Source-layer timings on a repository of 5,000 manifests in 500 files (issue #3's figures):
//! - load and hash a fresh snapshot (fetch into an empty mirror, parse, hash);
//! - decide that a commit touching no manifest changes nothing (target < 20 ms);
//! - a commit changing one file;
//! - from a local commit to the new snapshot with file watching (target < 300 ms).
//!
//! Run with `cargo bench --bench source`. Prints figures and their ratio to the targets; asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gitcanary::source::manifest::git::load_tree;
use gitcanary::source::signature::Signers;
use gitcanary::source::{Follower, Limits, Poll, SourceConfig, follow};

const FILES: usize = 500;
const PER_FILE: usize = 10;
const RUNS: usize = 7;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
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

/// A Deployment-sized object (about 1 KiB of YAML).
fn manifest(file: usize, i: usize, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{file}-{i}
  namespace: team-{ns}
  labels: {{app: app-{file}-{i}, tier: backend, owner: team-{ns}}}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: app-{file}-{i}}}
  template:
    metadata:
      labels: {{app: app-{file}-{i}, tier: backend}}
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
",
        ns = file % 20
    )
}

fn write_file(repo: &Path, file: usize, image: &str) {
    let docs: Vec<String> = (0..PER_FILE).map(|i| manifest(file, i, image)).collect();
    let path = repo.join(format!("deploy/team-{:02}/file-{file:03}.yaml", file % 20));
    std::fs::create_dir_all(path.parent().unwrap_or(repo)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path, docs.join("---\n")).unwrap_or_else(|e| panic!("{e}"));
}

fn config(url: &str, cache: &Path, watch: bool) -> SourceConfig {
    SourceConfig {
        name: "bench".into(),
        url: url.into(),
        branch: "main".into(),
        path: "deploy".into(),
        cache_dir: cache.to_owned(),
        interval: Duration::from_secs(3600),
        credentials: Default::default(),
        signers: Signers::default(),
        limits: Limits::default(),
        watch_local: watch,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, d: Duration, target_ms: Option<f64>) {
    match target_ms {
        Some(target) => println!(
            "{what:<58} {:>9.2} ms   target {target:>5.0} ms   ratio {:.3}",
            ms(d),
            ms(d) / target
        ),
        None => println!("{what:<58} {:>9.2} ms", ms(d)),
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn main() {
    let repo_dir = tmp();
    let repo = repo_dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    for file in 0..FILES {
        write_file(repo, file, "registry.example.com/app:v1");
    }
    std::fs::write(repo.join("README.md"), "bench\n").unwrap_or_else(|e| panic!("{e}"));
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "5000 manifests"]);
    let url = repo.display().to_string();
    println!(
        "repository: {FILES} files, {} manifests, {RUNS} runs each, median shown",
        FILES * PER_FILE
    );

    // 1. Fresh snapshot: empty mirror, fetch, parse, hash.
    let mut fresh = Vec::new();
    let mut parse_only = Vec::new();
    for _ in 0..RUNS {
        let cache = tmp();
        let started = Instant::now();
        let mut follower =
            Follower::new(config(&url, cache.path(), false)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(follower.poll(), Poll::NewSnapshot);
        fresh.push(started.elapsed());
        let count = follower
            .status()
            .snapshot
            .as_ref()
            .map_or(0, |s| s.objects.len());
        assert_eq!(count, FILES * PER_FILE);

        let mirror = git2::Repository::open(repo).unwrap_or_else(|e| panic!("{e}"));
        let head = mirror
            .head()
            .and_then(|h| h.peel_to_tree())
            .unwrap_or_else(|e| panic!("{e}"));
        let started = Instant::now();
        let load = load_tree(
            &mirror,
            &head,
            Path::new("deploy"),
            Limits::default(),
            &Default::default(),
        );
        parse_only.push(started.elapsed());
        assert!(load.is_ok());
    }
    report(
        "fresh snapshot (fetch into empty mirror + parse + hash)",
        median(fresh),
        None,
    );
    report(
        "  of which: walk + parse + hash 5,000 objects",
        median(parse_only),
        None,
    );

    // 2. and 3. Commits on a warm follower.
    let cache = tmp();
    let mut follower =
        Follower::new(config(&url, cache.path(), false)).unwrap_or_else(|e| panic!("{e}"));
    follower.poll();
    let mut unchanged = Vec::new();
    let mut one_file = Vec::new();
    let mut no_commit = Vec::new();
    for run in 0..RUNS {
        std::fs::write(repo.join("README.md"), format!("run {run}\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        git(
            repo,
            &[
                "commit",
                "-q",
                "-am",
                &format!("docs {run}\n\nPromote: app-1-1"),
            ],
        );
        let started = Instant::now();
        assert_eq!(follower.poll(), Poll::NewSnapshot);
        unchanged.push(started.elapsed());

        let started = Instant::now();
        assert_eq!(follower.poll(), Poll::Unchanged);
        no_commit.push(started.elapsed());

        write_file(repo, run, &format!("registry.example.com/app:v{}", run + 2));
        git(repo, &["commit", "-q", "-am", &format!("image {run}")]);
        let started = Instant::now();
        assert_eq!(follower.poll(), Poll::NewSnapshot);
        one_file.push(started.elapsed());
    }
    report("poll, no new commit (fetch only)", median(no_commit), None);
    report(
        "new commit touching no manifest -> snapshot, nothing changed",
        median(unchanged),
        Some(20.0),
    );
    report(
        "new commit changing 1 of 500 files -> snapshot",
        median(one_file),
        None,
    );
    drop(follower);

    // 4. Local commit to snapshot with file watching.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let (latency, commit_cost) = runtime.block_on(async {
        let cache = tmp();
        let mut handle = follow(config(&url, cache.path(), true)).unwrap_or_else(|e| panic!("{e}"));
        let _ = handle.status.wait_for(|s| s.snapshot.is_some()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut latency = Vec::new();
        let mut commit_cost = Vec::new();
        for run in 0..RUNS {
            write_file(repo, 100 + run, &format!("registry.example.com/app:w{run}"));
            let before = Instant::now();
            git(repo, &["commit", "-q", "-am", &format!("watched {run}")]);
            let committed = Instant::now();
            commit_cost.push(committed - before);
            let head = git2::Repository::open(repo)
                .and_then(|r| {
                    r.head()
                        .and_then(|h| h.peel_to_commit())
                        .map(|c| c.id().to_string())
                })
                .unwrap_or_else(|e| panic!("{e}"));
            let seen = tokio::time::timeout(
                Duration::from_secs(10),
                handle
                    .status
                    .wait_for(|s| s.snapshot.as_ref().is_some_and(|s| s.commit.id == head)),
            )
            .await
            .is_ok_and(|r| r.is_ok());
            assert!(seen, "watched commit not seen within 10s");
            latency.push(committed.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        handle.task.abort();
        (median(latency), median(commit_cost))
    });
    report(
        "local commit -> new snapshot, file watching",
        latency,
        Some(300.0),
    );
    report(
        "  (the `git commit` itself, not included above)",
        commit_cost,
        None,
    );
}
