//! What the server counts for operators, and the Prometheus text it becomes.
//!
//! * [`queries`] -- per-query counters and histograms, recorded by the service
//!   on the query path without locks, label lookups or allocation;
//! * [`classify`] -- the query type and response code read from wire bytes,
//!   as label indexes;
//! * [`ticks`] -- the cheap clock that times each query;
//! * [`exposition`] -- a scrape's snapshot of everything (queries, catalogue,
//!   refreshes, TCP connections) encoded as Prometheus text (0.0.4, or
//!   OpenMetrics 1.0 for scrapers that ask for it).
//!
//! The cost of all this per query, in instructions, and how the clock was
//! chosen: `docs/metrics.md`.

pub mod classify;
pub mod exposition;
pub mod queries;
pub mod ticks;

pub use queries::QueryMetrics;
pub use ticks::Ticks;
