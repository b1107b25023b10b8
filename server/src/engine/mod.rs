//! Transports: they own sockets and buffers and move bytes between the network
//! and a [`Handler`]. They know nothing about DNS beyond TCP's two-byte length
//! prefix.
//!
//! One file per strategy, so strategies can be measured against each other:
//!
//! * [`udp_batch`] -- the default: one blocking worker thread per
//!   `SO_REUSEPORT` socket; each `recvmmsg` takes every waiting datagram, one
//!   `sendmmsg` sends the responses.
//! * [`udp_loop`] -- one async receive loop per socket (one socket per runtime
//!   worker), buffers reused, no task per query.
//! * [`udp_spawn`] -- one socket, a new task (and new buffers) per datagram, as
//!   hickory-dns's server does. Kept as the baseline of the profiling case study.
//! * [`tcp`] -- RFC 7766: length-prefixed messages, several (pipelined) queries
//!   per connection, idle timeout, a cap on concurrent connections.

pub mod listeners;
pub mod tcp;
pub mod udp_batch;
pub mod udp_loop;
pub mod udp_spawn;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use listeners::Listeners;

use crate::service::Handler;

/// Which UDP strategy to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UdpEngine {
    /// A receive loop per socket, no task per query.
    Loop,
    /// A receive loop per socket moving batches with recvmmsg/sendmmsg.
    Batch,
    /// A task per datagram (the hickory-dns pattern).
    Spawn,
}

/// Transport settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// UDP strategy.
    pub udp: UdpEngine,
    /// How long an idle TCP connection is kept open (RFC 7766 section 6.2.3).
    pub tcp_idle_timeout: Duration,
    /// Most TCP connections served at once; more are closed on accept.
    pub max_tcp_connections: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            udp: UdpEngine::Batch,
            tcp_idle_timeout: Duration::from_secs(10),
            max_tcp_connections: 1024,
        }
    }
}

/// Serves every listener until `shutdown` is cancelled, then waits for the
/// transports to finish what they were doing.
///
/// Must be called inside a tokio runtime.
pub async fn run<H: Handler>(
    handler: Arc<H>,
    listeners: Listeners,
    options: EngineOptions,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut tasks = JoinSet::new();
    for socket in listeners.udp {
        let handler = Arc::clone(&handler);
        let shutdown = shutdown.clone();
        match options.udp {
            UdpEngine::Batch => {
                tasks.spawn_blocking(move || udp_batch::serve(socket, handler, shutdown))
            }
            UdpEngine::Loop => tasks.spawn(udp_loop::serve(
                tokio::net::UdpSocket::from_std(socket)?,
                handler,
                shutdown,
            )),
            UdpEngine::Spawn => tasks.spawn(udp_spawn::serve(
                tokio::net::UdpSocket::from_std(socket)?,
                handler,
                shutdown,
            )),
        };
    }
    for listener in listeners.tcp {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tasks.spawn(tcp::serve(
            listener,
            Arc::clone(&handler),
            options.clone(),
            shutdown.clone(),
        ));
    }
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let result =
            joined.unwrap_or_else(|e| Err(io::Error::other(format!("transport task failed: {e}"))));
        if let Err(err) = result {
            tracing::error!("transport stopped: {err}");
            // One dead transport takes the server down rather than leaving it
            // half-deaf; the others are asked to stop.
            shutdown.cancel();
            first_error.get_or_insert(err);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Errors a datagram socket reports that are about one peer, not the socket:
/// an ICMP port-unreachable from an earlier send shows up as ECONNREFUSED on
/// the next receive on Linux.
pub(crate) fn is_transient_udp_error(err: &io::Error) -> bool {
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
