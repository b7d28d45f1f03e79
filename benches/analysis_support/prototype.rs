//! A what-if for the scheduling fix, not product code: the AnalysisRun loop of
//! `gitcanary::analysis::controller::run` with up to `width` reconciles in flight instead of
//! one at a time. Same watch, store, queue, `Measurer::reconcile` and status write; a run is
//! never reconciled twice at once (a run that falls due while in flight is run again after).
//! Secret arguments are not read (the bench's runs have none).
//!
//! With `spread`, each run is also requeued at a fixed phase within the second ([`phase`], from
//! a hash of its name): due times come from whole-second `finishedAt`s, so otherwise every run
//! falls due at the same instant each second and they queue up behind each other.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use gitcanary::analysis::controller::FIELD_MANAGER;
use gitcanary::analysis::measure::Measurer;
use gitcanary::api::{AnalysisRun, SecretKeyRef};
use gitcanary::rollout::controller::queue::{Key, Queue};
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

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
    if let Some(at) = gitcanary::analysis::run::expires_at(run) {
        if at <= chrono::Utc::now() {
            let _ = api
                .delete(&run.name_any(), &DeleteParams::background())
                .await;
            return Ok(None);
        }
        return Ok(Some(to_instant(at)));
    }
    let lookup = |r: &SecretKeyRef| -> Result<String, String> {
        Err(format!("secret {} not read by the bench", r.name))
    };
    let update = measurer.reconcile(run, &lookup, chrono::Utc::now()).await;
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
            Err(kube::Error::Api(s)) if s.code == 409 => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(update.requeue_at.map(to_instant))
}

/// A run's fixed offset within the second (0..900 ms, so that a measurement of a few ms still
/// finishes within the second it was due in): FNV-1a of its name.
pub fn phase(name: &str) -> Duration {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    Duration::from_millis(hash % 900)
}

pub async fn run(
    client: Client,
    measurer: Measurer,
    width: usize,
    spread: bool,
    mut shutdown: watch::Receiver<bool>,
) {
    let measurer = Arc::new(measurer);
    let queue = Arc::new(Queue::default());
    let writer: Writer<AnalysisRun> = Writer::new(());
    let store = writer.as_reader();
    let q = queue.clone();
    let stream = reflector::reflector(
        writer,
        watcher(
            Api::<AnalysisRun>::all(client.clone()),
            watcher::Config::default(),
        ),
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
    let slots = Arc::new(Semaphore::new(width.max(1)));
    let in_flight: Arc<Mutex<HashSet<Key>>> = Arc::default();
    let again: Arc<Mutex<HashSet<Key>>> = Arc::default();
    loop {
        let key = tokio::select! {
            k = queue.next() => k,
            _ = shutdown.changed() => return,
        };
        if !in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone())
        {
            again.lock().unwrap_or_else(|p| p.into_inner()).insert(key);
            continue;
        }
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(run) = store.get(&ObjectRef::new(&key.1).within(&key.0)) else {
            in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
            continue;
        };
        let (client, measurer, queue) = (client.clone(), measurer.clone(), queue.clone());
        let (in_flight, again) = (in_flight.clone(), again.clone());
        tokio::spawn(async move {
            let outcome = reconcile(&client, &measurer, &run).await;
            in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
            let rerun = again.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
            match outcome {
                Ok(Some(at)) if spread => queue.push(key.clone(), at + phase(&key.1)),
                Ok(Some(at)) => queue.push(key.clone(), at),
                Ok(None) => {}
                Err(_) => queue.push(key.clone(), Instant::now() + Duration::from_secs(2)),
            }
            if rerun {
                queue.now(key);
            }
            drop(slot);
        });
    }
}
