//! A run's settings after checking: every value in range, every choice
//! resolved (addresses looked up, defaults applied, queries encoded).
//!
//! The command line (the `cli` module) is parsed into raw arguments first and
//! turned into a [`Config`] here, so that nothing starts until the whole
//! configuration is known to make sense, and the rest of the crate never
//! sees an `Option` that "cannot be None" or a count that could be zero.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::alignment::ALIGNMENT_TOLERANCE;
use crate::error::LoadgenError;
use crate::query::QuerySet;
use crate::response::CheckMode;
use crate::stats::HIGHEST_US;

/// UDP or TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// One datagram per query, several sockets per thread.
    Udp,
    /// Length-prefixed queries pipelined on a few connections per thread.
    Tcp,
}

impl TransportKind {
    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
        }
    }
}

/// How queries are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadModel {
    /// Keep this many queries outstanding at all times.
    Closed {
        /// Total queries in flight, over all threads.
        concurrency: usize,
    },
    /// Send at this rate whatever the server does.
    Open {
        /// Total queries per second, over all threads.
        rate_qps: f64,
    },
}

/// When sending stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCondition {
    /// After this long (not counting warm-up).
    Duration(Duration),
    /// After this many measured queries.
    Requests(u64),
}

/// Where the JSON summary goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonTarget {
    /// Standard output (`--json -`); the human report then goes to stderr.
    Stdout,
    /// A file.
    File(PathBuf),
}

/// A checked run configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server as typed, for messages.
    pub server_name: String,
    /// The server's resolved address.
    pub server: SocketAddr,
    /// UDP or TCP.
    pub transport: TransportKind,
    /// Closed or open loop.
    pub load: LoadModel,
    /// When to stop.
    pub stop: StopCondition,
    /// Time at the start whose queries are not counted.
    pub warmup: Duration,
    /// Worker threads.
    pub threads: usize,
    /// UDP sockets or TCP connections per thread.
    pub channels_per_thread: usize,
    /// Whether `--sockets` chose `channels_per_thread`; if not, a UDP run
    /// may open more, so that each socket's buffer holds its answers
    /// ([`crate::window`]).
    pub sockets_given: bool,
    /// Most queries one channel may have in flight: what a UDP socket's
    /// receive buffer holds answers for, once known ([`crate::window`]);
    /// `usize::MAX` until then and for TCP, whose flow control does this.
    pub window_per_channel: usize,
    /// How long to wait for an answer.
    pub timeout: Duration,
    /// The queries to cycle through.
    pub queries: Arc<QuerySet>,
    /// How thoroughly responses are checked.
    pub check_mode: CheckMode,
    /// Kernel buffer size to ask for on each socket.
    pub socket_buffer_bytes: usize,
    /// Whether to draw a progress bar.
    pub progress: bool,
    /// Where the JSON summary goes, if anywhere.
    pub json: Option<JsonTarget>,
    /// Where the HdrHistogram interval log goes, if anywhere.
    pub hdr_log: Option<PathBuf>,
    /// The directory the HTML report goes to, if any.
    pub report: Option<PathBuf>,
    /// Seed for IDs and letter case.
    pub seed: u64,
    /// How long a worker polls for answers before it sleeps.
    pub spin: Duration,
    /// The wall-clock time every host of a multi-host run starts at
    /// (`--start-at`), if one was agreed.
    pub start_at: Option<SystemTime>,
    /// The name of this host in the interval log (`--host-tag`).
    pub host: String,
    /// Whether the result keeps every measured second's histogram
    /// ([`crate::run::RunResult::seconds`]); a sweep's steps do, an ordinary
    /// run does not (a long run would hold hundreds of histograms).
    pub keep_seconds: bool,
}

/// The longest timeout the latency histogram can hold.
pub const MAX_TIMEOUT: Duration = Duration::from_micros(HIGHEST_US);

