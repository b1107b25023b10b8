//! UDP on io_uring, one ring per socket: a multishot receive fills buffers the
//! kernel picks from a provided-buffer ring, the loop answers every completed
//! datagram, and each answer's `sendmsg` goes in with the same
//! `io_uring_enter` that waits for the next completions.
//!
//! Why: the batch engine makes two system calls per batch (`recvmmsg`,
//! `sendmmsg`); here the steady state is one (`docs/case-study.md`, "UDP on
//! io_uring": the counts and what they bought).
//!
//! Shaped like [`udp_batch`]: a blocking thread per
//! `SO_REUSEPORT` socket, nothing spawned or allocated per query, a wait that
//! times out every [`SHUTDOWN_POLL`] to notice shutdown, datagrams longer than
//! a slot dropped. Receive buffer `i` and send slot `i` go together
//! (`send_slots.rs`): a buffer returns to the ring when its answer's send
//! completes, so a burst larger than the ring waits in the socket's receive
//! queue (the multishot receive ends with `ENOBUFS` and is re-armed once a
//! buffer is back) rather than being dropped by the server.

mod buf_ring;
mod send_slots;

use std::io;
use std::net::{IpAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use io_uring::types::{Fd, RecvMsgOut, SubmitArgs, Timespec};
use io_uring::{IoUring, Submitter, cqueue, opcode, squeue};
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Outcome, Protocol};
use super::{udp_batch, udp_error};
use buf_ring::BufRing;
use send_slots::{SendSlots, empty_msghdr};

/// Receive buffers (and send slots) per socket: more than a batch engine's
/// batch, so a burst keeps the ring busy; the socket's receive queue holds what
/// does not fit.
pub const BUFFERS: u16 = 128;
/// How often an idle worker checks for shutdown.
pub const SHUTDOWN_POLL: Duration = udp_batch::SHUTDOWN_POLL;
/// Longest wait at shutdown for sends the kernel still holds.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);
/// Room for the sender's address at the head of each buffer (an IPv6 one is
/// the largest).
const NAME_LEN: u32 = size_of::<libc::sockaddr_in6>() as u32;
/// The header the kernel writes before the address (`io_uring_recvmsg_out`).
const RECVMSG_OUT_LEN: usize = 16;
/// Bytes per buffer: header, address, and a datagram as large as the batch
/// engine's slot.
const BUFFER_LEN: usize = RECVMSG_OUT_LEN + NAME_LEN as usize + udp_batch::SLOT;
/// The buffer group the receive draws from.
const GROUP: u16 = 0;
/// Submission entries: every slot's send and the receive fit at once.
const RING_ENTRIES: u32 = 2 * BUFFERS as u32;
/// `user_data` of the multishot receive (sends carry their slot number).
const RECEIVE: u64 = u64::MAX;
/// `user_data` of the cancellation at shutdown.
const CANCEL: u64 = u64::MAX - 1;

/// Checks that io_uring, with what this engine needs, can be set up here, so
/// start-up fails with the fix in the message rather than a worker later.
pub fn check_available() -> io::Result<()> {
    let ring = build_ring().map_err(unavailable)?;
    let buffers = BufRing::new(1, 64, GROUP)?;
    let registered = buffers.register(&ring.submitter()).map_err(unavailable);
    // The ring goes first: it holds the buffer ring's registration.
    drop(ring);
    drop(buffers);
    registered
}

/// The start-up error: what failed, why it may have, and the fix.
fn unavailable(err: io::Error) -> io::Error {
    io::Error::new(
        err.kind(),
        format!(
            "--udp-engine uring: cannot set up io_uring: {err}. It needs Linux 6.1 or later \
             with io_uring allowed (sysctl kernel.io_uring_disabled=0; container seccomp \
             profiles, Docker's default among them, block it); use --udp-engine batch"
        ),
    )
}

/// A ring with one submitting thread whose completion work runs only when it
/// waits (it always waits before reading completions).
fn build_ring() -> io::Result<IoUring> {
    let mut builder = IoUring::builder();
    if cfg!(feature = "uring-sqpoll") {
        // The busy-polling experiment: a kernel thread polls the submission
        // queue (for 10 ms after the last work). It does not pay: see
        // `docs/case-study.md`, "UDP on io_uring".
        builder.setup_sqpoll(10);
    } else {
        builder.setup_single_issuer().setup_defer_taskrun();
    }
    builder.build(RING_ENTRIES)
}

