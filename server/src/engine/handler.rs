//! The seam between the engines and whatever answers: bytes in, bytes out.
//!
//! An engine hands every message it receives to a [`Handler`] and sends what it
//! writes when told to [`Outcome::Respond`]. The handler learns the [`Protocol`]
//! the message came over, because that decides how large a response may be,
//! and the sender's address, because DNS cookies are bound to it and rate
//! limiting counts by its prefix; it never sees a socket or a buffer it must
//! not keep.

use std::net::IpAddr;

/// The transport protocol a message arrived on (named as hickory-proto names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// UDP: 512 bytes, or the EDNS payload size (capped by the zone's maximum).
    Udp,
    /// TCP: up to 65535 bytes.
    Tcp,
}

/// The address family a message arrived over (every socket is bound to one
/// family: IPv6 sockets are IPv6-only, so the sender's address tells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of `addr`.
    pub fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// What the engine should do with the output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Send the bytes written to the output buffer.
    Respond,
    /// Send nothing (not a query, or too short to answer).
    Drop,
}

/// What an engine hands each received message to.
pub trait Handler: Send + Sync + 'static {
    /// Answers `query`, which arrived over `protocol` from `peer`, into `out`
    /// (cleared first). The engine sends `out` when the outcome is
    /// [`Outcome::Respond`].
    fn handle(&self, query: &[u8], protocol: Protocol, peer: IpAddr, out: &mut Vec<u8>) -> Outcome;
}
