//! DNS over TCP (RFC 1035 section 4.2.2, RFC 7766).
//!
//! Each message is prefixed with its length as two bytes. A connection carries
//! as many queries as the client sends, pipelined or not; responses go out in
//! order, and are flushed when no further whole query is already buffered, so
//! a pipelined burst is answered with few writes.
//!
//! Limits, so that clients that hold connections cannot lock others out:
//!
//! * at most [`TcpOptions::max_connections`] at once; when all are taken, the
//!   connection idle the longest is closed to admit a new one, and when none is
//!   idle the new one waits for a slot (`tcp_slots`);
//! * an idle connection is closed after [`TcpOptions::idle_timeout`], and a
//!   message must be read and answered within the same time from its first
//!   byte, and responses taken by the client within it, or the connection is
//!   closed (a client sending a byte a second cannot hold a slot for longer);
//! * at most [`TcpOptions::max_queries_per_connection`] queries are answered
//!   before their responses are sent and other connections get their turn;
//!   pipelined queries beyond it wait in the buffers, none is dropped.
//!
//! [`TcpCounters`] counts connections open, evicted, queued and too slow, for
//! the metrics endpoint.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Outcome, Protocol};
use super::tcp_slots::{Slot, Slots, TcpCounters};

/// TCP limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOptions {
    /// How long an idle connection is kept open (RFC 7766 section 6.2.3), and
    /// how long a message may take to arrive once started, or a response to be
    /// taken by the client.
    pub idle_timeout: Duration,
    /// Most connections served at once; beyond it the oldest idle one is closed.
    pub max_connections: usize,
    /// Most queries answered on one connection before their responses are
    /// sent (at least one).
    pub max_queries_per_connection: usize,
}

impl Default for TcpOptions {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(10),
            max_connections: 1024,
            // BIND's limit (ISC_NETMGR_MAX_STREAM_CLIENTS_PER_CONN).
            max_queries_per_connection: 23,
        }
    }
}

/// Accepts connections until `shutdown` is cancelled, then waits (briefly) for
/// open connections to close. Counts them in `counters`.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    options: TcpOptions,
    counters: Arc<TcpCounters>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let slots = Slots::new(options.max_connections);
    let mut connections = JoinSet::new();
    let mut backoff = Duration::from_millis(1);
    loop {
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = Duration::from_millis(1);
                accepted
            }
            Err(err) => {
                // Out of file descriptors or similar: wait and retry rather than
                // spin or die; the condition usually clears as connections close.
                tracing::warn!("TCP accept failed: {err}; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        // With every slot busy this waits, and later clients wait in the
        // listen backlog (as Knot and NSD leave them) instead of being reset.
        let Some(slot) = slots.admit(&counters, &shutdown).await else {
            break;
        };
        let _ = stream.set_nodelay(true);
        let handler = Arc::clone(&handler);
        let options = options.clone();
        let counters = Arc::clone(&counters);
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let connection = Connection::new(stream, handler.as_ref(), peer.ip(), &options, &slot);
            match connection.serve(&shutdown).await {
                Ok(Ending::Slow) => {
                    counters.slow.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%peer, "TCP connection closed: too slow");
                }
                Ok(ending) => tracing::trace!(%peer, "TCP connection closed: {ending:?}"),
                Err(err) => tracing::debug!(%peer, "TCP connection ended: {err}"),
            }
            drop(slot);
        });
    }
    // Connections watch the same token; give them a moment to finish writing.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

/// Why a connection ended, when not by an I/O error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The client closed it.
    ClientClosed,
    /// It was idle for the idle timeout.
    IdleTimeout,
    /// It was idle and closed to make room for a new connection.
    Evicted,
    /// A message took longer than the idle timeout to arrive and be answered,
    /// or the client to take responses.
    Slow,
    /// The server is shutting down.
    Shutdown,
}

/// One connection's buffers and limits.
struct Connection<'a, H> {
    reader: BufReader<OwnedReadHalf>,
    writer: BufWriter<OwnedWriteHalf>,
    /// The message being answered, without its length.
    query: Vec<u8>,
    /// Its response.
    response: Vec<u8>,
    handler: &'a H,
    /// The client's address, for the handler (rate limiting, cookies).
    peer: IpAddr,
    options: &'a TcpOptions,
    slot: &'a Slot,
}

impl<'a, H: Handler> Connection<'a, H> {
    fn new(
        stream: TcpStream,
        handler: &'a H,
        peer: IpAddr,
        options: &'a TcpOptions,
        slot: &'a Slot,
    ) -> Self {
        let (read_half, write_half) = stream.into_split();
        Connection {
            reader: BufReader::new(read_half),
            writer: BufWriter::new(write_half),
            query: Vec::with_capacity(512),
            response: Vec::with_capacity(4096),
            handler,
            peer,
            options,
            slot,
        }
    }

    /// Serves the connection until the client closes it, it idles out, it is
    /// evicted or too slow, a framing error occurs, or shutdown.
    async fn serve(mut self, shutdown: &CancellationToken) -> io::Result<Ending> {
        let ending = loop {
            if let Some(ending) = self.wait_for_message(shutdown).await? {
                break ending;
            }
            if let Some(ending) = self.answer_messages(shutdown).await? {
                break ending;
            }
        };
        if ending != Ending::Slow {
            // Flushes anything left and sends the FIN; a client too slow to
            // take responses does not get to hold the connection for it.
            match timeout(self.options.idle_timeout, self.writer.shutdown()).await {
                Err(_elapsed) => return Ok(Ending::Slow),
                Ok(result) => result?,
            }
        }
        Ok(ending)
    }

