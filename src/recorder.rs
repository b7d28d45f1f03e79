//! Kubernetes Events (`events.k8s.io/v1`), as `kubectl describe` and `kubectl get events` show
//! them: the first occurrence of an event is created; the same event again within six minutes
//! bumps that Event's series instead of adding another object.
//!
//! "The same event" means the same object, type, reason, action and note. A different note is a
//! different Event, so a rollout's step-by-step messages all stay visible (as with client-go's
//! recorder, which Argo Rollouts uses), rather than folding into the first message's count.
//!
//! What is remembered per event is only what a repeat needs (the Event's name, namespace and count),
//! keyed by a hash: a controller driving hundreds of rollouts publishes thousands of Events within
//! the six minutes, and keeping each whole Event cost megabytes.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event as KubeEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType};
use serde_json::json;

/// How long a published event is remembered for series counting (client-go and kube-runtime use
/// the same window).
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);

/// How often forgotten entries are swept; sweeping on every publish would cost a pass over
/// thousands of entries per Event.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// An Event already published, as much of it as a repeat needs.
#[derive(Clone, Debug, PartialEq)]
struct Published {
    name: Box<str>,
    namespace: Box<str>,
    count: i32,
    last: Instant,
}

/// What to send for an event.
#[derive(Debug, PartialEq)]
enum Publish {
    Create,
    /// Bump the series of an existing Event to `count`.
    Series {
        name: Box<str>,
        namespace: Box<str>,
        count: i32,
    },
}

/// The events published within the window, by key.
#[derive(Debug)]
struct Seen {
    by_key: HashMap<u64, Published>,
    swept: Instant,
}

impl Seen {
    fn new(now: Instant) -> Seen {
        Seen {
            by_key: HashMap::new(),
            swept: now,
        }
    }

    fn decide(&mut self, key: u64, now: Instant) -> Publish {
        if now.duration_since(self.swept) >= SWEEP_EVERY {
            self.by_key
                .retain(|_, p| now.duration_since(p.last) < SERIES_WINDOW);
            self.by_key.shrink_to_fit();
            self.swept = now;
        }
        match self.by_key.get(&key) {
            Some(p) if now.duration_since(p.last) < SERIES_WINDOW => Publish::Series {
                name: p.name.clone(),
                namespace: p.namespace.clone(),
                count: p.count + 1,
            },
            _ => Publish::Create,
        }
    }

    fn record(&mut self, key: u64, name: &str, namespace: &str, count: i32, now: Instant) {
        self.by_key.insert(
            key,
            Published {
                name: name.into(),
                namespace: namespace.into(),
                count,
                last: now,
            },
        );
    }

    fn forget(&mut self, key: u64) {
        self.by_key.remove(&key);
    }
}

fn key_of(ev: &Event, regarding: &ObjectReference) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    matches!(ev.type_, EventType::Warning).hash(&mut h);
    (&ev.action, &ev.reason, &ev.note).hash(&mut h);
    (
        &regarding.api_version,
        &regarding.kind,
        &regarding.namespace,
        &regarding.name,
        &regarding.uid,
        &regarding.field_path,
    )
        .hash(&mut h);
    h.finish()
}

/// Publishes Events as `controller` on one API server. Clones share what was published.
#[derive(Clone)]
pub struct Recorder {
    client: Client,
    controller: String,
    seen: Arc<Mutex<Seen>>,
}

