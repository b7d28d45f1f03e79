//! End-to-end tests of `decide` against a small simulated cluster, driving the seed walk-through.

mod scenario;
mod situations;
mod world;
