//! DNS over TCP (RFC 1035 section 4.2.2, RFC 7766).
//!
//! Each message is prefixed with its length as two bytes. A connection carries
//! as many queries as the client sends, pipelined or not; responses go out in
//! order, and are flushed when no further query is already buffered, so a
//! pipelined burst is answered with few writes. Idle connections are closed
//! after the idle timeout; at most [`TcpOptions::max_connections`] are served at once.
//! [`TcpCounters`] says how many are open and how many were refused, for the
//! metrics endpoint.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::handler::{Handler, Outcome, Protocol};

/// TCP limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOptions {
    /// How long an idle connection is kept open (RFC 7766 section 6.2.3).
    pub idle_timeout: Duration,
    /// Most connections served at once; more are closed on accept.
    pub max_connections: usize,
}

impl Default for TcpOptions {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Connections counted as they open, close and are turned away. Relaxed
/// atomics: they change once per connection, and a scrape may read them a
/// moment late.
#[derive(Debug, Default)]
pub struct TcpCounters {
    /// Connections being served now.
    open: AtomicU64,
    /// Connections closed on accept because `max_connections` were open.
    refused: AtomicU64,
}

impl TcpCounters {
    /// Connections being served now.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections refused so far for being over the limit.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// A connection's slot under the limit, counted open for as long as it lives
/// (dropped when the connection's task ends, however it ends).
struct OpenConnection {
    _slot: OwnedSemaphorePermit,
    counters: Arc<TcpCounters>,
}

impl OpenConnection {
    fn new(slot: OwnedSemaphorePermit, counters: &Arc<TcpCounters>) -> Self {
        counters.open.fetch_add(1, Ordering::Relaxed);
        Self {
            _slot: slot,
            counters: Arc::clone(counters),
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.counters.open.fetch_sub(1, Ordering::Relaxed);
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
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
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
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%peer, "TCP connection limit reached; closing");
            continue;
        };
        let open = OpenConnection::new(slot, &counters);
        let _ = stream.set_nodelay(true);
        let handler = Arc::clone(&handler);
        let idle = options.idle_timeout;
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            if let Err(err) = connection(stream, handler.as_ref(), peer.ip(), idle, &shutdown).await
            {
                tracing::debug!(%peer, "TCP connection ended: {err}");
            }
            drop(open);
        });
    }
    // Connections watch the same token; give them a moment to finish writing.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

/// Serves one connection until the client closes it, it idles out, a framing
/// error occurs, or shutdown.
async fn connection<H: Handler>(
    stream: TcpStream,
    handler: &H,
    peer: IpAddr,
    idle: Duration,
    shutdown: &CancellationToken,
) -> io::Result<()> {
    let (read_half, write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let mut writer = BufWriter::new(write_half);
    let mut query = Vec::with_capacity(512);
    let mut response = Vec::with_capacity(4096);
    loop {
        let length = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            length = tokio::time::timeout(idle, reader.read_u16()) => length,
        };
        let length = match length {
            Err(_elapsed) => break,
            Ok(Err(err)) if err.kind() == io::ErrorKind::UnexpectedEof => break,
            Ok(Err(err)) => return Err(err),
            Ok(Ok(length)) => usize::from(length),
        };
        query.resize(length, 0);
        // A client that sends a length and then stalls is idle too.
        match tokio::time::timeout(idle, reader.read_exact(&mut query)).await {
            Err(_elapsed) => break,
            Ok(result) => result?,
        };
        satloc_profiling::latency_begin!("query");
        if handler.handle(&query, Protocol::Tcp, peer, &mut response) == Outcome::Respond {
            // `answer` caps TCP responses at 65535 bytes.
            let prefix = u16::try_from(response.len()).unwrap_or(u16::MAX);
            writer.write_all(&prefix.to_be_bytes()).await?;
            writer.write_all(&response).await?;
            if reader.buffer().is_empty() {
                writer.flush().await?;
            }
            satloc_profiling::progress!("response");
        }
        satloc_profiling::latency_end!("query");
    }
    writer.flush().await?;
    writer.shutdown().await
}