/// Serves `socket` on the calling thread until `shutdown` is cancelled. Call it
/// from a blocking-pool thread (`spawn_blocking`): the ring is made here, as
/// only the thread that made it may submit to it.
pub fn serve<H: Handler>(
    socket: UdpSocket,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    socket.set_nonblocking(false)?;
    let mut worker = Worker::new(socket.as_raw_fd()).map_err(unavailable)?;
    let served = worker.serve(&*handler, &shutdown);
    if !worker.drain(&*handler) {
        // The kernel may still read the send slots or write the buffers: leave
        // them (and the ring) allocated rather than free memory it uses.
        tracing::warn!("io_uring worker: operations still in flight at shutdown; leaking its ring");
        std::mem::forget(worker);
    }
    served
}

/// A ring and the memory it works on.
struct Worker {
    /// Declared first, so dropped first: closing it ends the kernel's use of
    /// the buffers below.
    ring: IoUring,
    state: State,
}

/// What the completions change.
struct State {
    fd: RawFd,
    buffers: BufRing,
    sends: SendSlots,
    /// The receive's header: only its address and control lengths are read,
    /// and the kernel reads it for as long as the receive is armed.
    receive_header: Box<libc::msghdr>,
    /// Whether the multishot receive is armed.
    receiving: bool,
    /// Sends submitted and not completed.
    sending: usize,
    /// Buffers out of the ring (received, their answer not yet sent).
    lent: usize,
}

impl Worker {
    fn new(fd: RawFd) -> io::Result<Self> {
        let ring = build_ring()?;
        let buffers = BufRing::new(BUFFERS, BUFFER_LEN, GROUP)?;
        buffers.register(&ring.submitter())?;
        let mut receive_header = Box::new(empty_msghdr());
        receive_header.msg_namelen = NAME_LEN;
        Ok(Self {
            ring,
            state: State {
                fd,
                buffers,
                sends: SendSlots::new(BUFFERS),
                receive_header,
                receiving: false,
                sending: 0,
                lent: 0,
            },
        })
    }

    /// The loop: (re-)arm the receive, submit what is queued and wait, answer
    /// what completed.
    fn serve<H: Handler>(&mut self, handler: &H, shutdown: &CancellationToken) -> io::Result<()> {
        let timeout = Timespec::from(SHUTDOWN_POLL);
        let args = SubmitArgs::new().timespec(&timeout);
        let (submitter, mut sq, mut cq) = self.ring.split();
        let state = &mut self.state;
        while !shutdown.is_cancelled() {
            if !state.receiving && state.lent < usize::from(BUFFERS) {
                state.arm_receive(&submitter, &mut sq)?;
            }
            sq.sync();
            // Tells the kernel which completions were read, so the wait below
            // counts only new ones.
            cq.sync();
            // Every send in flight (most complete inside this very call) and
            // one completion more: the call returns with the next datagrams,
            // not at once with only the sends' completions, which would cost a
            // second call per batch.
            wait(&submitter, state.sending + 1, &args)?;
            cq.sync();
            for cqe in &mut cq {
                state.complete(&cqe, handler, &submitter, &mut sq)?;
            }
            state.buffers.publish();
        }
        Ok(())
    }

    /// Cancels the receive and waits (at most [`DRAIN_LIMIT`]) until the kernel
    /// holds no operation on our memory; whether it got there.
    #[allow(unsafe_code)]
    fn drain<H: Handler>(&mut self, handler: &H) -> bool {
        let timeout = Timespec::from(SHUTDOWN_POLL);
        let args = SubmitArgs::new().timespec(&timeout);
        let (submitter, mut sq, mut cq) = self.ring.split();
        let state = &mut self.state;
        if state.receiving {
            let cancel = opcode::AsyncCancel::new(RECEIVE).build().user_data(CANCEL);
            // SAFETY: a cancellation points at no memory.
            if unsafe { push(&submitter, &mut sq, &cancel) }.is_err() {
                return false;
            }
        }
        let deadline = Instant::now() + DRAIN_LIMIT;
        while (state.receiving || state.sending > 0) && Instant::now() < deadline {
            sq.sync();
            cq.sync();
            if wait(&submitter, 1, &args).is_err() {
                return false;
            }
            cq.sync();
            for cqe in &mut cq {
                if state.complete(&cqe, handler, &submitter, &mut sq).is_err() {
                    state.receiving = false;
                }
            }
            state.buffers.publish();
        }
        !state.receiving && state.sending == 0
    }
}

