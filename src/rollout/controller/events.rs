//! Kubernetes Events, published off the reconcile path: a step's Events (several per step, each a
//! create or a series patch) must not delay the next write of traffic or status. One task publishes
//! them in the order they were decided.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, Recorder};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::UnboundedSender<(Event, ObjectReference)>,
}

impl EventSink {
    /// The sink and the publishing task, which ends once every sink is dropped and the queue is
    /// empty.
    pub fn start(recorder: Recorder) -> (EventSink, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Event, ObjectReference)>();
        let task = tokio::spawn(async move {
            while let Some((event, reference)) = rx.recv().await {
                if let Err(err) = recorder.publish(&event, &reference).await {
                    tracing::debug!(error = %err, reason = %event.reason, "could not record event");
                }
            }
        });
        (EventSink { tx }, task)
    }

    pub fn publish(&self, event: Event, reference: ObjectReference) {
        // The task only ends after every sender is gone, so this cannot fail while `self` lives.
        let _ = self.tx.send((event, reference));
    }
}
