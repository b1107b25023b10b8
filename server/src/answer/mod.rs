//! The answer core: query bytes, catalogue and instant in; response bytes out.
//!
//! This is a pure function. It opens no sockets and reads no clock, so it can be
//! tested, benchmarked and fuzzed on its own, and every engine shares it.
//! DNS failures are response codes, never `Err`: a malformed query gets FORMERR,
//! an unknown name NXDOMAIN, a foreign zone REFUSED, a non-QUERY opcode NOTIMP.
//! Only input that must not be answered at all (shorter than a header, or
//! already a response) yields [`Outcome::Drop`].
//!
//! Two paths produce the bytes. [`hickory`] parses and builds every message
//! with hickory-proto and handles everything. [`fast`] handles the one shape
//! that dominates real load -- a plain LOC question for an object, with or
//! without EDNS -- by reading and writing the wire format directly, with no
//! allocation. [`AnswerPath`] chooses between them. The two are held equal
//! byte for byte by `tests/fast_path.rs` and the fuzz target.

pub mod fast;
pub mod hickory;
pub(crate) mod wire;

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::engine::{Outcome, Protocol};
use crate::zone::Zone;

/// Which implementation of the answer core serves queries (`--answer-path`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AnswerPath {
    /// The allocation-free fast path for plain LOC queries, hickory for the rest.
    #[default]
    Fast,
    /// hickory-proto for everything (the reference; for A/B measurements).
    Hickory,
}

impl AnswerPath {
    /// Answers one query. `out` is cleared and receives the response when the
    /// outcome is [`Outcome::Respond`]; callers reuse it across queries.
    #[inline]
    pub fn answer(
        self,
        query: &[u8],
        protocol: Protocol,
        zone: &Zone,
        catalog: &Catalog,
        now: DateTime<Utc>,
        out: &mut Vec<u8>,
    ) -> Outcome {
        if self == AnswerPath::Fast && fast::try_answer(query, zone, catalog, now, out) {
            return Outcome::Respond;
        }
        hickory::answer(query, protocol, zone, catalog, now, out)
    }
}