/// Submits what is queued and waits until `want` completions are there or the
/// timeout in `args` has passed.
fn wait(submitter: &Submitter<'_>, want: usize, args: &SubmitArgs<'_, '_>) -> io::Result<()> {
    match submitter.submit_with_args(want, args) {
        Ok(_) => Ok(()),
        // ETIME: the timeout, nothing completed; EINTR: a signal; EBUSY: the
        // completion queue overflowed, reading it (next) makes room.
        Err(err)
            if matches!(
                err.raw_os_error(),
                Some(libc::ETIME | libc::EINTR | libc::EBUSY)
            ) =>
        {
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// Queues `entry`, submitting what is queued first if the queue is full.
///
/// # Safety
///
/// Whatever `entry` points at (headers, vectors, buffers) must stay valid and
/// unchanged until the operation's completion has been read.
#[allow(unsafe_code)]
unsafe fn push(
    submitter: &Submitter<'_>,
    sq: &mut io_uring::SubmissionQueue<'_>,
    entry: &squeue::Entry,
) -> io::Result<()> {
    if sq.is_full() {
        sq.sync();
        submitter.submit()?;
        sq.sync();
    }
    // SAFETY: the caller's promise about `entry`; a full queue was flushed
    // just above.
    unsafe { sq.push(entry) }.map_err(|_| io::Error::other("io_uring submission queue full"))
}

impl State {
    /// Arms the multishot receive into the buffer group.
    #[allow(unsafe_code)]
    fn arm_receive(
        &mut self,
        submitter: &Submitter<'_>,
        sq: &mut io_uring::SubmissionQueue<'_>,
    ) -> io::Result<()> {
        let receive = opcode::RecvMsgMulti::new(
            Fd(self.fd),
            std::ptr::from_ref(&*self.receive_header),
            self.buffers.group(),
        )
        .build()
        .user_data(RECEIVE);
        // SAFETY: the header is boxed and lives as long as the ring; the
        // buffers it fills belong to the registered ring.
        unsafe { push(submitter, sq, &receive) }?;
        self.receiving = true;
        Ok(())
    }

    /// Handles one completion: a datagram received, or a send done.
    fn complete<H: Handler>(
        &mut self,
        cqe: &cqueue::Entry,
        handler: &H,
        submitter: &Submitter<'_>,
        sq: &mut io_uring::SubmissionQueue<'_>,
    ) -> io::Result<()> {
        match cqe.user_data() {
            RECEIVE => self.received(cqe, handler, submitter, sq),
            CANCEL => Ok(()),
            slot => {
                self.sent(u16::try_from(slot).unwrap_or(0), cqe.result());
                Ok(())
            }
        }
    }

    /// A receive completion: answer the datagram in its buffer, queueing the
    /// send, or give the buffer straight back.
    #[allow(unsafe_code)]
    fn received<H: Handler>(
        &mut self,
        cqe: &cqueue::Entry,
        handler: &H,
        submitter: &Submitter<'_>,
        sq: &mut io_uring::SubmissionQueue<'_>,
    ) -> io::Result<()> {
        if !cqueue::more(cqe.flags()) {
            self.receiving = false;
        }
        let Ok(len) = usize::try_from(cqe.result()) else {
            return receive_error(-cqe.result());
        };
        let Some(bid) = cqueue::buffer_select(cqe.flags()) else {
            return Ok(());
        };
        self.lent += 1;
        satloc_profiling::latency_begin!("query");
        let Some(name_len) = self.answer(bid, len, handler) else {
            satloc_profiling::latency_end!("query");
            self.give_back(bid);
            return Ok(());
        };
        // The address the datagram came from, inside its buffer, is where the
        // answer goes.
        let name = self.buffers.buffer_ptr(bid).wrapping_add(RECVMSG_OUT_LEN);
        let header = self.sends.prepare(bid, name, name_len);
        let send = opcode::SendMsg::new(Fd(self.fd), header)
            .build()
            .user_data(u64::from(bid));
        // SAFETY: slot `bid`'s header, vector and response, and buffer `bid`
        // holding the address, stay untouched until this send completes and
        // `sent` gives the buffer back.
        unsafe { push(submitter, sq, &send) }?;
        self.sending += 1;
        Ok(())
    }

    /// Hands the datagram in buffer `bid` to the handler; the sender's address
    /// length when there is an answer to send.
    fn answer<H: Handler>(&mut self, bid: u16, len: usize, handler: &H) -> Option<u32> {
        let buffer = self.buffers.buffer(bid, len);
        let message = RecvMsgOut::parse(buffer, &self.receive_header).ok()?;
        // Truncated by the kernel: longer than a slot, dropped as the batch
        // engine drops it.
        if message.is_payload_truncated() || message.is_name_data_truncated() {
            return None;
        }
        let peer = peer_of(message.name_data())?;
        let out = self.sends.response(bid);
        (handler.handle(message.payload_data(), Protocol::Udp, peer, out) == Outcome::Respond)
            .then(|| message.incoming_name_len())
    }

    /// A send completion: its buffer goes back to the ring.
    fn sent(&mut self, bid: u16, result: i32) {
        self.sending -= 1;
        if result < 0 {
            let err = io::Error::from_raw_os_error(-result);
            if !udp_error::is_transient(&err) {
                tracing::debug!("UDP io_uring send failed: {err}");
            }
        } else {
            satloc_profiling::progress!("response");
        }
        satloc_profiling::latency_end!("query");
        self.give_back(bid);
    }

    fn give_back(&mut self, bid: u16) {
        self.lent -= 1;
        self.buffers.give_back(bid);
    }
}

/// A failed receive: out of buffers (re-armed once one is back), cancelled at
/// shutdown, or about one peer, all expected; anything else ends the worker.
fn receive_error(errno: i32) -> io::Result<()> {
    let err = io::Error::from_raw_os_error(errno);
    if matches!(errno, libc::ENOBUFS | libc::ECANCELED) || udp_error::is_transient(&err) {
        return Ok(());
    }
    Err(io::Error::new(
        err.kind(),
        format!("io_uring multishot receive failed: {err}"),
    ))
}

/// The IP address in a `sockaddr_in` or `sockaddr_in6` as the kernel wrote it.
fn peer_of(name: &[u8]) -> Option<IpAddr> {
    let family = u16::from_ne_bytes(name.get(..2)?.try_into().ok()?);
    match i32::from(family) {
        libc::AF_INET => {
            let octets: [u8; 4] = name.get(4..8)?.try_into().ok()?;
            Some(IpAddr::from(octets))
        }
        libc::AF_INET6 => {
            let octets: [u8; 16] = name.get(8..24)?.try_into().ok()?;
            Some(IpAddr::from(octets))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unavailable_message_names_the_flag_the_error_and_the_fix() {
        let err = unavailable(io::Error::from_raw_os_error(libc::EPERM));
        let text = err.to_string();
        for part in [
            "--udp-engine uring",
            "Operation not permitted",
            "use --udp-engine batch",
        ] {
            assert!(text.contains(part), "{part:?} missing from: {text}");
        }
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn peer_of_reads_both_families_and_rejects_others() {
        let mut v4 = [0u8; 16];
        v4[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        v4[2..4].copy_from_slice(&53u16.to_be_bytes());
        v4[4..8].copy_from_slice(&[192, 0, 2, 7]);
        assert_eq!(peer_of(&v4), Some("192.0.2.7".parse().unwrap()));

        let mut v6 = [0u8; 28];
        v6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        v6[8..24].copy_from_slice(
            &"2001:db8::7"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        assert_eq!(peer_of(&v6), Some("2001:db8::7".parse().unwrap()));

        assert_eq!(peer_of(&[0u8; 16]), None, "AF_UNSPEC");
        assert_eq!(peer_of(&v4[..6]), None, "too short");
    }
}
