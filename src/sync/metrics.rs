//! Prometheus metrics of sync, one family per question an operator asks. Labelled by source name only
//! (a configured, bounded set), never by object.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub source: String,
    /// `success` or `failure`.
    pub result: String,
}

#[derive(Clone)]
pub struct SyncMetrics {
    pub duration: Family<SourceLabel, Histogram>,
    pub results: Family<ResultLabel, Counter>,
    pub applied: Family<SourceLabel, Counter>,
    pub pruned: Family<SourceLabel, Counter>,
    pub last_applied_commit_timestamp: Family<SourceLabel, Gauge>,
}

impl SyncMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = SyncMetrics {
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.005, 2.0, 14))
            }),
            results: Family::default(),
            applied: Family::default(),
            pruned: Family::default(),
            last_applied_commit_timestamp: Family::default(),
        };
        let r = registry.sub_registry_with_prefix("gitcanary_sync");
        r.register(
            "duration_seconds",
            "Time a sync pass takes",
            m.duration.clone(),
        );
        r.register("results", "Sync passes by result", m.results.clone());
        r.register(
            "objects_applied",
            "Objects written by sync",
            m.applied.clone(),
        );
        r.register(
            "objects_pruned",
            "Objects deleted because they left Git",
            m.pruned.clone(),
        );
        r.register(
            "last_applied_commit_timestamp_seconds",
            "Committer time of the last commit applied",
            m.last_applied_commit_timestamp.clone(),
        );
        m
    }

    pub fn source(&self, name: &str) -> SourceLabel {
        SourceLabel {
            source: name.to_string(),
        }
    }
}
