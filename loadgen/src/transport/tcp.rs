//! TCP: a few connections per worker, each carrying many pipelined queries.
//!
//! Queries are written back to back with their two-byte length prefixes
//! (RFC 7766 pipelining) and all of a round's queries for a connection go out
//! in one `write`. Responses are read in large chunks and split into frames
//! here, so the worker sees one message at a time exactly as with UDP. When
//! the server closes a connection, the worker is told (its queries on that
//! connection are lost) and the connection is opened again; a refused
//! reconnect ends the run.

use std::io;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags};

use super::{READS_PER_ROUND, Sink, Transport, poll_channels};
use crate::schedule::Clock;

/// Bytes read per `read` call, and the most a connection buffers unread.
const READ_CHUNK: usize = 64 * 1024;

/// Bytes queued on one connection before it stops taking more queries until
/// the kernel accepts some.
const MAX_QUEUED: usize = 256 * 1024;

/// One connection and its buffers.
#[derive(Debug)]
struct Connection {
    /// The connected, non-blocking stream.
    stream: TcpStream,
    /// Framed queries not yet written.
    out: Vec<u8>,
    /// How much of `out` the kernel has taken.
    out_written: usize,
    /// Receive buffer: `input[input_start..input_end]` is read but not yet split
    /// into frames; the rest is room for the next read. Zeroed once, when it is
    /// made or grown, never per read.
    input: Vec<u8>,
    /// Start of the first unconsumed byte in `input`.
    input_start: usize,
    /// End of the bytes read into `input`.
    input_end: usize,
}

/// Connects to `server`: no Nagle delay, non-blocking.
fn connect(server: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&server, timeout)?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

impl Connection {
    /// Wraps a stream from [`connect`] with empty buffers.
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            out: Vec::with_capacity(READ_CHUNK),
            out_written: 0,
            input: vec![0; 2 * READ_CHUNK],
            input_start: 0,
            input_end: 0,
        }
    }

    /// Ensures `READ_CHUNK` bytes of room after `input_end`: moves the unread
    /// bytes to the front, and grows the buffer only when a partial frame fills
    /// most of it.
    fn make_room(&mut self) {
        if self.input.len() - self.input_end >= READ_CHUNK {
            return;
        }
        self.input.copy_within(self.input_start..self.input_end, 0);
        self.input_end -= self.input_start;
        self.input_start = 0;
        if self.input.len() - self.input_end < READ_CHUNK {
            self.input.resize(self.input_end + READ_CHUNK, 0);
        }
    }

    /// Whether queued bytes wait for the kernel.
    fn has_queued(&self) -> bool {
        self.out_written < self.out.len()
    }
}

/// What one read round on a connection found.
enum ReadOutcome {
    /// Data (possibly none) was read; the connection stays open.
    Open,
    /// The server closed the connection or reset it.
    Closed,
}

/// The TCP connections of one worker.
#[derive(Debug)]
pub struct TcpTransport {
    /// Where the queries go.
    server: SocketAddr,
    /// How long a (re)connect may take.
    connect_timeout: Duration,
    /// One per channel.
    connections: Vec<Connection>,
    /// Which connections the last wait found readable (or in error).
    readable: Vec<bool>,
    /// Longest query, to size queue reservations.
    max_query_len: usize,
}

/// Opens `count` connections to `server`. Done on the coordinating thread so
/// that a refused port stops the run before it starts.
pub fn open_connections(
    server: SocketAddr,
    count: usize,
    connect_timeout: Duration,
) -> io::Result<Vec<TcpStream>> {
    (0..count)
        .map(|_| connect(server, connect_timeout))
        .collect()
}

impl TcpTransport {
    /// Wraps connections opened by [`open_connections`].
    pub fn new(
        server: SocketAddr,
        streams: Vec<TcpStream>,
        connect_timeout: Duration,
        max_query_len: usize,
    ) -> Self {
        let readable = vec![true; streams.len()];
        let connections = streams.into_iter().map(Connection::new).collect();
        Self {
            server,
            connect_timeout,
            connections,
            readable,
            max_query_len,
        }
    }

    /// Tells the sink connection `index` is gone and opens a new one.
    fn reconnect(&mut self, index: usize, sink: &mut impl Sink) -> io::Result<()> {
        sink.closed(index);
        self.connections[index] = Connection::new(connect(self.server, self.connect_timeout)?);
        self.readable[index] = false;
        Ok(())
    }

