//! Moving query and response bytes between a worker and the server.
//!
//! A transport owns a worker's sockets (UDP) or connections (TCP), called
//! channels, and knows nothing about DNS beyond framing: the worker asks it
//! to queue bytes on a channel, to flush what is queued, to wait until
//! something happens or a deadline passes, and to hand over what arrived.
//! Queue-then-flush lets a transport send a whole batch in one system call
//! (`sendmmsg`, or one `write` of many pipelined TCP frames), and receiving
//! in batches (`recvmmsg`, large reads) does the same on the way back: that,
//! and one thread driving many sockets without a runtime, is where the CPU
//! per query is saved.

pub mod tcp;
pub mod udp;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, ppoll};
use nix::sys::time::TimeSpec;

use crate::schedule::Clock;

/// Most reads (TCP) or `recvmmsg` batches (UDP) one channel gets per
/// receive round, so that one busy channel cannot starve the others or the
/// send side.
const READS_PER_ROUND: usize = 4;

/// Receives what a transport reads.
pub trait Sink {
    /// A response (one UDP datagram or one TCP frame) arrived on `channel`;
    /// `now_ns` is when the batch it came in was read.
    fn response(&mut self, channel: usize, message: &[u8], now_ns: u64);

    /// The server closed `channel` (TCP): whatever was in flight on it will
    /// not be answered. The transport reconnects right after.
    fn closed(&mut self, channel: usize);
}

/// A worker's way to the server.
pub trait Transport {
    /// "UDP" or "TCP", for messages.
    const NAME: &'static str;

    /// The server this transport talks to.
    fn server(&self) -> SocketAddr;

    /// How many sockets or connections there are.
    fn channels(&self) -> usize;

    /// Whether `channel` has room to queue another query now.
    fn can_queue(&self, channel: usize) -> bool;

    /// Queues one message on `channel`: `write` fills the buffer it is given
    /// (at least `max_message_len` bytes, as set at construction) and
    /// returns the message length. Call only when [`Transport::can_queue`].
    fn queue(&mut self, channel: usize, write: impl FnOnce(&mut [u8]) -> usize);

    /// Sends as much of what is queued as the kernel takes without
    /// blocking; the rest stays queued for the next flush.
    fn flush(&mut self, sink: &mut impl Sink) -> io::Result<()>;

    /// Whether anything is still queued.
    fn has_queued(&self) -> bool;

    /// Blocks until a channel is readable (or writable with data queued) or
    /// `timeout_ns` has passed (`None`: no deadline); returns whether any
    /// channel is ready. A zero timeout only looks.
    fn wait(&mut self, timeout_ns: Option<u64>) -> io::Result<bool>;

    /// Reads what has arrived on the channels the last wait found ready and
    /// hands every message to `sink`.
    fn receive(&mut self, clock: &Clock, sink: &mut impl Sink) -> io::Result<()>;
}

/// Sizes a socket's kernel buffers: a closed loop of 1000 queries on one
/// socket bursts 1000 responses at it, more than Linux's default 208 KiB
/// receive buffer holds at ~1 KiB of kernel overhead per datagram. Asks for
/// `bytes`; as root, forces past `net.core.rmem_max` if the plain request was
/// capped. Failure is not an error: the default buffers still work. Returns
/// the receive buffer granted, as the kernel reports it (0 if unknown).
pub fn size_buffers(socket: &socket2::Socket, bytes: usize) -> usize {
    use nix::sys::socket::{setsockopt, sockopt};
    // Linux reports back twice what was set, so "less than asked" means capped.
    if socket.set_recv_buffer_size(bytes).is_err()
        || socket.recv_buffer_size().is_ok_and(|got| got < bytes)
    {
        let _ = setsockopt(socket, sockopt::RcvBufForce, &bytes);
    }
    if socket.set_send_buffer_size(bytes).is_err()
        || socket.send_buffer_size().is_ok_and(|got| got < bytes)
    {
        let _ = setsockopt(socket, sockopt::SndBufForce, &bytes);
    }
    socket.recv_buffer_size().unwrap_or(0)
}

/// Waits with one `ppoll` on `fds` (one per channel) until one is ready or
/// `timeout_ns` has passed, as [`Transport::wait`] describes, and marks in
/// `readable` the channels found readable (or in error).
fn poll_channels(
    fds: &mut [PollFd<'_>],
    timeout_ns: Option<u64>,
    readable: &mut [bool],
) -> io::Result<bool> {
    let timeout = timeout_ns.map(|ns| TimeSpec::from_duration(Duration::from_nanos(ns)));
    let ready = match ppoll(fds, timeout, None) {
        Ok(count) => count > 0,
        Err(Errno::EINTR) => false,
        Err(errno) => return Err(io_error(errno)),
    };
    for (ready, fd) in readable.iter_mut().zip(fds.iter()) {
        *ready = fd.revents().is_some_and(|revents| {
            revents.intersects(PollFlags::POLLIN | PollFlags::POLLERR | PollFlags::POLLHUP)
        });
    }
    Ok(ready)
}

/// Turns a nix error into the `io::Error` the rest of the crate speaks.
pub(crate) fn io_error(errno: Errno) -> io::Error {
    io::Error::from_raw_os_error(errno as i32)
}
