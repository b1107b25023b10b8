//! UDP: several connected sockets per worker, batched with `sendmmsg` and
//! `recvmmsg`.
//!
//! Each socket is connected to the server, which does two things for free:
//! the kernel drops datagrams from any other source address (so a response
//! is matched on source address before it reaches us), and an ICMP port
//! unreachable comes back as `ECONNREFUSED` on that socket, which is how a
//! refused port is told apart from a silent one. Several sockets spread the
//! queries over several source ports, as real clients do, so a server that
//! hashes flows over threads (SO_REUSEPORT) sees more than one flow.
//!
//! Sockets are non-blocking and waited on with `ppoll`, whose nanosecond
//! timeout keeps an open-loop timetable without bursts.

use std::io;
use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, recvmmsg, sendmmsg};

use super::{READS_PER_ROUND, Sink, Transport, io_error, poll_channels, size_buffers};
use crate::schedule::Clock;

/// Datagrams per `sendmmsg`/`recvmmsg` call: one system call per 64
/// queries or responses at most, and a receive arena of 64 slots.
const BATCH: usize = 64;

/// Queries waiting to be sent on one socket.
#[derive(Debug)]
struct SendQueue {
    /// `BATCH` slots of `slot_len` bytes each.
    arena: Box<[u8]>,
    /// Length of the message in each slot.
    lens: [usize; BATCH],
    /// Slots filled.
    queued: usize,
    /// Slots already handed to the kernel (a partial `sendmmsg`).
    sent: usize,
}

impl SendQueue {
    /// Whether queued datagrams wait for the kernel.
    fn has_queued(&self) -> bool {
        self.sent < self.queued
    }
}

/// The UDP sockets of one worker.
pub struct UdpTransport {
    /// Where the queries go.
    server: SocketAddr,
    /// Connected, non-blocking sockets.
    sockets: Vec<UdpSocket>,
    /// One send queue per socket.
    queues: Vec<SendQueue>,
    /// Bytes per send slot: the longest query.
    send_slot_len: usize,
    /// Receive buffers for one `recvmmsg`: `BATCH` slots of `recv_slot_len`.
    recv_arena: Box<[u8]>,
    /// Bytes per receive slot: the largest response accepted.
    recv_slot_len: usize,
    /// Which sockets the last wait found readable (or in error).
    readable: Vec<bool>,
    /// Message headers for `sendmmsg`, allocated once.
    send_headers: MultiHeaders<()>,
    /// Message headers for `recvmmsg`, allocated once.
    recv_headers: MultiHeaders<()>,
}

impl std::fmt::Debug for UdpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpTransport")
            .field("server", &self.server)
            .field("sockets", &self.sockets.len())
            .finish_non_exhaustive()
    }
}

/// Opens `count` UDP sockets connected to `server`, with `buffer_bytes` of
/// kernel buffer each. Done on the coordinating thread so that a bind error
/// stops the run before it starts; [`UdpTransport::new`] then runs on the
/// worker (its batch headers cannot cross threads).
pub fn open_sockets(
    server: SocketAddr,
    count: usize,
    buffer_bytes: usize,
) -> io::Result<Vec<UdpSocket>> {
    let domain = socket2::Domain::for_address(server);
    (0..count)
        .map(|_| {
            let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, None)?;
            let _ = size_buffers(&socket, buffer_bytes);
            socket.connect(&server.into())?;
            socket.set_nonblocking(true)?;
            Ok(socket.into())
        })
        .collect()
}

/// The receive buffer the kernel grants a socket that asks for
/// `buffer_bytes` (see [`size_buffers`]), found on a throw-away socket so
/// that the number of sockets can be chosen before any is opened.
pub fn granted_receive_buffer(server: SocketAddr, buffer_bytes: usize) -> io::Result<usize> {
    let domain = socket2::Domain::for_address(server);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, None)?;
    Ok(size_buffers(&socket, buffer_bytes))
}

impl UdpTransport {
    /// Wraps connected sockets; queries are at most `max_query_len` bytes,
    /// responses at most `max_response_len`.
    pub fn new(
        server: SocketAddr,
        sockets: Vec<UdpSocket>,
        max_query_len: usize,
        max_response_len: usize,
    ) -> Self {
        let queues = sockets
            .iter()
            .map(|_| SendQueue {
                arena: vec![0; BATCH * max_query_len].into_boxed_slice(),
                lens: [0; BATCH],
                queued: 0,
                sent: 0,
            })
            .collect();
        let readable = vec![true; sockets.len()];
        Self {
            server,
            sockets,
            queues,
            send_slot_len: max_query_len,
            recv_arena: vec![0; BATCH * max_response_len].into_boxed_slice(),
            recv_slot_len: max_response_len,
            readable,
            send_headers: MultiHeaders::preallocate(BATCH, None),
            recv_headers: MultiHeaders::preallocate(BATCH, None),
        }
    }

