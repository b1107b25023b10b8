//! The errors a load-generator user can hit: [`LoadgenError`] for whatever
//! stops a run or a merge, and the typed problems of the parsers it wraps
//! ([`QueryError`], [`TotalsError`], [`LogProblem`]) or that clap reports ([`DurationError`]).
//!
//! Every message is meant to be read on its own, on one line, by someone who
//! just typed a command: it names the input (file and line, server address,
//! flag) and says what was expected. The binary prints the chain once with
//! `{err:#}`; nothing here prints. A parser's problem is part of its
//! wrapper's message rather than a `source`, so the chain names it once.

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
        problem: QueryError,
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
        problem: QueryError,
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
        problem: LogProblem,
    },

    /// The totals comment of an interval log given to `merge` cannot be read.
    #[error("{}: totals line: {problem}", path.display())]
    HdrLogTotals {
        /// The log file as given on the command line.
        path: PathBuf,
        /// What is wrong with it.
        problem: TotalsError,
    },

    /// A worker thread panicked: a bug, reported rather than hidden.
    #[error("load generator thread {0} panicked")]
    WorkerPanic(usize),

    /// The `--start-at` time had passed (beyond the tolerance) before the
    /// run could begin: this host would not line up with the others.
    #[error(
        "--start-at {start_at}: that time passed {late_s:.3} s ago (a run must begin within {tolerance_ms} ms of it so every host's seconds line up): give a later time"
    )]
    StartAtPassed {
        /// The start time as written in logs (RFC 3339, UTC).
        start_at: String,
        /// How late this host is, in seconds.
        late_s: f64,
        /// The lateness allowed, in ms.
        tolerance_ms: u128,
    },

    /// Interrupted (Ctrl-C, SIGTERM) while waiting for `--start-at`.
    #[error("interrupted while waiting for --start-at {start_at}; nothing was sent")]
    InterruptedBeforeStart {
        /// The start time waited for.
        start_at: String,
    },

    /// Logs written with `--start-at` whose intervals do not line up, given
    /// to `merge` without `--allow-unaligned`.
    #[error(
        "the logs do not line up: {0} (widen --tolerance, or merge them anyway with --allow-unaligned)"
    )]
    Unaligned(AlignmentProblem),
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

/// Why a question (`--qname`/`--qtype`, or a line of a `--queries` file)
/// cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The type is neither a known mnemonic nor `TYPEnnn`.
    #[error("unknown record type {text:?} (expected a mnemonic such as A, AAAA, LOC, or TYPEnnn)")]
    UnknownType {
        /// The type as typed.
        text: String,
    },

    /// hickory-proto cannot read the name.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name as typed.
        name: String,
        /// hickory-proto's objection.
        reason: hickory_proto::ProtoError,
    },

    /// The name is longer than DNS allows.
    #[error("name {name:?} is longer than 255 bytes on the wire")]
    NameTooLong {
        /// The name as typed.
        name: String,
    },

    /// A line of a queries file that is not two fields.
    #[error("expected \"name TYPE\", found {found} field{}: {line:?}",
        if *found == 1 { "" } else { "s" })]
    FieldCount {
        /// How many whitespace-separated fields the line has.
        found: usize,
        /// The line, trimmed.
        line: String,
    },

    /// A queries file with nothing but comments and blank lines.
    #[error("no queries in file (expected lines of \"name TYPE\")")]
    NoQueries,

    /// hickory-proto cannot encode the query.
    #[error("{reason}")]
    Encode {
        /// hickory-proto's objection.
        reason: hickory_proto::ProtoError,
    },

    /// The encoded query does not hold its own question: a bug, reported
    /// rather than sent.
    #[error("encoded message is shorter than its question")]
    QuestionNotInMessage,
}

/// Why a `--duration`, `--warmup`, `--timeout` or `--spin` value is not a
/// duration. clap puts the flag in front of the message.
#[derive(Debug, thiserror::Error)]
pub enum DurationError {
    /// A bare number that is not a usable count of seconds (negative, too
    /// large, not finite).
    #[error("{text:?} is not a valid number of seconds")]
    Seconds {
        /// The value as typed.
        text: String,
    },

    /// Neither a number nor a duration with units.
    #[error("{text:?} is not a duration like 10s or 500ms: {reason}")]
    Unparsable {
        /// The value as typed.
        text: String,
        /// humantime's objection.
        reason: humantime::DurationError,
    },
}

