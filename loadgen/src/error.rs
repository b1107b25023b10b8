//! The errors a load-generator user can hit, as one enum.
//!
//! Every message is meant to be read on its own, on one line, by someone who
//! just typed a command: it names the input (file and line, server address,
//! flag) and says what was expected. The binary prints the chain once with
//! `{err:#}`; nothing here prints.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything that can stop a run or a merge.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// A line of a `--queries` file is not `name TYPE`.
    #[error("{}:{line}: {problem}", path.display())]
    QueriesFileLine {
        /// The file as given on the command line.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it, and what was expected.
        problem: String,
    },

    /// A `--queries` file that cannot be read at all.
    #[error("cannot read queries file {}", path.display())]
    QueriesFileRead {
        /// The file as given on the command line.
        path: PathBuf,
        /// Why the read failed.
        #[source]
        source: io::Error,
    },

    /// A query given with `--qname`/`--qtype` that cannot be sent.
    #[error("invalid query {query:?}: {problem}")]
    InvalidQuery {
        /// The name or type as typed.
        query: String,
        /// What is wrong with it.
        problem: String,
    },

    /// Command-line values that do not fit together.
    #[error("{0}")]
    InvalidConfig(String),

    /// The server name did not resolve.
    #[error("cannot resolve server name {server:?}")]
    Resolve {
        /// The host as typed.
        server: String,
        /// The resolver's answer.
        #[source]
        source: io::Error,
    },

    /// The server name resolved to nothing usable.
    #[error("server name {server:?} resolved to no address")]
    NoAddress {
        /// The host as typed.
        server: String,
    },

    /// The server host answered with ICMP port unreachable (UDP) or a TCP
    /// reset: nothing listens on that port.
    #[error("{server} refused the {what}: nothing is listening on port {port}",
        what = refused_what(transport), port = server.port())]
    Refused {
        /// The address the queries went to.
        server: SocketAddr,
        /// "UDP" or "TCP".
        transport: &'static str,
    },

    /// The network reports the server cannot be reached at all.
    #[error("{server} is unreachable over {transport}")]
    Unreachable {
        /// The address the queries went to.
        server: SocketAddr,
        /// "UDP" or "TCP".
        transport: &'static str,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },

    /// Queries went out but not a single answer came back.
    #[error("no response from {server}: all {sent} queries timed out after {}", humantime::format_duration(*timeout))]
    NoResponse {
        /// The address the queries went to.
        server: SocketAddr,
        /// How many queries were sent.
        sent: u64,
        /// The per-query timeout.
        timeout: Duration,
    },

    /// A socket operation failed in a way the run cannot continue from.
    #[error("{context}")]
    Socket {
        /// What was being done ("bind UDP socket", "receive from 127.0.0.1:53").
        context: String,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },

    /// An output file (`--json`, `--hdr-log`) could not be written.
    #[error("cannot write {}", path.display())]
    Output {
        /// The file as given on the command line.
        path: PathBuf,
        /// Why the write failed.
        #[source]
        source: io::Error,
    },

    /// An HdrHistogram interval log given to `merge` could not be used.
    #[error("{}: {problem}", path.display())]
    HdrLog {
        /// The log file as given on the command line.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A worker thread panicked: a bug, reported rather than hidden.
    #[error("load generator thread {0} panicked")]
    WorkerPanic(usize),
}

impl LoadgenError {
    /// Turns a socket error on the measurement path into the user-facing
    /// error: refusals and unreachable networks get their own messages,
    /// anything else keeps its context.
    pub fn from_socket(
        err: io::Error,
        server: SocketAddr,
        transport: &'static str,
        context: impl FnOnce() -> String,
    ) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionRefused => Self::Refused { server, transport },
            io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::TimedOut => Self::Unreachable {
                server,
                transport,
                source: err,
            },
            _ => Self::Socket {
                context: context(),
                source: err,
            },
        }
    }
}

/// What a refusal refused: UDP queries are refused by an ICMP message, TCP
/// connections by a reset.
fn refused_what(transport: &str) -> &'static str {
    if transport == "TCP" {
        "TCP connection"
    } else {
        "UDP query (ICMP port unreachable)"
    }
}