/// Looks up `host` (a name, an IP address, or `address:port`) with `port` as
/// the default port.
pub fn resolve_server(host: &str, port: u16) -> Result<SocketAddr, LoadgenError> {
    if let Ok(address) = host.parse::<SocketAddr>() {
        return Ok(address);
    }
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    let all: Vec<SocketAddr> = (trimmed, port)
        .to_socket_addrs()
        .map_err(|source| LoadgenError::Resolve {
            server: host.to_owned(),
            source,
        })?
        .collect();
    all.iter()
        .find(|address| address.is_ipv4())
        .or_else(|| all.first())
        .copied()
        .ok_or_else(|| LoadgenError::NoAddress {
            server: host.to_owned(),
        })
}

impl Config {
    /// Checks the combination of settings that individual parsers cannot.
    pub fn validate(&self) -> Result<(), LoadgenError> {
        let invalid = |message: String| Err(LoadgenError::InvalidConfig(message));
        if self.threads == 0 || self.threads > 1024 {
            return invalid(format!(
                "--threads {} is out of range 1..=1024",
                self.threads
            ));
        }
        if self.channels_per_thread == 0 || self.channels_per_thread > 1024 {
            return invalid(format!(
                "--sockets {} is out of range 1..=1024",
                self.channels_per_thread
            ));
        }
        match self.load {
            LoadModel::Closed { concurrency } if concurrency < self.threads => {
                return invalid(format!(
                    "--concurrency {concurrency} is less than --threads {}: every thread needs a query in flight",
                    self.threads
                ));
            }
            LoadModel::Open { rate_qps } if !(rate_qps.is_finite() && rate_qps > 0.0) => {
                return invalid(format!(
                    "--rate {rate_qps} must be a positive number of queries per second"
                ));
            }
            _ => {}
        }
        match self.stop {
            StopCondition::Duration(duration) if duration.is_zero() => {
                return invalid("--duration must be longer than zero".to_owned());
            }
            StopCondition::Requests(0) => {
                return invalid("--requests must be at least 1".to_owned());
            }
            _ => {}
        }
        if let Err(problem) = check_host_tag(&self.host) {
            return invalid(format!("--host-tag {:?}: {problem}", self.host));
        }
        if let Some(Err(problem)) = self
            .start_at
            .map(|at| check_start_at(at, SystemTime::now()))
        {
            return invalid(problem);
        }
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return invalid(format!(
                "--timeout {} is out of range (more than 0, at most 60s)",
                humantime::format_duration(self.timeout)
            ));
        }
        Ok(())
    }
}

/// Longest host tag accepted: a DNS label's length, which every host name
/// and Kubernetes pod name fits.
const MAX_HOST_TAG: usize = 63;

/// Checks that `tag` can stand in the log's `#[satloc-loadgen host: TAG]`
/// comment and in a report column: says what is wrong if not.
pub fn check_host_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() || tag.len() > MAX_HOST_TAG {
        return Err(format!("must be 1 to {MAX_HOST_TAG} characters"));
    }
    match tag
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        Some(c) => Err(format!(
            "{c:?} is not allowed (letters, digits and - _ . : only)"
        )),
        None => Ok(()),
    }
}

/// The furthest ahead `--start-at` may be: a time further out is far more
/// likely a typo (milliseconds for seconds, a wrong day) than a plan.
pub const MAX_START_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// Checks that `start_at` is neither past (beyond the alignment tolerance,
/// as seen at `now`) nor more than [`MAX_START_AHEAD`] ahead: says which and
/// by how much if it is.
pub fn check_start_at(start_at: SystemTime, now: SystemTime) -> Result<(), String> {
    let shown = humantime::format_rfc3339_millis(start_at);
    match start_at.duration_since(now) {
        Ok(ahead) if ahead > MAX_START_AHEAD => Err(format!(
            "--start-at {shown} is {} ahead, more than the {} allowed: give a nearer time",
            humantime::format_duration(Duration::from_secs(ahead.as_secs())),
            humantime::format_duration(MAX_START_AHEAD)
        )),
        Ok(_) => Ok(()),
        Err(past) if past.duration() > ALIGNMENT_TOLERANCE => Err(format!(
            "--start-at {shown} is {:.3} s in the past (now is {}): give a later time",
            past.duration().as_secs_f64(),
            humantime::format_rfc3339_millis(now)
        )),
        Err(_) => Ok(()),
    }
}
