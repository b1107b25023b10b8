//! Progress points: the names the instrumented program marks its work with, and what each
//! kind measures.

use serde::Serialize;

/// What a progress point measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    /// Visits per unit of time (`progress!`); value is ns per visit.
    Throughput,
    /// A begin/end pair (`latency_begin!`/`latency_end!`); value is mean latency in ns.
    Latency,
}

impl PointKind {
    /// "throughput" or "latency".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throughput => "throughput",
            Self::Latency => "latency",
        }
    }
}

/// A progress point and what it measures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProgressPoint {
    /// The name given to `progress!` or the latency macros.
    pub name: String,
    /// Throughput or latency.
    pub kind: PointKind,
}
