//! End-to-end: the seed walk-through's analysis against a canned Prometheus.

mod seed;
