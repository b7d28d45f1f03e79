//! The AnalysisRun loop: every running AnalysisRun is measured when due (the pure `step_run` decides
//! what is due; `Measurer` asks Prometheus), its status written back, and it is requeued for the
//! next measurement. Completed runs past their TTL are deleted.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, info_span, warn};

use super::measure::Measurer;
use crate::api::{AnalysisRun, SecretKeyRef};
use crate::rollout::controller::queue::Queue;

/// Field manager of AnalysisRun status writes.
pub const FIELD_MANAGER: &str = "gitcanary-analysis";

pub async fn run(client: Client, measurer: Measurer, mut shutdown: watch::Receiver<bool>) {
    let queue = Arc::new(Queue::default());
    let writer: Writer<AnalysisRun> = Writer::new(());
    let store = writer.as_reader();
    let q = queue.clone();
    let stream = reflector::reflector(
        writer,
        watcher(
            Api::<AnalysisRun>::all(client.clone()),
            watcher::Config::default(),
        )
        .modify(crate::rollout::controller::caches::slim),
    )
    .default_backoff()
    .touched_objects();
    tokio::spawn(async move {
        let mut stream = stream.boxed();
        while let Some(item) = stream.next().await {
            if let Ok(run) = item {
                q.now((run.namespace().unwrap_or_default(), run.name_any()));
            }
        }
    });
    let _ = store.wait_until_ready().await;
    let measurer = Arc::new(measurer);
    let workers = Arc::new(tokio::sync::Semaphore::new(WORKERS));
    let mut running = tokio::task::JoinSet::new();
    loop {
        let key = tokio::select! {
            k = queue.next() => k,
            _ = shutdown.changed() => break,
        };
        let Some(run) = store.get(&ObjectRef::new(&key.1).within(&key.0)) else {
            queue.done(&key);
            continue;
        };
        let Ok(permit) = workers.clone().acquire_owned().await else {
            break;
        };
        let (client, measurer, queue) = (client.clone(), measurer.clone(), queue.clone());
        let span = info_span!("analysisrun", run = %format!("{}/{}", key.0, key.1));
        running.spawn(
            async move {
                let outcome = reconcile(&client, &measurer, &run).await;
                queue.done(&key);
                match outcome {
                    Ok(Some(at)) => queue.push(key, at),
                    Ok(None) => {}
                    Err(e) => {
                        warn!(error = %e, "analysis run reconcile failed; retrying");
                        queue.push(key, Instant::now() + Duration::from_secs(2));
                    }
                }
                drop(permit);
            }
            .instrument(span),
        );
        while running.try_join_next().is_some() {}
    }
    while running.join_next().await.is_some() {}
}

/// AnalysisRuns measured at once. Runs created in the same second fall due together (the API
/// stores whole seconds), and each measurement mostly waits on Prometheus and the API server, so a
/// burst is spread over workers instead of drained one by one.
const WORKERS: usize = 128;

fn to_instant(at: chrono::DateTime<chrono::Utc>) -> Instant {
    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    Instant::now() + wait
}

async fn reconcile(
    client: &Client,
    measurer: &Measurer,
    run: &AnalysisRun,
) -> Result<Option<Instant>, kube::Error> {
    let ns = run.namespace().unwrap_or_default();
    let api: Api<AnalysisRun> = Api::namespaced(client.clone(), &ns);
    if let Some(at) = super::run::expires_at(run) {
        if at <= chrono::Utc::now() {
            let _ = api
                .delete(&run.name_any(), &DeleteParams::background())
                .await;
            return Ok(None);
        }
        return Ok(Some(to_instant(at)));
    }
    // Secrets the arguments name, read before measuring (values never logged).
    let mut secrets = std::collections::BTreeMap::new();
    for r in super::args::secret_references(&run.spec.args) {
        let sapi: Api<Secret> = Api::namespaced(client.clone(), &ns);
        let value = sapi
            .get_opt(&r.name)
            .await?
            .and_then(|s| s.data)
            .and_then(|d| {
                d.get(&r.key)
                    .map(|v| String::from_utf8_lossy(&v.0).into_owned())
            });
        secrets.insert((r.name.clone(), r.key.clone()), value);
    }
    let secret_ns = ns.clone();
    let lookup = move |r: &SecretKeyRef| -> Result<String, String> {
        secrets
            .get(&(r.name.clone(), r.key.clone()))
            .cloned()
            .flatten()
            .ok_or_else(|| format!("secret {secret_ns}/{} has no key {}", r.name, r.key))
    };
    let update = measurer.reconcile(run, &lookup, chrono::Utc::now()).await;
    tracing::debug!(phase = ?update.status.phase, requeue_at = ?update.requeue_at, measure = update.measure.len(), "analysis run stepped");
    if run.status.as_ref() != Some(&update.status) {
        let mut obj = run.clone();
        obj.metadata.managed_fields = None;
        obj.status = Some(update.status.clone());
        let pp = PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        match api.replace_status(&run.name_any(), &pp, &obj).await {
            Ok(_) => {}
            // Changed meanwhile (e.g. terminated): the watch brings it back.
            Err(kube::Error::Api(s)) if s.code == 409 => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(update.requeue_at.map(to_instant))
}