impl Recorder {
    pub fn new(client: Client, controller: &str) -> Recorder {
        Recorder {
            client,
            controller: controller.to_string(),
            seen: Arc::new(Mutex::new(Seen::new(Instant::now()))),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes one event about `regarding` (cluster-scoped objects' Events go to `default`).
    pub async fn publish(
        &self,
        ev: &Event,
        regarding: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let key = key_of(ev, regarding);
        let decision = self.seen().decide(key, Instant::now());
        if let Publish::Series {
            name,
            namespace,
            count,
        } = decision
        {
            let api: Api<KubeEvent> = Api::namespaced(self.client.clone(), &namespace);
            let series = EventSeries {
                count,
                last_observed_time: MicroTime(Timestamp::now()),
            };
            let patch = json!({ "series": series });
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {
                    self.seen()
                        .record(key, &name, &namespace, count, Instant::now());
                    return Ok(());
                }
                // Expired or deleted on the server: start a new Event.
                Err(kube::Error::Api(s)) if s.code == 404 => self.seen().forget(key),
                Err(e) => return Err(e),
            }
        }
        let event = self.event(ev, regarding);
        let namespace = event.metadata.namespace.clone().unwrap_or_default();
        let api: Api<KubeEvent> = Api::namespaced(self.client.clone(), &namespace);
        let created = api.create(&PostParams::default(), &event).await?;
        let name = created.metadata.name.unwrap_or_default();
        self.seen()
            .record(key, &name, &namespace, 1, Instant::now());
        Ok(())
    }

    fn event(&self, ev: &Event, regarding: &ObjectReference) -> KubeEvent {
        let now = Timestamp::now();
        let namespace = regarding
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let base = regarding.name.as_deref().unwrap_or(&self.controller);
        KubeEvent {
            action: Some(ev.action.clone()),
            reason: Some(ev.reason.clone()),
            note: ev.note.clone(),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding.clone()),
            related: ev.secondary.clone(),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.controller.clone()),
            type_: Some(match ev.type_ {
                EventType::Normal => "Normal".into(),
                EventType::Warning => "Warning".into(),
            }),
            metadata: ObjectMeta {
                namespace: Some(namespace),
                name: Some(format!("{base}.{:x}", now.as_nanosecond())),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(reason: &str, note: &str) -> Event {
        Event {
            type_: EventType::Normal,
            reason: reason.into(),
            note: Some(note.into()),
            action: "Reconcile".into(),
            secondary: None,
        }
    }

    fn obj(name: &str) -> ObjectReference {
        ObjectReference {
            kind: Some("Rollout".into()),
            namespace: Some("default".into()),
            name: Some(name.into()),
            uid: Some(format!("uid-{name}")),
            ..Default::default()
        }
    }

    #[test]
    fn the_same_event_is_one_key_and_any_difference_is_another() {
        let base = key_of(&ev("RolloutPaused", "paused"), &obj("a"));
        assert_eq!(base, key_of(&ev("RolloutPaused", "paused"), &obj("a")));
        for other in [
            key_of(&ev("RolloutPaused", "paused at step 2"), &obj("a")),
            key_of(&ev("RolloutResumed", "paused"), &obj("a")),
            key_of(&ev("RolloutPaused", "paused"), &obj("b")),
            key_of(
                &Event {
                    type_: EventType::Warning,
                    ..ev("RolloutPaused", "paused")
                },
                &obj("a"),
            ),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn repeats_within_the_window_bump_the_series_and_later_ones_start_anew() {
        let t0 = Instant::now();
        let mut seen = Seen::new(t0);
        assert_eq!(seen.decide(1, t0), Publish::Create);
        seen.record(1, "a.1", "default", 1, t0);
        let t1 = t0 + Duration::from_secs(60);
        let series = |count| Publish::Series {
            name: "a.1".into(),
            namespace: "default".into(),
            count,
        };
        assert_eq!(seen.decide(1, t1), series(2));
        seen.record(1, "a.1", "default", 2, t1);
        // The window counts from the last occurrence.
        let t2 = t1 + SERIES_WINDOW - Duration::from_secs(1);
        assert_eq!(seen.decide(1, t2), series(3));
        assert_eq!(seen.decide(2, t2), Publish::Create, "another event");
        let t3 = t1 + SERIES_WINDOW;
        assert_eq!(seen.decide(1, t3), Publish::Create, "window over");
        assert_eq!(seen.by_key.len(), 1, "swept at most every {SWEEP_EVERY:?}");
        assert_eq!(seen.decide(2, t3 + SWEEP_EVERY), Publish::Create);
        assert!(seen.by_key.is_empty(), "swept once the window is over");
    }

    #[test]
    fn a_forgotten_event_is_created_again() {
        let t0 = Instant::now();
        let mut seen = Seen::new(t0);
        seen.record(7, "a.1", "default", 4, t0);
        seen.forget(7);
        assert_eq!(seen.decide(7, t0), Publish::Create);
    }
}
