//! UDP, a task per datagram: the receive loop copies each query into a fresh
//! buffer and spawns a task that answers it into another fresh buffer.
//!
//! This is how hickory-dns's server handles UDP, and the shape the HTTP/2
//! causal-profiling study found on its critical path (a goroutine per frame
//! write). satloc keeps it selectable (`--udp-engine spawn`) as the measured
//! baseline for `udp_loop`; see docs/case-study.md.

use std::io;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Outcome, Protocol};
use super::udp_error;

const RECV_BUFFER: usize = 65_535;

/// Serves `socket` until `shutdown` is cancelled, spawning a task per datagram.
pub async fn serve<H: Handler>(
    socket: UdpSocket,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let socket = Arc::new(socket);
    let mut buffer = vec![0u8; RECV_BUFFER];
    loop {
        let received = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(()),
            received = socket.recv_from(&mut buffer) => received,
        };
        let (len, peer) = match received {
            Ok(received) => received,
            Err(err) if udp_error::is_transient(&err) => continue,
            Err(err) => return Err(err),
        };
        // The latency clock starts before the spawn, so scheduling delay counts.
        satloc_profiling::latency_begin!("query");
        let query = buffer[..len].to_vec();
        let socket = Arc::clone(&socket);
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            let mut response = Vec::new();
            if handler.handle(&query, Protocol::Udp, peer.ip(), &mut response) == Outcome::Respond {
                if let Err(err) = socket.send_to(&response, peer).await
                    && !udp_error::is_transient(&err)
                {
                    tracing::debug!(%peer, "UDP send failed: {err}");
                }
                satloc_profiling::progress!("response");
            }
            satloc_profiling::latency_end!("query");
        });
    }
}
