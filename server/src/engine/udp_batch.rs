//! UDP, one receive loop per socket, batched: `recvmmsg` takes every datagram
//! already waiting (up to [`BATCH`]), the loop answers them all, and one
//! `sendmmsg` sends the responses.
//!
//! Why: with the fast answer path, two system calls per query are most of what
//! the `loop` engine spends besides the answer, and under load several queries
//! are usually queued on a socket, so one call can move many
//! (`docs/case-study.md`, configuration D: the profile that showed it and the
//! gain measured).
//!
//! It runs on a thread of its own (from the runtime's blocking pool) with a
//! blocking socket, as Knot's and NSD's UDP workers do: `recvmmsg` waits for the
//! first datagram and takes whatever else is queued, so there is no readiness
//! polling either. A receive timeout ([`SHUTDOWN_POLL`]) lets it notice
//! shutdown. Nothing is spawned or allocated per query: the receive arena, the
//! response buffers and the message headers live as long as the loop. A datagram
//! longer than a receive slot ([`SLOT`] bytes; real queries are far smaller) is
//! dropped, as the kernel truncated it.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{
    ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg,
};
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Outcome, Protocol};
use super::udp_error;

/// Most datagrams moved by one system call.
pub const BATCH: usize = 32;
/// Bytes per receive slot.
pub const SLOT: usize = 4096;
/// How often an idle worker checks for shutdown.
pub const SHUTDOWN_POLL: Duration = Duration::from_millis(100);

/// Buffers and headers reused for every batch.
struct Batch {
    /// `BATCH` receive slots of `SLOT` bytes.
    arena: Vec<u8>,
    /// Length of each received datagram; `None` when the kernel truncated it.
    lens: [Option<usize>; BATCH],
    /// Source of each received datagram.
    peers: [Option<SockaddrStorage>; BATCH],
    /// One response buffer per answered query.
    responses: Vec<Vec<u8>>,
    /// Destination of each response.
    response_peers: [Option<SockaddrStorage>; BATCH],
    recv_headers: MultiHeaders<SockaddrStorage>,
    send_headers: MultiHeaders<SockaddrStorage>,
}

impl Batch {
    fn new() -> Self {
        Self {
            arena: vec![0; BATCH * SLOT],
            lens: [None; BATCH],
            peers: [None; BATCH],
            responses: (0..BATCH).map(|_| Vec::with_capacity(512)).collect(),
            response_peers: [None; BATCH],
            recv_headers: MultiHeaders::preallocate(BATCH, None),
            send_headers: MultiHeaders::preallocate(BATCH, None),
        }
    }

    /// Waits for at least one datagram (up to the socket's receive timeout) and
    /// takes up to `BATCH`; `WouldBlock` on timeout.
    fn receive(&mut self, fd: RawFd) -> io::Result<usize> {
        let mut slots = self.arena.chunks_exact_mut(SLOT);
        let mut iovs: [[IoSliceMut<'_>; 1]; BATCH] =
            std::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or(&mut []))]);
        let messages = recvmmsg(
            fd,
            &mut self.recv_headers,
            iovs.iter_mut(),
            MsgFlags::MSG_WAITFORONE,
            None,
        )
        .map_err(io::Error::from)?;
        let mut count = 0;
        for message in messages {
            let truncated = message.flags.contains(MsgFlags::MSG_TRUNC);
            self.lens[count] = (!truncated).then_some(message.bytes);
            self.peers[count] = message.address;
            count += 1;
        }
        Ok(count)
    }

    /// Sends responses `from..to` (blocking while the socket buffer is full);
    /// returns how many went.
    fn send(&mut self, fd: RawFd, from: usize, to: usize) -> io::Result<usize> {
        let iovs: [[IoSlice<'_>; 1]; BATCH] =
            std::array::from_fn(|i| [IoSlice::new(&self.responses[i])]);
        let no_control: [ControlMessage<'_>; 0] = [];
        let results = sendmmsg(
            fd,
            &mut self.send_headers,
            &iovs[from..to],
            &self.response_peers[from..to],
            no_control,
            MsgFlags::empty(),
        )
        .map_err(io::Error::from)?;
        Ok(results.count())
    }
}

/// The IP address of a datagram's source (a UDP socket's peers are always
/// IPv4 or IPv6).
fn ip_of(addr: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    addr.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

/// Serves `socket` on the calling thread until `shutdown` is cancelled. Call it
/// from a blocking-pool thread (`spawn_blocking`).
pub fn serve<H: Handler>(
    socket: UdpSocket,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    socket.set_nonblocking(false)?;
    socket.set_read_timeout(Some(SHUTDOWN_POLL))?;
    let fd = socket.as_raw_fd();
    let mut batch = Batch::new();
    while !shutdown.is_cancelled() {
        let count = match batch.receive(fd) {
            Ok(count) => count,
            // The receive timeout (WouldBlock) is transient too.
            Err(err) if err.kind() == io::ErrorKind::TimedOut || udp_error::is_transient(&err) => {
                continue;
            }
            Err(err) => return Err(err),
        };
        let mut answered = 0;
        for i in 0..count {
            let Some(len) = batch.lens[i] else { continue };
            let Some(peer) = batch.peers[i].as_ref().and_then(ip_of) else {
                continue;
            };
            satloc_profiling::latency_begin!("query");
            let query = &batch.arena[i * SLOT..i * SLOT + len];
            let response = &mut batch.responses[answered];
            if handler.handle(query, Protocol::Udp, peer, response) == Outcome::Respond {
                batch.response_peers[answered] = batch.peers[i];
                answered += 1;
            } else {
                satloc_profiling::latency_end!("query");
            }
        }
        let mut sent = 0;
        while sent < answered {
            match batch.send(fd, sent, answered) {
                // Nothing sent and no error: count the first as lost, never loop.
                Ok(0) => {
                    satloc_profiling::latency_end!("query");
                    sent += 1;
                }
                Ok(n) => {
                    for _ in 0..n {
                        satloc_profiling::progress!("response");
                        satloc_profiling::latency_end!("query");
                    }
                    sent += n;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    // The error belongs to the first response of the call (or to
                    // an earlier ICMP message): give up on that one, keep the rest.
                    if !udp_error::is_transient(&err) {
                        tracing::debug!("UDP batch send failed: {err}");
                    }
                    satloc_profiling::latency_end!("query");
                    sent += 1;
                }
            }
        }
    }
    Ok(())
}