    /// Reads what is waiting on connection `index` and hands over every
    /// complete frame.
    fn read_connection(
        &mut self,
        index: usize,
        clock: &Clock,
        sink: &mut impl Sink,
    ) -> io::Result<ReadOutcome> {
        let connection = &mut self.connections[index];
        for _ in 0..READS_PER_ROUND {
            connection.make_room();
            let end = connection.input_end;
            let read = connection
                .stream
                .read(&mut connection.input[end..end + READ_CHUNK]);
            let got = match read {
                Ok(0) => return Ok(ReadOutcome::Closed),
                Ok(n) => n,
                Err(err) => {
                    return match err.kind() {
                        io::ErrorKind::WouldBlock => Ok(ReadOutcome::Open),
                        io::ErrorKind::Interrupted => continue,
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                            Ok(ReadOutcome::Closed)
                        }
                        _ => Err(err),
                    };
                }
            };
            connection.input_end += got;
            let now_ns = clock.now_ns();
            loop {
                let available = &connection.input[connection.input_start..connection.input_end];
                if available.len() < 2 {
                    break;
                }
                let frame_len = usize::from(u16::from_be_bytes([available[0], available[1]]));
                if available.len() < 2 + frame_len {
                    break;
                }
                sink.response(index, &available[2..2 + frame_len], now_ns);
                connection.input_start += 2 + frame_len;
            }
            if got < READ_CHUNK {
                return Ok(ReadOutcome::Open);
            }
        }
        // Still more to read: come back on the next round.
        self.readable[index] = true;
        Ok(ReadOutcome::Open)
    }
}

impl Transport for TcpTransport {
    const NAME: &'static str = "TCP";

    fn server(&self) -> SocketAddr {
        self.server
    }

    fn channels(&self) -> usize {
        self.connections.len()
    }

    fn can_queue(&self, channel: usize) -> bool {
        self.connections[channel].out.len() < MAX_QUEUED
    }

    fn queue(&mut self, channel: usize, write: impl FnOnce(&mut [u8]) -> usize) {
        let out = &mut self.connections[channel].out;
        let start = out.len();
        out.resize(start + 2 + self.max_query_len, 0);
        let len = write(&mut out[start + 2..]);
        let prefix = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
        out[start..start + 2].copy_from_slice(&prefix);
        out.truncate(start + 2 + len);
    }

    fn flush(&mut self, sink: &mut impl Sink) -> io::Result<()> {
        for index in 0..self.connections.len() {
            let connection = &mut self.connections[index];
            let mut closed = false;
            while connection.has_queued() {
                match connection
                    .stream
                    .write(&connection.out[connection.out_written..])
                {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => connection.out_written += n,
                    Err(err) => match err.kind() {
                        io::ErrorKind::WouldBlock => break,
                        io::ErrorKind::Interrupted => {}
                        io::ErrorKind::BrokenPipe
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted => {
                            closed = true;
                            break;
                        }
                        _ => return Err(err),
                    },
                }
            }
            if !connection.has_queued() {
                connection.out.clear();
                connection.out_written = 0;
            }
            if closed {
                self.reconnect(index, sink)?;
            }
        }
        Ok(())
    }

    fn has_queued(&self) -> bool {
        self.connections.iter().any(Connection::has_queued)
    }

    fn wait(&mut self, timeout_ns: Option<u64>) -> io::Result<bool> {
        let mut fds: Vec<PollFd<'_>> = self
            .connections
            .iter()
            .map(|connection| {
                let mut events = PollFlags::POLLIN;
                if connection.has_queued() {
                    events |= PollFlags::POLLOUT;
                }
                PollFd::new(connection.stream.as_fd(), events)
            })
            .collect();
        poll_channels(&mut fds, timeout_ns, &mut self.readable)
    }

    fn receive(&mut self, clock: &Clock, sink: &mut impl Sink) -> io::Result<()> {
        for index in 0..self.connections.len() {
            if !self.readable[index] {
                continue;
            }
            self.readable[index] = false;
            match self.read_connection(index, clock, sink)? {
                ReadOutcome::Open => {}
                ReadOutcome::Closed => self.reconnect(index, sink)?,
            }
        }
        Ok(())
    }
}
