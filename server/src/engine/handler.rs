//! The seam between the engines and whatever answers: bytes in, bytes out.
//!
//! An engine hands every message it receives to a [`Handler`] and sends what it
//! writes when told to [`Outcome::Respond`]. The handler learns only the
//! [`Protocol`] the message came over, because that decides how large a response
//! may be; it never sees a socket, a peer address or a buffer it must not keep.

/// The transport protocol a message arrived on (named as hickory-proto names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// UDP: 512 bytes, or the EDNS payload size (capped by the zone's maximum).
    Udp,
    /// TCP: up to 65535 bytes.
    Tcp,
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
    /// Answers `query` into `out` (cleared first). The engine sends `out` when
    /// the outcome is [`Outcome::Respond`].
    fn handle(&self, query: &[u8], protocol: Protocol, out: &mut Vec<u8>) -> Outcome;
}
