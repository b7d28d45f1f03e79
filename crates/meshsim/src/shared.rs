//! The state the watches, the request generator and the HTTP handlers share, and the one place
//! requests are sent through the mesh.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use prometheus_client::registry::Registry;
use rand::Rng;
use rand::rngs::StdRng;
use tokio::sync::watch;

use crate::exchange::answer;
use crate::faults::{ErrorRate, ErrorRateError, ErrorRates};
use crate::legend::{self, ImageView, RouteView};
use crate::mesh::{Kept, Mesh};
use crate::metrics::MeshMetrics;
use crate::model::{Pod, Service, VirtualService};
use crate::recent::{Answer, Recent, Stats};

/// The mesh plus which watches have delivered their first list.
#[derive(Debug)]
pub struct View {
    pub mesh: Mesh,
    pub synced: BTreeSet<&'static str>,
}

impl View {
    pub fn is_synced(&self) -> bool {
        [VirtualService::KIND, Service::KIND, Pod::KIND]
            .iter()
            .all(|kind| self.synced.contains(kind))
    }
}

/// The random source and the log of answers change together, one request at a time.
struct Traffic {
    rng: StdRng,
    recent: Recent,
}

pub struct Shared {
    pub view: watch::Sender<View>,
    traffic: Mutex<Traffic>,
    rates: Mutex<ErrorRates>,
    metrics: MeshMetrics,
    registry: Registry,
    pub path: String,
    pub rps: f64,
}

/// A panic elsewhere while holding a lock leaves data that is still consistent here (counters and
/// a log), so keep serving rather than cascade the panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(namespace: &str, path: String, rps: f64, rng: StdRng, window: usize) -> Self {
        let mut registry = Registry::default();
        let metrics = MeshMetrics::register(&mut registry);
        let (view, _) = watch::channel(View {
            mesh: Mesh::new(namespace),
            synced: BTreeSet::new(),
        });
        Shared {
            view,
            traffic: Mutex::new(Traffic {
                rng,
                recent: Recent::new(window),
            }),
            rates: Mutex::new(ErrorRates::default()),
            metrics,
            registry,
            path,
            rps,
        }
    }

    /// Sends `n` requests through the mesh as it is now; returns what they got.
    pub fn send(&self, n: u64) -> Stats {
        let mut stats = Stats::default();
        self.send_each(n, |answer| stats.add(answer.colour, answer.code));
        stats
    }

    /// Sends one request and returns its answer.
    pub fn send_one(&self) -> Option<Answer> {
        let mut last = None;
        self.send_each(1, |answer| last = Some(answer.clone()));
        last
    }

    fn send_each(&self, n: u64, mut each: impl FnMut(&Answer)) {
        let rates = lock(&self.rates).clone();
        let view = self.view.borrow();
        let mut traffic = lock(&self.traffic);
        let Traffic { rng, recent } = &mut *traffic;
        for _ in 0..n {
            let outcome = view.mesh.route(&self.path, rng);
            let exchange = answer(outcome, &rates, rng.random::<f64>());
            self.metrics.record(&exchange);
            let answer = recent.push(
                exchange.colour(),
                exchange.code,
                exchange.target.map(|target| target.name),
            );
            each(answer);
        }
    }

    pub fn answers_since(&self, seq: u64, limit: usize) -> (Vec<Answer>, u64) {
        let traffic = lock(&self.traffic);
        (traffic.recent.since(seq, limit), traffic.recent.last_seq())
    }

    pub fn stats(&self) -> Stats {
        lock(&self.traffic).recent.stats()
    }

    pub fn set_error_rate(&self, image: &str, rate: f64) -> Result<(), ErrorRateError> {
        lock(&self.rates).set(image, rate)
    }

    pub fn error_rates(&self) -> Vec<ErrorRate> {
        lock(&self.rates).list()
    }

    pub fn routes(&self) -> Vec<RouteView> {
        legend::routes(&self.view.borrow().mesh, &self.path)
    }

    pub fn images(&self) -> Vec<ImageView> {
        let rates = lock(&self.rates).clone();
        legend::images(&self.view.borrow().mesh, &rates)
    }

    pub fn namespace(&self) -> String {
        self.view.borrow().mesh.namespace().to_owned()
    }

    pub fn is_synced(&self) -> bool {
        self.view.borrow().is_synced()
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode_metrics(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
