//! UDP, one receive loop per socket: receive, answer, send, repeat.
//!
//! No task is spawned and nothing is allocated per query: the receive and
//! response buffers live as long as the loop. Parallelism comes from having one
//! `SO_REUSEPORT` socket per runtime worker, each with its own loop.

use std::io;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Outcome, Protocol};
use super::udp_error;

/// Largest datagram we accept.
const RECV_BUFFER: usize = 65_535;

/// Serves `socket` until `shutdown` is cancelled. Per-peer errors (ICMP
/// unreachable surfacing as ECONNREFUSED) are skipped; any other socket error
/// ends the loop.
pub async fn serve<H: Handler>(
    socket: UdpSocket,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut query = vec![0u8; RECV_BUFFER];
    let mut response = Vec::with_capacity(4096);
    loop {
        let received = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(()),
            received = socket.recv_from(&mut query) => received,
        };
        let (len, peer) = match received {
            Ok(received) => received,
            Err(err) if udp_error::is_transient(&err) => continue,
            Err(err) => return Err(err),
        };
        satloc_profiling::latency_begin!("query");
        if handler.handle(&query[..len], Protocol::Udp, peer.ip(), &mut response)
            == Outcome::Respond
        {
            if let Err(err) = socket.send_to(&response, peer).await
                && !udp_error::is_transient(&err)
            {
                tracing::debug!(%peer, "UDP send failed: {err}");
            }
            satloc_profiling::progress!("response");
        }
        satloc_profiling::latency_end!("query");
    }
}
