//! Kubernetes Events, published off the reconcile path: a step's Events (several per step, each a
//! create or a series patch) must not delay the next write of traffic or status. Events of one
//! object keep their order (one lane per object, chosen by its uid); different objects publish in
//! parallel, or a burst of steps across many rollouts would queue behind one request at a time.

use std::hash::{Hash, Hasher};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::Event;

use crate::recorder::Recorder;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Requests in flight at most; enough to keep up with hundreds of rollouts stepping at once.
const LANES: usize = 8;

#[derive(Clone)]
pub struct EventSink {
    lanes: Vec<mpsc::UnboundedSender<(Event, ObjectReference)>>,
}

impl EventSink {
    /// The sink and its publishing tasks, which end once every sink is dropped and the queues are
    /// empty.
    pub fn start(recorder: Recorder) -> (EventSink, JoinSet<()>) {
        let mut tasks = JoinSet::new();
        let lanes = (0..LANES)
            .map(|_| {
                let (tx, mut rx) = mpsc::unbounded_channel::<(Event, ObjectReference)>();
                let recorder = recorder.clone();
                tasks.spawn(async move {
                    while let Some((event, reference)) = rx.recv().await {
                        if let Err(err) = recorder.publish(&event, &reference).await {
                            tracing::debug!(error = %err, reason = %event.reason, "could not record event");
                        }
                    }
                });
                tx
            })
            .collect();
        (EventSink { lanes }, tasks)
    }

    pub fn publish(&self, event: Event, reference: ObjectReference) {
        let lane = lane_of(&reference, self.lanes.len());
        // The tasks only end after every sender is gone, so this cannot fail while `self` lives.
        let _ = self.lanes[lane].send((event, reference));
    }
}

fn lane_of(reference: &ObjectReference, lanes: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&reference.uid, &reference.namespace, &reference.name).hash(&mut h);
    (h.finish() % lanes.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(uid: &str) -> ObjectReference {
        ObjectReference {
            uid: Some(uid.into()),
            namespace: Some("default".into()),
            name: Some(format!("r-{uid}")),
            ..Default::default()
        }
    }

    #[test]
    fn one_object_keeps_one_lane_and_objects_spread() {
        assert_eq!(lane_of(&reference("a"), 8), lane_of(&reference("a"), 8));
        let used: std::collections::BTreeSet<usize> = (0..64)
            .map(|i| lane_of(&reference(&i.to_string()), 8))
            .collect();
        assert!(used.len() > 4, "{used:?}");
        assert!(used.iter().all(|l| *l < 8));
    }
}