    /// Waits, idle, for the first byte of the next message: `None` once it is
    /// here, or why the connection ends instead.
    async fn wait_for_message(
        &mut self,
        shutdown: &CancellationToken,
    ) -> io::Result<Option<Ending>> {
        if !self.reader.buffer().is_empty() {
            return Ok(None);
        }
        let slot = self.slot;
        slot.idle();
        let filled = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(Some(Ending::Shutdown)),
            () = slot.evicted() => return Ok(Some(Ending::Evicted)),
            filled = timeout(self.options.idle_timeout, self.reader.fill_buf()) => filled,
        };
        match filled {
            Err(_elapsed) => Ok(Some(Ending::IdleTimeout)),
            Ok(Err(err)) => Err(err),
            Ok(Ok([])) => Ok(Some(Ending::ClientClosed)),
            // Chosen for eviction just as the message began: the client sees
            // the connection close unanswered, as after any server close.
            Ok(Ok(_)) if !slot.busy() => Ok(Some(Ending::Evicted)),
            Ok(Ok(_)) => Ok(None),
        }
    }

    /// Reads and answers messages while they keep coming: `None` once the
    /// buffers are empty and every response is flushed (idle again), or why
    /// the connection ends.
    async fn answer_messages(
        &mut self,
        shutdown: &CancellationToken,
    ) -> io::Result<Option<Ending>> {
        let mut unsent = 0;
        loop {
            // The message has begun: it gets the idle timeout, from now, to
            // arrive whole and have its response queued.
            let deadline = Instant::now() + self.options.idle_timeout;
            match timeout_at(deadline, self.read_message()).await {
                Err(_elapsed) => return Ok(Some(Ending::Slow)),
                Ok(Err(err)) if err.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Some(Ending::ClientClosed));
                }
                Ok(result) => result?,
            }
            satloc_profiling::latency_begin!("query");
            if self
                .handler
                .handle(&self.query, Protocol::Tcp, self.peer, &mut self.response)
                == Outcome::Respond
            {
                if !self.queue_response(deadline).await? {
                    return Ok(Some(Ending::Slow));
                }
                unsent += 1;
                satloc_profiling::progress!("response");
            }
            satloc_profiling::latency_end!("query");
            let next_is_whole = whole_message_buffered(self.reader.buffer());
            if !next_is_whole || unsent >= self.options.max_queries_per_connection {
                if !self.flush().await? {
                    return Ok(Some(Ending::Slow));
                }
                unsent = 0;
                if next_is_whole {
                    // The rest of a long pipeline waits its turn.
                    tokio::task::yield_now().await;
                }
            }
            if self.reader.buffer().is_empty() {
                return Ok(None);
            }
            if shutdown.is_cancelled() {
                return Ok(Some(Ending::Shutdown));
            }
        }
    }

    /// Reads one length-prefixed message into `query`.
    async fn read_message(&mut self) -> io::Result<()> {
        let length = self.reader.read_u16().await?;
        self.query.resize(usize::from(length), 0);
        self.reader.read_exact(&mut self.query).await?;
        Ok(())
    }

    /// Queues `response` behind its length; false when the client has not
    /// made room for it by `deadline`.
    async fn queue_response(&mut self, deadline: Instant) -> io::Result<bool> {
        // `answer` caps TCP responses at 65535 bytes.
        let prefix = u16::try_from(self.response.len()).unwrap_or(u16::MAX);
        let (writer, response) = (&mut self.writer, &self.response);
        let queued = timeout_at(deadline, async move {
            writer.write_all(&prefix.to_be_bytes()).await?;
            writer.write_all(response).await
        });
        match queued.await {
            Err(_elapsed) => Ok(false),
            Ok(result) => result.map(|()| true),
        }
    }

    /// Sends the queued responses; false when the client does not take them
    /// within the idle timeout.
    async fn flush(&mut self) -> io::Result<bool> {
        match timeout(self.options.idle_timeout, self.writer.flush()).await {
            Err(_elapsed) => Ok(false),
            Ok(result) => result.map(|()| true),
        }
    }
}

/// Whether `buffered` starts with a whole length-prefixed message.
fn whole_message_buffered(buffered: &[u8]) -> bool {
    match buffered {
        [high, low, rest @ ..] => rest.len() >= usize::from(u16::from_be_bytes([*high, *low])),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_message_is_its_length_and_as_many_bytes() {
        assert!(!whole_message_buffered(&[]));
        assert!(!whole_message_buffered(&[0]));
        assert!(whole_message_buffered(&[0, 0]), "an empty message");
        assert!(!whole_message_buffered(&[0, 3, 1, 2]));
        assert!(whole_message_buffered(&[0, 3, 1, 2, 3]));
        assert!(
            whole_message_buffered(&[0, 3, 1, 2, 3, 0]),
            "and part of the next"
        );
        assert!(
            !whole_message_buffered(&[1, 0, 1, 2, 3]),
            "256 bytes promised"
        );
    }
}
