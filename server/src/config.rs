//! The command line, and the checked configuration it becomes.
//!
//! clap parses raw [`Args`]; [`Config::from_args`] validates them into values the
//! rest of the server can trust (names parsed, aliases checked, the clock built),
//! so a bad flag is reported once, up front, with the flag's name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::TimeDelta;
use clap::Parser;

use crate::answer::AnswerPath;
use crate::catalog::{NamingOptions, ObjectRef, Source, validate_label};
use crate::clock::Clock;
use crate::engine::{EngineOptions, TcpOptions, UdpEngine};
use crate::zone::{
    DEFAULT_MAX_UDP_PAYLOAD, DEFAULT_TTL, DEFAULT_ZONE, PrecisionModel, Zone, parse_fqdn,
};

/// An authoritative DNS server that answers LOC queries with where satellites are
/// right now.
///
/// Every object of the catalogue answers LOC and TXT at `<norad-id>.<zone>`, at a
/// label made from its name (`iss-zarya.<zone>`) and at aliases (`iss.<zone>`).
#[derive(Debug, Parser)]
#[command(name = "satloc-server", version, about, long_about = None)]
pub struct Args {
    /// Orbital elements to serve: TLE (2- or 3-line) or CelesTrak OMM JSON,
    /// detected from the content. Repeatable. Without it, the snapshot compiled
    /// into the binary is served.
    #[arg(long = "catalog", value_name = "PATH")]
    pub catalogs: Vec<PathBuf>,

    /// The zone to be authoritative for.
    #[arg(long, default_value = DEFAULT_ZONE, value_name = "NAME")]
    pub zone: String,

    /// Address to serve UDP and TCP on. Repeatable; IPv6 in brackets, e.g. `[::1]:5353`.
    #[arg(long = "listen", value_name = "ADDR", default_value = "127.0.0.1:5353")]
    pub listen: Vec<SocketAddr>,

    /// Freeze the clock at this RFC 3339 instant (e.g. 2026-11-28T12:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,

    /// TTL of every record and the negative-caching TTL, in seconds.
    #[arg(long, default_value_t = DEFAULT_TTL, value_name = "SECONDS")]
    pub ttl: u32,

    /// Another name for an object: LABEL=NORAD_ID (e.g. station=25544). Repeatable.
    #[arg(long = "alias", value_name = "LABEL=ID")]
    pub aliases: Vec<String>,

    /// Serve this object's LOC and TXT at the zone apex itself (NORAD id or label).
    #[arg(long, value_name = "ID|LABEL")]
    pub apex: Option<String>,

    /// Fixed LOC size, horizontal and vertical precision in metres, instead of
    /// the model that grows with element age.
    #[arg(long, value_name = "SIZE,HORIZ,VERT")]
    pub precision: Option<String>,

    /// Name servers for the apex NS set. Repeatable. Default: ns1 under the zone.
    #[arg(long = "ns", value_name = "NAME")]
    pub nameservers: Vec<String>,

    /// SOA RNAME (responsible mailbox). Default: hostmaster under the zone.
    #[arg(long, value_name = "NAME")]
    pub soa_rname: Option<String>,

    /// Runtime worker threads (and UDP sockets per address). Default: one per CPU.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// UDP strategy: recvmmsg/sendmmsg batches on a worker thread per socket
    /// (batch), an async receive loop per socket (loop), or a task per datagram (spawn).
    #[arg(long, value_enum, default_value = "batch")]
    pub udp_engine: UdpEngine,

    /// Answer core: the allocation-free fast path for plain LOC queries (hickory
    /// for the rest), or hickory-proto for everything (for A/B measurements).
    #[arg(long, value_enum, default_value = "fast")]
    pub answer_path: AnswerPath,

    /// Largest UDP response sent to EDNS clients, in bytes (512..=4096).
    #[arg(long, default_value_t = DEFAULT_MAX_UDP_PAYLOAD, value_name = "BYTES")]
    pub max_udp_payload: u16,

    /// Close TCP connections idle for this long (e.g. 10s, 500ms).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub tcp_idle_timeout: String,

    /// Most TCP connections served at once.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_tcp_connections: usize,

    /// Warn when served elements are older than this (e.g. 3d, 12h).
    #[arg(long, default_value = "3d", value_name = "DURATION")]
    pub stale_after: String,

    /// Load the catalogue, print every object with its names and position, and exit.
    #[arg(long)]
    pub check: bool,

    /// Add about this many nanoseconds of busy work to every query, in one named
    /// function on the critical path (profiler validation).
    #[arg(long, default_value_t = 0, value_name = "NS")]
    pub synthetic_work_ns: u64,

