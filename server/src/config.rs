//! The command line, and the checked configuration it becomes.
//!
//! clap parses raw [`Args`]; [`Config::from_args`] validates them into values the
//! rest of the server can trust (names parsed, aliases checked, the clock built),
//! so a bad flag is reported once, up front, with the flag's name.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::TimeDelta;
use clap::Parser;
use hickory_proto::rr::Name;

use crate::answer::{AnswerPath, CookieSecret};
use crate::catalog::{NamingOptions, ObjectRef, Source, validate_label};
use crate::clock::Clock;
use crate::engine::affinity::{CpuList, allowed_cpus};
use crate::engine::{EngineOptions, TcpOptions, UdpEngine};
use crate::fetch::options::{DEFAULT_MAX_BODY_BYTES, MIN_CELESTRAK_REFRESH};
use crate::fetch::{FetchOptions, celestrak_url, is_celestrak};
use crate::quantum::PositionQuantum;
use crate::rrl::{DEFAULT_SLIP, DEFAULT_SLOTS, RrlOptions};
use crate::zone::{
    DEFAULT_MAX_UDP_PAYLOAD, DEFAULT_TTL, DEFAULT_ZONE, PrecisionModel, SoaTimers, Zone, parse_fqdn,
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

    /// Fetch orbital elements from this http(s) URL every --refresh, in any
    /// format --catalog reads or OMM CSV. Repeatable; with --catalog files,
    /// the objects of all sources are served.
    #[arg(long = "catalog-url", value_name = "URL")]
    pub catalog_urls: Vec<String>,

    /// Fetch a CelesTrak group as OMM JSON, e.g. `--celestrak stations`
    /// (a --catalog-url of celestrak.org's GP query). Repeatable.
    #[arg(long = "celestrak", value_name = "GROUP")]
    pub celestrak_groups: Vec<String>,

    /// How often each URL is fetched (plus up to 10% jitter); at least 2h
    /// for celestrak.org, whose data changes at most that often.
    #[arg(long, default_value = "6h", value_name = "DURATION")]
    pub refresh: String,

    /// Give up on a fetch that has not finished in this long.
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub fetch_timeout: String,

    /// Refuse fetched bodies larger than this many bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES, value_name = "BYTES")]
    pub fetch_max_bytes: u64,

    /// Take a source's new catalogue even when it has fewer than half the
    /// objects of its last good one (refused by default, as a sign of breakage).
    #[arg(long)]
    pub accept_shrink: bool,

    /// Keep the last good body of every URL here (written atomically) and
    /// serve it at start, so a restart without network serves recent elements.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

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

    /// A name server for the apex NS set, with its addresses when it lies inside
    /// the zone (published as A/AAAA and as glue): NAME, or NAME=ADDR with one or more comma-separated addresses.
    /// Repeatable. Default: ns1 under the zone, at the --listen addresses that
    /// are neither loopback nor wildcard.
    #[arg(long = "ns", value_name = "NAME[=ADDR,...]")]
    pub nameservers: Vec<String>,

    /// SOA refresh interval (e.g. 4h).
    #[arg(long, default_value = "4h", value_name = "DURATION")]
    pub soa_refresh: String,

    /// SOA retry interval (e.g. 1h).
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub soa_retry: String,

    /// SOA expire interval (e.g. 14d; zone checkers expect at least a week).
    #[arg(long, default_value = "14d", value_name = "DURATION")]
    pub soa_expire: String,

    /// SOA RNAME (responsible mailbox). Default: hostmaster under the zone.
    #[arg(long, value_name = "NAME")]
    pub soa_rname: Option<String>,

    /// Runtime worker threads (and UDP sockets per address). Default: one per CPU.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Pin the i-th worker to the i-th CPU of LIST (e.g. `0`, `0,1` or
    /// `0-3,8`): its UDP socket's thread and the i-th runtime worker; with the batch engine, each datagram goes
    /// to the socket of the CPU that received it (SO_INCOMING_CPU and a
    /// reuseport BPF program, as Knot's socket-affinity). One worker per CPU:
    /// --threads defaults to the list's length and must match it.
    #[arg(long, value_name = "LIST")]
    pub cpus: Option<String>,

    /// UDP strategy: recvmmsg/sendmmsg batches on a worker thread per socket
    /// (batch), an async receive loop per socket (loop), a task per datagram (spawn),
    /// or io_uring with one system call per batch on a worker per socket (uring; Linux 6.1+).
    #[arg(long, value_enum, default_value = "batch")]
    pub udp_engine: UdpEngine,

    /// Answer core: the allocation-free fast path for plain LOC queries (hickory
    /// for the rest), or hickory-proto for everything (for A/B measurements).
    #[arg(long, value_enum, default_value = "fast")]
    pub answer_path: AnswerPath,

    /// Compute each object's position once per quantum, at the quantum
    /// boundary nearest the query, and share it between the answers within it
    /// (0 for a position at every answer's own instant; at most 60s). The
    /// served position is at most (speed + Earth rotation at its radius) x
    /// quantum/2 off: 410 m for the ISS at 100ms.
    #[arg(long, default_value = "100ms", value_name = "DURATION")]
    pub position_quantum: String,

    /// Largest UDP response sent to EDNS clients, in bytes (512..=4096).
    #[arg(long, default_value_t = DEFAULT_MAX_UDP_PAYLOAD, value_name = "BYTES")]
    pub max_udp_payload: u16,

    /// Close TCP connections idle for this long (e.g. 10s, 500ms).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub tcp_idle_timeout: String,

    /// Most TCP connections served at once; beyond it the oldest idle one is
    /// closed to admit a new one.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_tcp_connections: usize,

    /// Most pipelined queries answered on one TCP connection before their
    /// responses are sent; later ones wait their turn.
    #[arg(long, default_value_t = TcpOptions::default().max_queries_per_connection, value_name = "N")]
    pub tcp_max_queries_per_connection: usize,

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

    /// Benchmark floor: answer every message with itself, QR set, through the
    /// same engines and sockets; no DNS work (scripts/compare-servers.sh).
    #[arg(long)]
    pub echo_floor: bool,

    /// Write a CPU profile on shutdown: flamegraph (.svg) or pprof protobuf (.pb).
    /// Repeatable, for both formats from one run. Needs the `pprof` feature.
    #[arg(long = "cpu-profile", value_name = "PATH")]
    pub cpu_profiles: Vec<PathBuf>,

    /// Serve /metrics (Prometheus), /health and /ready over HTTP on this
    /// address; a bare port means 127.0.0.1:PORT.
    #[arg(long, value_name = "ADDR|PORT")]
    pub metrics_listen: Option<String>,

    /// Serve the live map (a page, and its JSON API under /api/) over HTTP on
    /// this address; a bare port means 127.0.0.1:PORT.
    #[arg(long, value_name = "ADDR|PORT")]
    pub http_listen: Option<String>,
    /// Serve PowerDNS's remote backend over HTTP on this address, for
    /// `remote-connection-string=http:url=http://ADDR/dns`; a bare port means
    /// 127.0.0.1:PORT.
    #[arg(long, value_name = "ADDR|PORT")]
    pub pdns_listen: Option<String>,

    /// Log as human-readable text, or as one JSON object per line for log shippers.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Rate-limit UDP responses to this many per second per client prefix
    /// (IPv4 /24, IPv6 /56) and response class. Off unless given.
    #[arg(long, value_name = "N")]
    pub rrl_rate: Option<u32>,

    /// Send every K-th rate-limited response as an empty TC=1 reply, so real
    /// resolvers retry over TCP, and drop the others; 0 drops them all.
    #[arg(long, value_name = "K")]
    pub rrl_slip: Option<u32>,

    /// Never rate-limit clients in this prefix (e.g. 192.0.2.0/24, 2001:db8::/32,
    /// or one address). Repeatable.
    #[arg(long = "rrl-exempt", value_name = "CIDR")]
    pub rrl_exempt: Vec<String>,

    /// Key server cookies (RFC 9018) with this 16-byte secret, as 32 hex digits,
    /// so several servers accept each other's cookies. Default: random per start.
    #[arg(long, value_name = "HEX")]
    pub cookie_secret: Option<String>,
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
    /// Echo instead of answering (the benchmark floor).
    pub echo_floor: bool,
    /// CPU profile outputs.
    pub cpu_profiles: Vec<PathBuf>,
    /// Answer core implementation.
    pub answer_path: AnswerPath,
    /// URLs to fetch and how.
    pub fetch: FetchOptions,
    /// Where the HTTP endpoint (/metrics, /health, /ready) listens, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Where the live map and its API listen, if anywhere.
    pub http_listen: Option<SocketAddr>,
    /// Where the PowerDNS remote backend listens, if anywhere.
    pub pdns_listen: Option<SocketAddr>,
    /// Response rate limiting, if asked for.
    pub rate_limit: Option<RrlOptions>,
    /// The server cookie secret, if given (else each start draws one).
    pub cookie_secret: Option<CookieSecret>,
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
        let (threads, cpus) = workers(&args)?;
        let engine = EngineOptions {
            cpus,
            ..engine(&args)?
        };
        let stale_after = parse_duration(&args.stale_after).context("--stale-after")?;
        let stale_after = TimeDelta::from_std(stale_after).context("--stale-after is too long")?;
        let fetch = fetch_options(&args)?;
        let metrics_listen = listen_flag("--metrics-listen", args.metrics_listen.as_deref())?;
        let http_listen = listen_flag("--http-listen", args.http_listen.as_deref())?;
        let pdns_listen = listen_flag("--pdns-listen", args.pdns_listen.as_deref())?;
        let rate_limit = rate_limit(&args)?;
        let cookie_secret = args
            .cookie_secret
            .as_deref()
            .map(|text| {
                // The secret itself stays out of the message.
                CookieSecret::from_hex(text).context("--cookie-secret")
            })
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
            echo_floor: args.echo_floor,
            cpu_profiles: args.cpu_profiles,
            answer_path: args.answer_path,
            fetch,
            metrics_listen,
            http_listen,
            pdns_listen,
            rate_limit,
            cookie_secret,
        })
    }
}

