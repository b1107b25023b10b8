//! Engines: they own sockets and buffers and move bytes between the network
//! and a [`Handler`]. They know nothing about DNS beyond TCP's two-byte length
//! prefix, and no module here uses one outside it: the seam they serve
//! ([`handler`]) is defined here, and the answering side implements it.
//!
//! One file per strategy, so strategies can be measured against each other:
//!
//! * [`udp_batch`] -- the default: one blocking worker thread per
//!   `SO_REUSEPORT` socket; each `recvmmsg` takes every waiting datagram, one
//!   `sendmmsg` sends the responses.
//! * [`udp_uring`] -- the batch engine's shape on io_uring: a multishot receive
//!   into a provided-buffer ring, the answers' sends submitted with the wait for
//!   the next datagrams, one system call per batch. Linux 6.1+.
//! * [`udp_loop`] -- one async receive loop per socket (one socket per runtime
//!   worker), buffers reused, no task per query.
//! * [`udp_spawn`] -- one socket, a new task (and new buffers) per datagram, as
//!   hickory-dns's server does. Kept as the baseline of the profiling case study.
//! * [`tcp`] -- RFC 7766: length-prefixed messages, several (pipelined) queries
//!   per connection, idle timeout, a cap on concurrent connections that closes
//!   the oldest idle one to admit a new one (the slots: `tcp_slots`).
//!
//! [`affinity`] pins workers to CPUs and steers datagrams to them (`--cpus`).

pub mod affinity;
pub mod handler;
pub mod listeners;
pub mod tcp;
mod tcp_slots;
pub mod udp_batch;
mod udp_error;
pub mod udp_loop;
pub mod udp_spawn;
pub mod udp_uring;

use std::io;
use std::sync::Arc;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use affinity::CpuList;
pub use handler::{Family, Handler, Outcome, Protocol};
pub use listeners::Listeners;
pub use tcp::TcpOptions;
pub use tcp_slots::TcpCounters;

/// Which UDP strategy to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UdpEngine {
    /// A receive loop per socket, no task per query.
    Loop,
    /// A receive loop per socket moving batches with recvmmsg/sendmmsg.
    Batch,
    /// A task per datagram (the hickory-dns pattern).
    Spawn,
    /// A worker per socket on io_uring: multishot receive, sends submitted
    /// with the wait (Linux 6.1+).
    Uring,
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// UDP strategy.
    pub udp: UdpEngine,
    /// TCP limits.
    pub tcp: TcpOptions,
    /// Where the TCP transport counts its connections; whoever holds a clone
    /// (the metrics endpoint) reads them live.
    pub tcp_counters: Arc<TcpCounters>,
    /// `--cpus`: the UDP worker of socket `i` (of each address) runs on
    /// `cpus.of_worker(i)`.
    pub cpus: Option<CpuList>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            udp: UdpEngine::Batch,
            tcp: TcpOptions::default(),
            tcp_counters: Arc::default(),
            cpus: None,
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
    if options.udp == UdpEngine::Uring {
        udp_uring::check_available()?;
    }
    let mut tasks = JoinSet::new();
    for (i, socket) in listeners.udp.into_iter().enumerate() {
        let handler = Arc::clone(&handler);
        let shutdown = shutdown.clone();
        let cpu = options.cpus.as_ref().map(|cpus| cpus.of_worker(i));
        match options.udp {
            UdpEngine::Batch => tasks.spawn_blocking(move || {
                if let Some(cpu) = cpu {
                    affinity::pin_worker(cpu)?;
                }
                udp_batch::serve(socket, handler, shutdown)
            }),
            UdpEngine::Uring => tasks.spawn_blocking(move || {
                if let Some(cpu) = cpu {
                    affinity::pin_worker(cpu)?;
                }
                udp_uring::serve(socket, handler, shutdown)
            }),
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
            options.tcp.clone(),
            Arc::clone(&options.tcp_counters),
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