    /// Write a CPU profile on shutdown: flamegraph (.svg) or pprof protobuf (.pb).
    /// Repeatable, for both formats from one run. Needs the `pprof` feature.
    #[arg(long = "cpu-profile", value_name = "PATH")]
    pub cpu_profiles: Vec<PathBuf>,

    /// Serve /metrics (Prometheus), /health and /ready over HTTP on this
    /// address; a bare port means 127.0.0.1:PORT.
    #[arg(long, value_name = "ADDR|PORT")]
    pub metrics_listen: Option<String>,

    /// Log as human-readable text, or as one JSON object per line for log shippers.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where elements come from.
    pub sources: Vec<Source>,
    /// Aliases and apex object.
    pub naming: NamingOptions,
    /// The zone.
    pub zone: Zone,
    /// The clock.
    pub clock: Clock,
    /// Addresses to bind.
    pub listen: Vec<SocketAddr>,
    /// Worker threads.
    pub threads: usize,
    /// Transport settings.
    pub engine: EngineOptions,
    /// Element age that triggers a warning.
    pub stale_after: TimeDelta,
    /// Print the catalogue and exit.
    pub check: bool,
    /// Planted work per query, ns.
    pub synthetic_work_ns: u64,
    /// CPU profile outputs.
    pub cpu_profiles: Vec<PathBuf>,
    /// Answer core implementation.
    pub answer_path: AnswerPath,
    /// Where the HTTP endpoint (/metrics, /health, /ready) listens, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
}