/// `--threads` and `--cpus`: how many workers, and where they run.
fn workers(args: &Args) -> Result<(usize, Option<CpuList>)> {
    let cpus = args
        .cpus
        .as_deref()
        .map(|text| {
            let list = CpuList::parse(text).with_context(|| format!("--cpus {text}"))?;
            let allowed = allowed_cpus().context("--cpus: reading this process's CPU affinity")?;
            list.check_allowed(&allowed)
                .with_context(|| format!("--cpus {text}"))?;
            anyhow::Ok(list)
        })
        .transpose()?;
    let threads = match (args.threads, &cpus) {
        (Some(0), _) => bail!("--threads 0: at least one thread is needed"),
        (Some(n), Some(list)) if n != list.len() => bail!(
            "--threads {n} and --cpus {list} disagree: one worker runs on each listed CPU, \
             so give {} threads or leave --threads out",
            list.len()
        ),
        (Some(n), _) => n,
        (None, Some(list)) => list.len(),
        (None, None) => std::thread::available_parallelism().map_or(1, usize::from),
    };
    Ok((threads, cpus))
}

/// `--rrl-rate`, `--rrl-slip` and `--rrl-exempt`.
fn rate_limit(args: &Args) -> Result<Option<RrlOptions>> {
    let Some(rate) = args.rrl_rate else {
        if args.rrl_slip.is_some() || !args.rrl_exempt.is_empty() {
            bail!("--rrl-slip and --rrl-exempt need --rrl-rate N, which turns rate limiting on");
        }
        return Ok(None);
    };
    if rate == 0 {
        bail!("--rrl-rate 0: must be at least 1 (leave it out to turn rate limiting off)");
    }
    let slip = args.rrl_slip.unwrap_or(DEFAULT_SLIP);
    if slip > 100 {
        bail!("--rrl-slip {slip}: must be between 0 (drop every limited response) and 100");
    }
    let exempt = args
        .rrl_exempt
        .iter()
        .map(|text| {
            let net = text
                .parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(ipnet::IpNet::from));
            net.map(|net| net.trunc()).map_err(|_| {
                anyhow::anyhow!(
                    "--rrl-exempt {text}: expected an address prefix such as 192.0.2.0/24 or 2001:db8::/32, or one address"
                )
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(RrlOptions {
        rate,
        slip,
        exempt,
        slots: DEFAULT_SLOTS,
    }))
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
    zone.position_quantum = parse_duration(&args.position_quantum)
        .and_then(|quantum| Ok(PositionQuantum::new(quantum)?))
        .with_context(|| format!("--position-quantum {}", args.position_quantum))?;
    if let Some(precision) = &args.precision {
        zone.precision = PrecisionModel::parse_fixed(precision)
            .with_context(|| format!("--precision {precision}"))?;
    }
    name_servers(args, &mut zone)?;
    zone.timers = SoaTimers {
        refresh: soa_seconds("--soa-refresh", &args.soa_refresh)?,
        retry: soa_seconds("--soa-retry", &args.soa_retry)?,
        expire: soa_seconds("--soa-expire", &args.soa_expire)?,
    };
    if let Some(rname) = &args.soa_rname {
        zone.rname = parse_fqdn(rname).with_context(|| format!("--soa-rname {rname}"))?;
    }
    Ok(zone)
}

/// `--ns`: the apex NS set and the addresses of those inside the zone; by
/// default `ns1.<zone>` at the `--listen` addresses a resolver could reach.
fn name_servers(args: &Args, zone: &mut Zone) -> Result<()> {
    if args.nameservers.is_empty() {
        let published = published_addresses(&args.listen);
        if !published.is_empty() {
            zone.ns_addresses = vec![(zone.mname.clone(), published)];
        }
        return Ok(());
    }
    zone.nameservers.clear();
    for ns in &args.nameservers {
        let (name, addresses) = parse_ns(ns).with_context(|| format!("--ns {ns}"))?;
        if !addresses.is_empty() {
            if !zone.apex.zone_of(&name) {
                bail!(
                    "--ns {ns}: {name} is outside the zone {}; addresses are published only for name servers inside it",
                    zone.apex
                );
            }
            zone.ns_addresses.push((name.clone(), addresses));
        }
        zone.nameservers.push(name);
    }
    zone.mname = zone.nameservers[0].clone();
    Ok(())
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
    if args.tcp_max_queries_per_connection == 0 {
        bail!("--tcp-max-queries-per-connection 0: must be at least 1");
    }
    Ok(EngineOptions {
        udp: args.udp_engine,
        tcp: TcpOptions {
            idle_timeout,
            max_connections: args.max_tcp_connections,
            max_queries_per_connection: args.tcp_max_queries_per_connection,
        },
        ..EngineOptions::default()
    })
}

/// `--catalog-url`, `--celestrak`, `--refresh` and the fetch limits.
fn fetch_options(args: &Args) -> Result<FetchOptions> {
    let mut urls: Vec<url::Url> = Vec::new();
    for text in &args.catalog_urls {
        let url =
            url::Url::parse(text).with_context(|| format!("--catalog-url {text}: not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            bail!("--catalog-url {text}: expected an http:// or https:// URL with a host");
        }
        urls.push(url);
    }
    for group in &args.celestrak_groups {
        urls.push(
            celestrak_url(group).map_err(|err| anyhow::anyhow!("--celestrak {group}: {err}"))?,
        );
    }
    for (i, url) in urls.iter().enumerate() {
        if urls[..i].contains(url) {
            bail!(
                "--catalog-url/--celestrak {url}: given twice (each URL is fetched by one fetcher)"
            );
        }
    }
    let refresh = parse_duration(&args.refresh).context("--refresh")?;
    if refresh.is_zero() {
        bail!("--refresh {}: must be longer than zero", args.refresh);
    }
    if refresh < MIN_CELESTRAK_REFRESH
        && let Some(url) = urls.iter().find(|url| is_celestrak(url))
    {
        bail!(
            "--refresh {}: celestrak.org ({url}) publishes new elements at most every 2 hours and blocks clients that ask more often; use --refresh 2h or more",
            args.refresh
        );
    }
    let timeout = parse_duration(&args.fetch_timeout).context("--fetch-timeout")?;
    if timeout.is_zero() {
        bail!(
            "--fetch-timeout {}: must be longer than zero",
            args.fetch_timeout
        );
    }
    if args.fetch_max_bytes == 0 {
        bail!("--fetch-max-bytes 0: must be at least 1");
    }
    Ok(FetchOptions {
        urls,
        refresh,
        timeout,
        max_body_bytes: args.fetch_max_bytes,
        accept_shrink: args.accept_shrink,
        state_dir: args.state_dir.clone(),
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

/// `NAME` or `NAME=ADDR[,ADDR]`.
fn parse_ns(text: &str) -> Result<(Name, Vec<IpAddr>)> {
    let (name, addresses) = match text.split_once('=') {
        None => (text, None),
        Some((name, addresses)) => (name, Some(addresses)),
    };
    let name = parse_fqdn(name.trim())?;
    let addresses = match addresses {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|address| {
                address.trim().parse::<IpAddr>().with_context(|| {
                    format!(
                        "\"{address}\" is not an IPv4 or IPv6 address (e.g. 192.0.2.1, 2001:db8::1)"
                    )
                })
            })
            .collect::<Result<_>>()?,
    };
    Ok((name, addresses))
}

/// The addresses of `listen` a resolver could reach: not loopback, not the
/// wildcard.
fn published_addresses(listen: &[SocketAddr]) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = listen
        .iter()
        .map(SocketAddr::ip)
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .collect();
    addresses.dedup();
    addresses
}

/// An SOA timer in whole seconds, as the record's 32-bit field holds it.
fn soa_seconds(flag: &str, text: &str) -> Result<i32> {
    let duration = parse_duration(text).context(flag.to_owned())?;
    i32::try_from(duration.as_secs())
        .ok()
        .filter(|&seconds| seconds > 0)
        .with_context(|| format!("{flag} {text}: must be between 1 second and 68 years"))
}

/// An optional HTTP listen flag (`--metrics-listen` and its kind), parsed.
fn listen_flag(flag: &str, text: Option<&str>) -> Result<Option<SocketAddr>> {
    text.map(|text| parse_listen(text).with_context(|| format!("{flag} {text}")))
        .transpose()
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
        let map = config(&["--http-listen", "8080"]).unwrap().http_listen;
        assert_eq!(map, Some("127.0.0.1:8080".parse().unwrap()));
    }

    #[test]
    fn the_position_quantum_defaults_to_100ms_and_zero_turns_it_off() {
        let quantum = |extra: &[&str]| config(extra).unwrap().zone.position_quantum;
        assert_eq!(
            quantum(&[]).map(PositionQuantum::duration),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            quantum(&["--position-quantum", "1s"]).map(PositionQuantum::duration),
            Some(Duration::from_secs(1))
        );
        assert_eq!(quantum(&["--position-quantum", "0"]), None);
        assert_eq!(quantum(&["--position-quantum", "0s"]), None);
        for (bad, why) in [("soon", "not a duration"), ("2m", "longer than")] {
            let err = format!("{:#}", config(&["--position-quantum", bad]).unwrap_err());
            assert!(err.contains(&format!("--position-quantum {bad}")), "{err}");
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn pdns_listen_takes_a_bare_port_as_loopback() {
        let listen = |text: &str| config(&["--pdns-listen", text]).unwrap().pdns_listen;
        assert_eq!(config(&[]).unwrap().pdns_listen, None);
        assert_eq!(listen("8053"), Some("127.0.0.1:8053".parse().unwrap()));
        assert_eq!(listen("[::]:8053"), Some("[::]:8053".parse().unwrap()));
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
            (
                &["--tcp-max-queries-per-connection", "0"],
                "--tcp-max-queries-per-connection 0",
            ),
            (&["--max-udp-payload", "100"], "--max-udp-payload 100"),
            (&["--threads", "0"], "--threads 0"),
            (
                &["--ns", "ns1.sat.example=not-an-ip"],
                "--ns ns1.sat.example=not-an-ip",
            ),
            (&["--ns", "ns.other.example=192.0.2.1"], "outside the zone"),
            (&["--soa-expire", "0s"], "--soa-expire 0s"),
            (&["--soa-retry", "soon"], "--soa-retry"),
            (&["--catalog-url", "ftp://x/y"], "--catalog-url ftp://x/y"),
            (&["--catalog-url", "nota url"], "--catalog-url nota url"),
            (&["--celestrak", "a&b"], "--celestrak a&b"),
            (&["--refresh", "often"], "--refresh"),
            (&["--fetch-timeout", "0s"], "--fetch-timeout 0s"),
            (&["--fetch-max-bytes", "0"], "--fetch-max-bytes 0"),
            (
                &["--celestrak", "stations", "--celestrak", "stations"],
                "given twice",
            ),
            (
                &["--celestrak", "stations", "--refresh", "1h"],
                "--refresh 1h: celestrak.org",
            ),
            (&["--metrics-listen", ":9153"], "--metrics-listen :9153"),
            (&["--metrics-listen", "70000"], "--metrics-listen 70000"),
            (
                &["--http-listen", "localhost:80"],
                "--http-listen localhost:80",
            ),
            (&["--pdns-listen", "localhost"], "--pdns-listen localhost"),
            (&["--rrl-rate", "0"], "--rrl-rate 0"),
            (&["--rrl-slip", "2"], "need --rrl-rate"),
            (&["--rrl-exempt", "192.0.2.0/24"], "need --rrl-rate"),
            (&["--rrl-rate", "5", "--rrl-slip", "101"], "--rrl-slip 101"),
            (
                &["--rrl-rate", "5", "--rrl-exempt", "192.0.2/24"],
                "--rrl-exempt 192.0.2/24: expected an address prefix",
            ),
            (
                &["--cookie-secret", "abcd"],
                "--cookie-secret: expected 32 hexadecimal digits",
            ),
        ];
        for (flags, expected) in cases {
            let err = config(flags).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{flags:?}: {err:#}");
        }
    }

    #[test]
    fn cpus_set_the_worker_count_and_threads_must_agree() {
        // A CPU this test may run on, whatever taskset it was started under.
        let cpu = allowed_cpus().unwrap()[0];
        let text = cpu.to_string();
        let pinned = config(&["--cpus", &text]).unwrap();
        assert_eq!(pinned.threads, 1);
        assert_eq!(pinned.engine.cpus.unwrap().cpus(), [cpu]);
        let both = config(&["--cpus", &text, "--threads", "1"]).unwrap();
        assert_eq!(both.threads, 1);
        let err = format!(
            "{:#}",
            config(&["--cpus", &text, "--threads", "2"]).unwrap_err()
        );
        assert!(
            err.contains(&format!("--threads 2 and --cpus {cpu} disagree")),
            "{err}"
        );
        assert_eq!(config(&[]).unwrap().engine.cpus, None);
        let cases: &[(&[&str], &str)] = &[
            (
                &["--cpus", "0-x"],
                "--cpus 0-x: \"0-x\" is not a CPU number or range",
            ),
            (
                &["--cpus", "1-0"],
                "--cpus 1-0: \"1-0\": a range goes from the lower",
            ),
            (&["--cpus", ""], "--cpus : expected CPU numbers or ranges"),
            (
                &["--cpus", "1023"],
                "--cpus 1023: CPU 1023 is not one this process may run on",
            ),
        ];
        for (flags, expected) in cases {
            let err = config(flags).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{flags:?}: {err:#}");
        }
    }

    #[test]
    fn rate_limiting_is_off_unless_a_rate_is_given() {
        let off = config(&[]).unwrap();
        assert_eq!(off.rate_limit, None);
        assert_eq!(off.cookie_secret, None);
        let on = config(&[
            "--rrl-rate",
            "20",
            "--rrl-exempt",
            "192.0.2.7/24",
            "--rrl-exempt",
            "2001:db8::1",
            "--cookie-secret",
            "e5e973e5a6b2a43f48e7dc849e37bfcf",
        ])
        .unwrap();
        let rrl = on.rate_limit.unwrap();
        assert_eq!((rrl.rate, rrl.slip), (20, DEFAULT_SLIP));
        let exempt: Vec<String> = rrl.exempt.iter().map(ToString::to_string).collect();
        assert_eq!(exempt, ["192.0.2.0/24", "2001:db8::1/128"]);
        assert!(on.cookie_secret.is_some());
        let no_slip = config(&["--rrl-rate", "5", "--rrl-slip", "0"]).unwrap();
        assert_eq!(no_slip.rate_limit.unwrap().slip, 0);
    }

    #[test]
    fn fetch_flags_become_fetch_options() {
        let config = config(&[
            "--celestrak",
            "stations",
            "--catalog-url",
            "http://127.0.0.1:8080/elements.csv",
            "--state-dir",
            "/var/lib/satloc",
        ])
        .unwrap();
        assert_eq!(config.sources, vec![Source::Embedded]);
        let urls: Vec<&str> = config.fetch.urls.iter().map(url::Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:8080/elements.csv",
                "https://celestrak.org/NORAD/elements/gp.php?GROUP=stations&FORMAT=json"
            ]
        );
        assert_eq!(config.fetch.refresh, Duration::from_secs(6 * 3600));
        assert_eq!(config.fetch.timeout, Duration::from_secs(30));
        assert!(!config.fetch.accept_shrink);
        assert_eq!(
            config.fetch.state_dir.as_deref(),
            Some(std::path::Path::new("/var/lib/satloc"))
        );
        // Any interval for hosts other than CelesTrak: tests use seconds.
        let quick = config_of(&["--catalog-url", "http://127.0.0.1:1/x", "--refresh", "1s"]);
        assert_eq!(quick.fetch.refresh, Duration::from_secs(1));
        let ok = config_of(&["--celestrak", "active", "--refresh", "2h"]);
        assert_eq!(ok.fetch.refresh, Duration::from_secs(2 * 3600));
    }

    fn config_of(extra: &[&str]) -> Config {
        config(extra).unwrap()
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

    #[test]
    fn name_servers_get_addresses_from_flags_or_public_listen_addresses() {
        let default = config(&["--listen", "192.0.2.10:53", "--listen", "127.0.0.1:53"]).unwrap();
        let ns1: Name = "ns1.sat.example.".parse().unwrap();
        assert_eq!(default.zone.nameservers, vec![ns1.clone()]);
        assert_eq!(
            default.zone.addresses_of(&ns1),
            Some(&["192.0.2.10".parse().unwrap()][..])
        );
        let loopback = config(&["--listen", "127.0.0.1:53", "--listen", "[::]:53"]).unwrap();
        assert_eq!(loopback.zone.addresses_of(&ns1), None);
        assert_eq!(loopback.zone.unreachable_nameservers(), vec![&ns1]);
        let given = config(&[
            "--ns",
            "a.sat.example=192.0.2.1,2001:db8::1",
            "--ns",
            "b.example",
        ])
        .unwrap();
        let a: Name = "a.sat.example.".parse().unwrap();
        assert_eq!(given.zone.mname, a);
        assert_eq!(given.zone.addresses_of(&a).map(<[_]>::len), Some(2));
        assert!(
            given.zone.unreachable_nameservers().is_empty(),
            "b.example is outside the zone"
        );
    }
}
