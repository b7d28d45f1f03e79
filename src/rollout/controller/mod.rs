//! The rollout controller's I/O loop: watch caches in, `decide`, actions out. Everything that is a
//! decision lives in `crate::rollout::decide`; this loop only gathers inputs and writes outputs.

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::reflector::ObjectRef;
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, info_span, warn};

use crate::api::Rollout;
use crate::cluster::Clusters;
use crate::sync::runner::SourceHandle;

pub mod analysis_run;
pub mod book;
pub mod caches;
pub mod events;
pub mod execute;
pub mod history;
pub mod observe;
pub mod queue;

use book::Book;
use caches::Caches;
use execute::{Exec, ExecError};
use queue::{Key, Queue};

/// Runs until `shutdown` turns true. VirtualServices and DestinationRules are read and written on
/// `clusters.mesh()` (ASM: the mesh control plane; otherwise the main cluster), everything else,
/// Events included, on the main cluster.
pub async fn run(
    clusters: Clusters,
    sources: Arc<Vec<SourceHandle>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = clusters.main().clone();
    let queue = Arc::new(Queue::default());
    let caches = Arc::new(Caches::start(&client, clusters.mesh(), queue.clone()).await);
    let book = Book::new(&sources);
    book::spawn_feed(book.clone(), &sources, queue.clone());
    let (events, publishing) =
        events::EventSink::start(crate::recorder::Recorder::new(client.clone(), "gitcanary"));
    let exec = Exec {
        events,
        client,
        clusters,
        caches,
        reported: Default::default(),
    };
    let written = Arc::new(std::sync::Mutex::new(Written::default()));
    let workers = Arc::new(tokio::sync::Semaphore::new(WORKERS));
    let mut running = tokio::task::JoinSet::new();
    tracing::info!(workers = WORKERS, "rollout controller running");
    loop {
        let key = tokio::select! {
            k = queue.next() => k,
            _ = shutdown.changed() => break,
        };
        let Ok(permit) = workers.clone().acquire_owned().await else {
            break;
        };
        let (exec, book, written, queue) =
            (exec.clone(), book.clone(), written.clone(), queue.clone());
        let span = info_span!("rollout", rollout = %format!("{}/{}", key.0, key.1));
        running.spawn(
            async move {
                let outcome = reconcile(&key, &book, &exec, &written).await;
                queue.done(&key);
                match outcome {
                    Ok(Some(after)) => queue.push(key, Instant::now() + after),
                    Ok(None) => {}
                    Err(ExecError::Stale { object }) => {
                        tracing::debug!(%object, "stale write; reconciling again");
                        queue.push(key, Instant::now() + Duration::from_millis(50));
                    }
                    Err(e) => {
                        warn!(error = %e, "rollout reconcile failed; retrying");
                        queue.push(key, Instant::now() + Duration::from_secs(2));
                    }
                }
                drop(permit);
            }
            .instrument(span),
        );
        // Reap finished workers so the set does not grow with every reconcile.
        while running.try_join_next().is_some() {}
    }
    // Reconciles in flight finish their writes: a half-executed decision is safe to redo, but
    // finishing it keeps a stop from leaving a step half-taken.
    while running.join_next().await.is_some() {}
    drop(exec);
    let mut publishing = publishing;
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while publishing.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        warn!("Events still unpublished after 5s; dropping them");
    }
}

/// Rollouts reconciled at once. Reconciles spend their time waiting on the API server, so a few
/// workers hide that latency when many pauses end in the same second; more would only queue at the
/// server.
const WORKERS: usize = 16;

/// The status this loop wrote last per Rollout, with the resourceVersion it replaced and the one it
/// produced: until the watch cache catches up, the cache still holds the replaced version, and
/// deciding on it would repeat work (and fail the status write with a conflict). Only the status is
/// kept, not the whole Rollout the write returned: the spec did not change, and hundreds of Rollouts
/// step at once.
#[derive(Default)]
struct Written(std::collections::HashMap<Key, WrittenStatus>);

struct WrittenStatus {
    replaced: Option<String>,
    version: Option<String>,
    status: Option<crate::api::RolloutStatus>,
}

impl Written {
    /// The cached Rollout with the written status while the cache lags; forgets the written status
    /// once the cache has moved past the version it replaced.
    fn freshest(&mut self, key: &Key, cached: Arc<Rollout>) -> Arc<Rollout> {
        match self.0.get(key) {
            Some(w) if cached.metadata.resource_version == w.replaced => {
                let mut newer = (*cached).clone();
                newer.metadata.resource_version = w.version.clone();
                newer.status = w.status.clone();
                Arc::new(newer)
            }
            Some(_) => {
                self.0.remove(key);
                cached
            }
            None => cached,
        }
    }
}

fn lock_written(w: &std::sync::Mutex<Written>) -> std::sync::MutexGuard<'_, Written> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