/// Why an HdrHistogram interval log cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum LogProblem {
    /// The file cannot be read.
    #[error("cannot read: {0}")]
    Unreadable(io::Error),

    /// A line that is neither a comment, a header nor an interval.
    #[error("line {line}: not an interval log line")]
    NotALogLine {
        /// 1-based line number.
        line: usize,
    },

    /// An interval whose histogram is not base64.
    #[error("interval {number}: bad base64: {reason}")]
    Base64 {
        /// 1-based interval number.
        number: usize,
        /// What the decoder said.
        reason: String,
    },

    /// An interval whose histogram does not decode.
    #[error("interval {number}: bad histogram: {reason}")]
    Histogram {
        /// 1-based interval number.
        number: usize,
        /// What the histogram library said.
        reason: String,
    },

    /// A histogram that cannot be added to the others (values out of range).
    #[error("{0}")]
    CannotAdd(String),

    /// A log without a single interval.
    #[error("no interval histograms in log")]
    Empty,

    /// A `#[satloc-loadgen start-at: ...]` comment whose time does not parse.
    #[error("start-at comment: {value:?} is not a UTC time like 2026-12-01T10:00:00Z: {reason}")]
    StartAt {
        /// The value as written.
        value: String,
        /// The parser's objection.
        reason: String,
    },
}

/// Why the `#[satloc-loadgen totals: ...]` comment of an interval log cannot
/// be read.
#[derive(Debug, thiserror::Error)]
pub enum TotalsError {
    /// The line is not `#[satloc-loadgen totals: key=value ...]`.
    #[error("expected \"#[satloc-loadgen totals: key=value ...]\"")]
    Shape,

    /// A counter every totals line has is absent.
    #[error("missing {key}")]
    Missing {
        /// The key looked for.
        key: &'static str,
    },

    /// A counter or `elapsed_s` whose value is not a number.
    #[error("{key} is not a number: {value:?}")]
    NotANumber {
        /// The key.
        key: &'static str,
        /// Its value as written.
        value: String,
    },

    /// An entry of `rcodes=` that is not `code:count`.
    #[error("rcodes must be code:count, found {entry:?}")]
    RcodeEntry {
        /// The entry as written.
        entry: String,
    },

    /// An RCODE that is not a number.
    #[error("bad rcode {code:?}")]
    Rcode {
        /// The code as written.
        code: String,
    },

    /// An RCODE count that is not a number.
    #[error("bad rcode count {count:?}")]
    RcodeCount {
        /// The count as written.
        count: String,
    },

    /// An RCODE beyond the 12 bits an extended RCODE has.
    #[error("rcode {code} out of range")]
    RcodeRange {
        /// The code.
        code: usize,
    },
}

/// Why a `--start-at` value is not a start time. clap puts the flag in front
/// of the message.
#[derive(Debug, thiserror::Error)]
#[error(
    "{text:?} is not a UTC time like 2026-12-01T10:00:00Z nor seconds since the epoch: {reason}"
)]
pub struct StartAtError {
    /// The value as typed.
    pub text: String,
    /// The parser's objection.
    pub reason: String,
}

/// Why interval logs given to `merge` do not describe one run whose hosts'
/// seconds line up. Logs are named by file and host.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlignmentProblem {
    /// Two logs written with different `--start-at` times: two runs.
    #[error(
        "{other} was started at {other_at} and {first} at {first_at} (--start-at): they are not from one run"
    )]
    DifferentStartAt {
        /// The first log with a start time.
        first: String,
        /// Its start time.
        first_at: String,
        /// A log with another start time.
        other: String,
        /// That start time.
        other_at: String,
    },

    /// Two logs whose first intervals start more than the tolerance apart.
    #[error(
        "{later} starts {apart_s:.3} s after {earliest} (more than the {tolerance_ms} ms tolerance): the hosts did not start together"
    )]
    StartsApart {
        /// The log that starts first.
        earliest: String,
        /// A log that starts later.
        later: String,
        /// How much later, in seconds.
        apart_s: f64,
        /// The difference allowed, in ms.
        tolerance_ms: u128,
    },

    /// An interval that does not start on the common grid of seconds.
    #[error(
        "{log}: interval {number} starts {off_s:.3} s off the {period_s:.3} s grid that starts with {earliest} (more than the {tolerance_ms} ms tolerance)"
    )]
    OffGrid {
        /// The log.
        log: String,
        /// 1-based interval number.
        number: usize,
        /// How far off the nearest grid point, in seconds.
        off_s: f64,
        /// The grid's period, in seconds.
        period_s: f64,
        /// The log whose first interval the grid starts from.
        earliest: String,
        /// The distance allowed, in ms.
        tolerance_ms: u128,
    },
}
