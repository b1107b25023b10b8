//! Which UDP socket errors end a receive loop and which are about one peer.

use std::io;

/// Errors a datagram socket reports that are about one peer, not the socket:
/// an ICMP port-unreachable from an earlier send shows up as ECONNREFUSED on
/// the next receive on Linux. A loop skips these and keeps serving.
pub(crate) fn is_transient(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
    )
}