impl Config {
    /// Checks every flag, naming the flag in any error.
    pub fn from_args(args: Args) -> Result<Self> {
        let sources = if args.catalogs.is_empty() {
            vec![Source::Embedded]
        } else {
            args.catalogs.iter().cloned().map(Source::File).collect()
        };
        let zone = zone(&args)?;
        let naming = naming(&args)?;
        let clock = clock(&args)?;
        if args.listen.is_empty() {
            bail!("--listen: at least one address is needed");
        }
        let threads = match args.threads {
            Some(0) => bail!("--threads 0: at least one thread is needed"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        let engine = engine(&args)?;
        let stale_after = parse_duration(&args.stale_after).context("--stale-after")?;
        let stale_after = TimeDelta::from_std(stale_after).context("--stale-after is too long")?;
        let metrics_listen = args
            .metrics_listen
            .as_deref()
            .map(|text| parse_listen(text).with_context(|| format!("--metrics-listen {text}")))
            .transpose()?;
        Ok(Config {
            sources,
            naming,
            zone,
            clock,
            listen: args.listen,
            threads,
            engine,
            stale_after,
            check: args.check,
            synthetic_work_ns: args.synthetic_work_ns,
            cpu_profiles: args.cpu_profiles,
            answer_path: args.answer_path,
            metrics_listen,
        })
    }
}

/// The zone: apex, TTL, UDP payload cap, precision, NS and SOA names.
fn zone(args: &Args) -> Result<Zone> {
    let mut zone = Zone::new(&args.zone).context("--zone")?;
    zone.ttl = args.ttl;
    if !(512..=4096).contains(&args.max_udp_payload) {
        bail!(
            "--max-udp-payload {}: must be between 512 and 4096",
            args.max_udp_payload
        );
    }
    zone.max_udp_payload = args.max_udp_payload;
    if let Some(precision) = &args.precision {
        zone.precision = PrecisionModel::parse_fixed(precision)
            .with_context(|| format!("--precision {precision}"))?;
    }
    if !args.nameservers.is_empty() {
        zone.nameservers = args
            .nameservers
            .iter()
            .map(|ns| parse_fqdn(ns).with_context(|| format!("--ns {ns}")))
            .collect::<Result<_>>()?;
        zone.mname = zone.nameservers[0].clone();
    }
    if let Some(rname) = &args.soa_rname {
        zone.rname = parse_fqdn(rname).with_context(|| format!("--soa-rname {rname}"))?;
    }
    Ok(zone)
}

/// `--alias` and `--apex`.
fn naming(args: &Args) -> Result<NamingOptions> {
    let mut naming = NamingOptions::default();
    for alias in &args.aliases {
        naming
            .aliases
            .push(parse_alias(alias).with_context(|| format!("--alias {alias}"))?);
    }
    if let Some(apex) = &args.apex {
        let reference: ObjectRef = apex.parse().with_context(|| format!("--apex {apex}"))?;
        naming.apex = Some(reference);
    }
    Ok(naming)
}

/// The system clock, or frozen by `--now`.
fn clock(args: &Args) -> Result<Clock> {
    Ok(match &args.now {
        None => Clock::System,
        Some(now) => Clock::frozen_at(now).with_context(|| {
            format!("--now {now}: expected an RFC 3339 instant such as 2026-11-28T12:00:00Z")
        })?,
    })
}

/// The UDP strategy and the TCP limits.
fn engine(args: &Args) -> Result<EngineOptions> {
    let idle_timeout = parse_duration(&args.tcp_idle_timeout).context("--tcp-idle-timeout")?;
    Ok(EngineOptions {
        udp: args.udp_engine,
        tcp: TcpOptions {
            idle_timeout,
            max_connections: args.max_tcp_connections,
        },
        ..EngineOptions::default()
    })
}

fn parse_alias(text: &str) -> Result<(String, u64)> {
    let Some((label, id)) = text.split_once('=') else {
        bail!("expected LABEL=NORAD_ID, e.g. station=25544");
    };
    let label = validate_label(label.trim())?;
    let id: u64 = id
        .trim()
        .parse()
        .with_context(|| format!("\"{id}\" is not a NORAD catalogue number"))?;
    Ok((label, id))
}

/// `ADDR:PORT`, `[IPv6]:PORT`, or a bare `PORT` on loopback.
fn parse_listen(text: &str) -> Result<SocketAddr> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().with_context(|| {
        format!(
            "\"{text}\" is not a port or an address with a port \
             (e.g. 9153, 127.0.0.1:9153, 0.0.0.0:9153, [::1]:9153)"
        )
    })
}

fn parse_duration(text: &str) -> Result<Duration> {
    humantime::parse_duration(text)
        .with_context(|| format!("\"{text}\" is not a duration (e.g. 10s, 500ms, 3d)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[&str]) -> Result<Config> {
        let mut argv = vec!["satloc-server"];
        argv.extend_from_slice(extra);
        Config::from_args(Args::try_parse_from(argv)?)
    }

    #[test]
    fn defaults_serve_the_embedded_catalogue_on_5353() {
        let config = config(&[]).unwrap();
        assert_eq!(config.sources, vec![Source::Embedded]);
        assert_eq!(config.listen, vec!["127.0.0.1:5353".parse().unwrap()]);
        assert_eq!(config.zone.apex.to_ascii(), "sat.example.");
        assert_eq!(config.clock, Clock::System);
        assert_eq!(config.metrics_listen, None);
    }

    #[test]
    fn metrics_listen_takes_a_bare_port_as_loopback() {
        let listen = |text: &str| config(&["--metrics-listen", text]).unwrap().metrics_listen;
        assert_eq!(listen("9153"), Some("127.0.0.1:9153".parse().unwrap()));
        assert_eq!(
            listen("0.0.0.0:9153"),
            Some("0.0.0.0:9153".parse().unwrap())
        );
        assert_eq!(listen("[::1]:9153"), Some("[::1]:9153".parse().unwrap()));
    }

    #[test]
    fn bad_flags_name_themselves() {
        let cases: &[(&[&str], &str)] = &[
            (&["--now", "tomorrow"], "--now tomorrow"),
            (&["--alias", "x"], "--alias x"),
            (&["--alias", "bad.label=1"], "--alias bad.label=1"),
            (&["--alias", "ok=notanumber"], "--alias ok=notanumber"),
            (&["--precision", "1,2"], "--precision 1,2"),
            (&["--zone", "a..b"], "--zone"),
            (&["--tcp-idle-timeout", "soon"], "--tcp-idle-timeout"),
            (&["--max-udp-payload", "100"], "--max-udp-payload 100"),
            (&["--threads", "0"], "--threads 0"),
            (&["--metrics-listen", ":9153"], "--metrics-listen :9153"),
            (&["--metrics-listen", "70000"], "--metrics-listen 70000"),
        ];
        for (flags, expected) in cases {
            let err = config(flags).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{flags:?}: {err:#}");
        }
    }

    #[test]
    fn flags_become_settings() {
        let config = config(&[
            "--zone",
            "Orbit.Test",
            "--now",
            "2026-11-28T12:00:00Z",
            "--alias",
            "station=25544",
            "--apex",
            "iss",
            "--ttl",
            "1",
            "--listen",
            "[::1]:0",
            "--listen",
            "127.0.0.1:0",
        ])
        .unwrap();
        assert_eq!(config.zone.apex.to_ascii(), "orbit.test.");
        assert_eq!(config.zone.ttl, 1);
        assert_eq!(config.naming.aliases, vec![("station".to_owned(), 25544)]);
        assert_eq!(config.naming.apex, Some(ObjectRef::Label("iss".to_owned())));
        assert_eq!(config.listen.len(), 2);
        assert!(matches!(config.clock, Clock::Frozen(_)));
    }
}
