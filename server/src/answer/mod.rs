//! The answer core: query bytes, catalogue and instant in; response bytes out.
//!
//! This is a pure function. It opens no sockets and reads no clock, so it can be
//! tested, benchmarked and fuzzed on its own, and every engine shares it. The
//! only thing it knows of who asked is the [`Client`]'s address, because DNS
//! cookies ([`cookie`]) are bound to it.
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
//! byte for byte by `tests/fast_path.rs` and the fuzz target. What the zone
//! holds for a name and type is decided once, in [`records`], as plain values
//! that the hickory path and the PowerDNS remote backend both render.

pub mod cookie;
pub mod fast;
pub mod hickory;
pub mod records;
pub(crate) mod wire;

use std::net::IpAddr;

use chrono::{DateTime, Utc};

pub use cookie::{CookieSecret, CookieStatus};

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

/// Who asked, as far as the answer depends on it: the address a server
/// cookie is bound to, and the secret this server hashes cookies with.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    /// The query's source address.
    pub addr: IpAddr,
    /// The server's cookie secret.
    pub secret: &'a CookieSecret,
}

/// What answering a query produced besides the response bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// Whether to send the response.
    pub outcome: Outcome,
    /// What the query's COOKIE option proved; [`CookieStatus::Verified`]
    /// traffic is exempt from rate limiting.
    pub cookie: CookieStatus,
}

impl AnswerPath {
    /// Answers one query from `client`. `out` is cleared and receives the
    /// response when the outcome is [`Outcome::Respond`]; callers reuse it
    /// across queries.
    #[inline]
    #[allow(
        clippy::too_many_arguments,
        reason = "the answer core's inputs, each one plain"
    )]
    pub fn answer(
        self,
        query: &[u8],
        protocol: Protocol,
        client: &Client<'_>,
        zone: &Zone,
        catalog: &Catalog,
        now: DateTime<Utc>,
        out: &mut Vec<u8>,
    ) -> Answered {
        if self == AnswerPath::Fast
            && let Some(cookie) = fast::try_answer(query, client, zone, catalog, now, out)
        {
            return Answered {
                outcome: Outcome::Respond,
                cookie,
            };
        }
        hickory::answer(query, protocol, client, zone, catalog, now, out)
    }
}
