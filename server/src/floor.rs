//! The benchmark floor: a [`Handler`] that sends every message back with the
//! QR bit set and does nothing else, so a run against it measures the engines,
//! the sockets and the kernel alone. `scripts/compare-servers.sh` serves it as
//! the cost no DNS server on these sockets can go below.

use std::net::IpAddr;

use crate::engine::{Handler, Outcome, Protocol};

/// Bytes 0-11 are the DNS header; the QR bit is the top bit of byte 2.
const HEADER_LEN: usize = 12;
const QR: u8 = 0x80;

/// Echoes queries as responses (`--echo-floor`).
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoFloor;

impl Handler for EchoFloor {
    fn handle(&self, query: &[u8], _: Protocol, _: IpAddr, out: &mut Vec<u8>) -> Outcome {
        out.clear();
        // Responses (QR already set) are never answered, or two floors could
        // echo each other forever.
        if query.len() < HEADER_LEN || query[2] & QR != 0 {
            return Outcome::Drop;
        }
        out.extend_from_slice(query);
        out[2] |= QR;
        Outcome::Respond
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::loc::LOC;
    use crate::testing::TestQuery;

    #[test]
    fn a_query_comes_back_as_a_response_and_nothing_else_changes() {
        let query = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        let mut out = Vec::new();
        let outcome = EchoFloor.handle(&query, Protocol::Udp, Ipv4Addr::LOCALHOST.into(), &mut out);
        assert_eq!(outcome, Outcome::Respond);
        assert_eq!(out[2], query[2] | QR);
        assert_eq!(out[..2], query[..2]);
        assert_eq!(out[3..], query[3..]);
    }

    #[test]
    fn responses_and_runts_are_dropped() {
        let mut response = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        response[2] |= QR;
        let peer = Ipv4Addr::LOCALHOST.into();
        let mut out = Vec::new();
        assert_eq!(
            EchoFloor.handle(&response, Protocol::Udp, peer, &mut out),
            Outcome::Drop
        );
        assert_eq!(
            EchoFloor.handle(&[0; 11], Protocol::Tcp, peer, &mut out),
            Outcome::Drop
        );
    }
}
