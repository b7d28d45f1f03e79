//! The life of one source: whenever the follower publishes a new snapshot, drift is seen, or the
//! resync interval passes, run a sync pass and publish the resulting state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{Instrument, info_span, warn};

use super::engine::{SyncError, Syncer};
use super::metrics::{ResultLabel, SyncMetrics};
use super::status::{CommitRef, ObjectState, Phase, SourceState};
use crate::source::{CommitInfo, FollowerHandle, Snapshot, SourceConfig, Trigger};

/// What the rest of the daemon sees of a running source.
#[derive(Clone)]
pub struct SourceHandle {
    pub name: String,
    pub state: watch::Receiver<SourceState>,
    /// The snapshot in force (the rollout controller reads commit ids and approvals from it).
    pub snapshot: watch::Receiver<Option<Arc<Snapshot>>>,
    /// The snapshot being applied, published before its first write: the rollout controller can
    /// see a Rollout change before the pass ends, and must then attribute it to this commit, not
    /// to the one still in force.
    pub applying: watch::Receiver<Option<Arc<Snapshot>>>,
    /// Fetch now (the webhook fires it).
    pub trigger: Trigger,
    /// The local Git mirror (read by the rollout controller for commit ancestry).
    pub mirror: std::path::PathBuf,
    /// Namespace of objects (and approval targets) that name none.
    pub namespace: String,
}

fn commit_ref(c: &CommitInfo) -> CommitRef {
    CommitRef {
        id: c.id.clone(),
        message: c.summary.clone(),
        author: c.author.clone(),
        time: c.time,
    }
}

/// Starts the loop; it ends after the pass in flight when `shutdown` turns true.
pub fn spawn(
    follower: FollowerHandle,
    mut syncer: Syncer,
    source: &SourceConfig,
    metrics: SyncMetrics,
    resync: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> (SourceHandle, JoinHandle<()>) {
    let initial = SourceState {
        name: source.name.clone(),
        repo: crate::source::credentials::redact_userinfo(&source.url),
        branch: source.branch.clone(),
        path: source.path.display().to_string(),
        ..Default::default()
    };
    let (state_tx, state_rx) = watch::channel(initial);
    let (snap_tx, snap_rx) = watch::channel(None);
    let (applying_tx, applying_rx) = watch::channel(None);
    let handle = SourceHandle {
        name: source.name.clone(),
        state: state_rx,
        snapshot: snap_rx,
        applying: applying_rx,
        trigger: follower.trigger.clone(),
        mirror: crate::source::fetch::mirror_path(&source.cache_dir, &source.url, &source.branch),
        namespace: syncer.config().namespace.clone(),
    };
    let name = source.name.clone();
    let mut status_rx = follower.status.clone();
    let task = tokio::spawn(
        async move {
            let _follower_task = follower.task;
            let drift = syncer.live.drift.clone();
            let mut applied: Option<([u8; 32], String)> = None;
            let mut drifted = false;
            let label = metrics.source(&name);
            loop {
                let st = status_rx.borrow_and_update().clone();
                state_tx.send_modify(|s| {
                    s.fetched_commit = match (&st.fetched, &st.snapshot) {
                        (Some(f), Some(snap)) if f.id == snap.commit.id => Some(commit_ref(&snap.commit)),
                        (Some(f), _) => Some(CommitRef { id: f.id.clone(), message: String::new(), author: String::new(), time: f.at }),
                        (None, _) => s.fetched_commit.clone(),
                    };
                });
                if let Some(snap) = st.snapshot.clone() {
                    let key = (snap.digest, snap.commit.id.clone());
                    let changed = applied.as_ref() != Some(&key);
                    if changed || drifted {
                        let heal = changed || syncer.config().self_heal;
                        drifted = false;
                        let started = Instant::now();
                        if changed {
                            applying_tx.send_replace(Some(snap.clone()));
                        }
                        let result = if heal { syncer.sync(&snap).await.map(Outcome::Synced) } else { check_only(&mut syncer, &snap).await };
                        metrics.duration.get_or_create(&label).observe(started.elapsed().as_secs_f64());
                        let ok = result.is_ok();
                        metrics
                            .results
                            .get_or_create(&ResultLabel { source: name.clone(), result: if ok { "success" } else { "failure" }.into() })
                            .inc();
                        match result {
                            Ok(Outcome::Synced(report)) => {
                                applied = Some(key);
                                metrics.applied.get_or_create(&label).inc_by(report.applied as u64);
                                metrics.pruned.get_or_create(&label).inc_by(report.pruned as u64);
                                metrics.last_applied_commit_timestamp.get_or_create(&label).set(snap.commit.time.timestamp());
                                let _ = snap_tx.send(Some(snap.clone()));
                                if report.applied + report.pruned > 0 {
                                    crate::allocator::trim_soon();
                                }
                                state_tx.send_modify(|s| {
                                    s.applied_commit = Some(commit_ref(&snap.commit));
                                    s.phase = Phase::Synced;
                                    s.message.clear();
                                    s.last_sync = Some(chrono::Utc::now());
                                    s.objects = report.objects.clone();
                                    s.objects.sort_by(|a, b| a.obj_ref.cmp(&b.obj_ref));
                                    s.ignored = report.ignored.clone();
                                });
                            }
                            Ok(Outcome::InSync) => {}
                            Ok(Outcome::Drifted) => state_tx.send_modify(|s| {
                                s.phase = Phase::OutOfSync;
                                s.message = "live objects differ from Git and self-heal is off".into();
                            }),
                            Err(e) => {
                                warn!(error = %e, "sync failed; the cluster keeps its previous state");
                                state_tx.send_modify(|s| {
                                    s.phase = Phase::Failed;
                                    s.message = e.to_string();
                                    s.last_sync = Some(chrono::Utc::now());
                                    if let SyncError::DryRun { failures, .. } | SyncError::Apply { failures, .. } = &e {
                                        for f in failures {
                                            if let Some(o) = s.objects.iter_mut().find(|o| o.obj_ref.to_string() == f.object) {
                                                o.state = ObjectState::Failed;
                                                o.message = Some(f.message.clone());
                                            }
                                        }
                                    }
                                });
                            }
                        }
                    }
                }
                // A refused newer commit is a failure even though the previous snapshot stays applied.
                if let Some(err) = &st.error {
                    state_tx.send_modify(|s| {
                        s.phase = Phase::Failed;
                        s.message = err.error.to_string();
                    });
                }
                tokio::select! {
                    r = status_rx.changed() => if r.is_err() { return },
                    _ = drift.notified() => {
                        // Coalesce a burst of changes (e.g. a rollout step touching several objects).
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        drifted = true;
                    }
                    _ = tokio::time::sleep(resync) => drifted = true,
                    _ = shutdown.changed() => return,
                }
                if *shutdown.borrow() {
                    return;
                }
            }
        }
        .instrument(info_span!("sync", source = %source.name)),
    );
    (handle, task)
}

enum Outcome {
    Synced(super::engine::PassReport),
    InSync,
    Drifted,
}

/// With self-heal off, drift is only reported: plan, and say whether anything would change.
async fn check_only(syncer: &mut Syncer, snap: &Snapshot) -> Result<Outcome, SyncError> {
    let plan = syncer.plan(snap).await?.plan;
    Ok(if plan.apply.is_empty() && plan.prune.is_empty() {
        Outcome::InSync
    } else {
        Outcome::Drifted
    })
}
