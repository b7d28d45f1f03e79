//! `gitcanary_leader`: 1 while this replica holds the Lease and acts, 0 while it stands by.

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Default)]
pub struct LeaderMetrics {
    pub leader: Gauge,
}

impl LeaderMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = LeaderMetrics::default();
        registry.register(
            "gitcanary_leader",
            "1 while this replica holds the leader Lease and acts, 0 while it stands by",
            m.leader.clone(),
        );
        m
    }
}