    /// Sends what is queued on socket `index`; stops quietly when the
    /// kernel's buffer is full.
    fn flush_socket(&mut self, index: usize) -> io::Result<()> {
        let queue = &mut self.queues[index];
        let fd = self.sockets[index].as_raw_fd();
        while queue.has_queued() {
            let pending = queue.queued - queue.sent;
            let mut slots = queue
                .arena
                .chunks_exact(self.send_slot_len)
                .skip(queue.sent);
            let lens = &queue.lens[queue.sent..queue.queued];
            let iovs: [[IoSlice<'_>; 1]; BATCH] = std::array::from_fn(|i| {
                let slot = if i < pending {
                    slots.next().unwrap_or(&[])
                } else {
                    &[]
                };
                [IoSlice::new(&slot[..lens.get(i).copied().unwrap_or(0)])]
            });
            let no_addresses = [None::<()>; BATCH];
            let no_control: [ControlMessage<'_>; 0] = [];
            match sendmmsg(
                fd,
                &mut self.send_headers,
                &iovs[..pending],
                &no_addresses[..pending],
                no_control,
                MsgFlags::MSG_DONTWAIT,
            ) {
                Ok(results) => queue.sent += results.count(),
                Err(Errno::EAGAIN | Errno::ENOBUFS) => return Ok(()),
                Err(Errno::EINTR) => {}
                Err(errno) => return Err(io_error(errno)),
            }
        }
        queue.queued = 0;
        queue.sent = 0;
        Ok(())
    }

    /// Reads up to `BATCH` datagrams from socket `index` into the receive
    /// arena; returns their lengths' count (0 when nothing is waiting).
    fn receive_batch(&mut self, index: usize, lens: &mut [usize; BATCH]) -> io::Result<usize> {
        let fd = self.sockets[index].as_raw_fd();
        loop {
            let mut slots = self.recv_arena.chunks_exact_mut(self.recv_slot_len);
            let mut iovs: [[IoSliceMut<'_>; 1]; BATCH] =
                std::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or(&mut []))]);
            match recvmmsg(
                fd,
                &mut self.recv_headers,
                iovs.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(results) => {
                    let mut count = 0;
                    for message in results {
                        // A datagram larger than the slot was cut short by the
                        // kernel; hand over an empty message so it is counted
                        // as unusable instead of parsed half.
                        lens[count] = if message.flags.contains(MsgFlags::MSG_TRUNC) {
                            0
                        } else {
                            message.bytes
                        };
                        count += 1;
                    }
                    return Ok(count);
                }
                Err(Errno::EAGAIN) => return Ok(0),
                Err(Errno::EINTR) => {}
                Err(errno) => return Err(io_error(errno)),
            }
        }
    }
}

impl Transport for UdpTransport {
    const NAME: &'static str = "UDP";

    fn server(&self) -> SocketAddr {
        self.server
    }

    fn channels(&self) -> usize {
        self.sockets.len()
    }

    fn can_queue(&self, channel: usize) -> bool {
        self.queues[channel].queued < BATCH
    }

    fn queue(&mut self, channel: usize, write: impl FnOnce(&mut [u8]) -> usize) {
        let queue = &mut self.queues[channel];
        let start = queue.queued * self.send_slot_len;
        let len = write(&mut queue.arena[start..start + self.send_slot_len]);
        queue.lens[queue.queued] = len;
        queue.queued += 1;
    }

    fn flush(&mut self, _sink: &mut impl Sink) -> io::Result<()> {
        for index in 0..self.sockets.len() {
            if self.queues[index].has_queued() {
                self.flush_socket(index)?;
            }
        }
        Ok(())
    }

    fn has_queued(&self) -> bool {
        self.queues.iter().any(SendQueue::has_queued)
    }

    fn wait(&mut self, timeout_ns: Option<u64>) -> io::Result<bool> {
        let mut fds: Vec<PollFd<'_>> = self
            .sockets
            .iter()
            .zip(&self.queues)
            .map(|(socket, queue)| {
                let mut events = PollFlags::POLLIN;
                if queue.has_queued() {
                    events |= PollFlags::POLLOUT;
                }
                PollFd::new(socket.as_fd(), events)
            })
            .collect();
        poll_channels(&mut fds, timeout_ns, &mut self.readable)
    }

    fn receive(&mut self, clock: &Clock, sink: &mut impl Sink) -> io::Result<()> {
        let mut lens = [0usize; BATCH];
        for index in 0..self.sockets.len() {
            if !self.readable[index] {
                continue;
            }
            self.readable[index] = false;
            // A few batches per socket, then move on, so that one busy
            // socket cannot starve the others or the send side.
            for _ in 0..READS_PER_ROUND {
                let count = self.receive_batch(index, &mut lens)?;
                let now_ns = clock.now_ns();
                for (slot, &len) in lens[..count].iter().enumerate() {
                    let start = slot * self.recv_slot_len;
                    sink.response(index, &self.recv_arena[start..start + len], now_ns);
                }
                if count < BATCH {
                    break;
                }
                // More may be waiting: look again on the next round too.
                self.readable[index] = true;
            }
        }
        Ok(())
    }
}
