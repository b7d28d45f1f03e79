//! Sections of the analysis bench (`benches/analysis.rs`).

pub mod expr;
pub mod load;
pub mod pipeline;
pub mod prototype;
pub mod stats;