async fn reconcile(
    key: &Key,
    book: &Book,
    exec: &Exec,
    written: &std::sync::Mutex<Written>,
) -> Result<Option<Duration>, ExecError> {
    let caches = &*exec.caches;
    let Some(cached) = caches.rollouts.get(&ObjectRef::new(&key.1).within(&key.0)) else {
        lock_written(written).0.remove(key);
        return Ok(None);
    };
    let rollout = lock_written(written).freshest(key, cached);
    if rollout.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    let mut observed = observe::observe(&rollout, caches, book).await;
    observed.reported_events = exec
        .reported
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let now = chrono::Utc::now();
    let decision = crate::rollout::decide(&observed, now);
    for e in &decision.errors {
        tracing::info!(error = %e, "rollout not progressing");
    }
    if !decision.actions.is_empty() {
        let step = decision.status.current_step_index;
        tracing::info!(?step, actions = decision.actions.len(), "acting");
        for a in &decision.actions {
            tracing::debug!(action = ?a, "action");
        }
    }
    let rv = exec.run(&rollout, &decision.actions).await?;
    prune_history(exec, &rollout, caches, &decision.status).await;
    let live = rollout.status.clone().unwrap_or_default();
    let wrote_status = crate::rollout::status_changed(&live, &decision.status);
    if wrote_status {
        let new = write_status(&exec.client, &rollout, rv, &decision.status).await?;
        lock_written(written).0.insert(
            key.clone(),
            WrittenStatus {
                replaced: rollout.metadata.resource_version.clone(),
                version: new.metadata.resource_version,
                status: new.status,
            },
        );
    }
    // A new status (a pause ended, a step completed) often enables the next action at once, such
    // as the next step's weight: decide again now, on the status just written, instead of waiting
    // for the watch to bring it back.
    if wrote_status {
        return Ok(Some(Duration::ZERO));
    }
    // Decisions work in whole seconds (as the API stores times); requeue relative to the precise
    // now, or a pause would end up to a second late.
    let fraction = (now - crate::rollout::time::whole_seconds(now))
        .to_std()
        .unwrap_or_default();
    Ok(decision.requeue_after.map(|d| d.saturating_sub(fraction)))
}

/// Replaces the status, only if the Rollout is still at `rv` (a kubectl-plugin status patch in
/// between is then decided on again, not overwritten).
async fn write_status(
    client: &Client,
    rollout: &Rollout,
    rv: Option<String>,
    status: &crate::api::RolloutStatus,
) -> Result<Rollout, ExecError> {
    let ns = rollout.namespace().unwrap_or_default();
    let api: Api<Rollout> = Api::namespaced(client.clone(), &ns);
    let mut obj = rollout.clone();
    obj.metadata.resource_version = rv;
    obj.metadata.managed_fields = None;
    obj.status = Some(status.clone());
    let pp = kube::api::PostParams {
        field_manager: Some(execute::FIELD_MANAGER.into()),
        ..Default::default()
    };
    api.replace_status(&rollout.name_any(), &pp, &obj)
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.code == 409 => ExecError::Stale {
                object: format!("Rollout {ns}/{}", rollout.name_any()),
            },
            other => ExecError::Api {
                action: "writing status of",
                object: format!("Rollout {ns}/{}", rollout.name_any()),
                message: crate::sync::engine::api_message(&other),
            },
        })
}

/// Deletes finished AnalysisRuns beyond the Rollout's history limits.
async fn prune_history(
    exec: &Exec,
    rollout: &Rollout,
    caches: &Caches,
    status: &crate::api::RolloutStatus,
) {
    let ns = rollout.namespace().unwrap_or_default();
    let uid = rollout.metadata.uid.clone().unwrap_or_default();
    let runs: Vec<history::RunEntry> = caches
        .analysis_runs
        .state()
        .iter()
        .filter(|r| r.metadata.namespace.as_deref() == Some(ns.as_str()))
        .filter(|r| {
            r.metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| o.iter().any(|o| o.uid == uid))
        })
        .map(|r| history::RunEntry {
            name: r.name_any(),
            phase: r.status.as_ref().and_then(|s| s.phase),
            created: r
                .metadata
                .creation_timestamp
                .as_ref()
                .map(crate::rollout::time::from_time),
        })
        .collect();
    let current: Vec<&str> = [
        &status.canary.current_step_analysis_run_status,
        &status.canary.current_background_analysis_run_status,
    ]
    .into_iter()
    .flatten()
    .map(|s| s.name.as_str())
    .collect();
    let limits = rollout.spec.analysis.clone().unwrap_or_default();
    let doomed = history::runs_to_delete(
        &runs,
        &current,
        limits
            .successful_run_history_limit
            .unwrap_or(history::DEFAULT_LIMIT),
        limits
            .unsuccessful_run_history_limit
            .unwrap_or(history::DEFAULT_LIMIT),
    );
    let api: Api<crate::api::AnalysisRun> = Api::namespaced(exec.client.clone(), &ns);
    for name in doomed {
        match api.delete(&name, &Default::default()).await {
            Ok(_) => tracing::info!(run = %name, "deleted AnalysisRun beyond the history limit"),
            Err(e) => {
                tracing::debug!(run = %name, error = %e, "could not delete an old AnalysisRun")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rv: &str) -> Arc<Rollout> {
        let mut r = Rollout::default();
        r.metadata.resource_version = Some(rv.into());
        Arc::new(r)
    }

    #[test]
    fn the_written_copy_is_used_until_the_cache_moves_on_then_dropped() {
        let key: Key = ("default".into(), "app".into());
        let mut w = Written::default();
        let status = crate::api::RolloutStatus {
            current_step_index: Some(3),
            ..Default::default()
        };
        w.0.insert(
            key.clone(),
            WrittenStatus {
                replaced: Some("5".into()),
                version: Some("6".into()),
                status: Some(status.clone()),
            },
        );
        let rv = |r: Arc<Rollout>| r.metadata.resource_version.clone();
        let fresh = w.freshest(&key, at("5"));
        assert_eq!(fresh.status.as_ref(), Some(&status));
        assert_eq!(rv(fresh).as_deref(), Some("6"));
        assert_eq!(w.0.len(), 1, "the cache still holds the replaced version");
        assert_eq!(rv(w.freshest(&key, at("6"))).as_deref(), Some("6"));
        assert!(w.0.is_empty(), "caught up: the copy is forgotten");
        assert_eq!(rv(w.freshest(&key, at("7"))).as_deref(), Some("7"));
    }
}
