//! Response rate limiting against the real binary over loopback, counted the
//! way Knot's RRL test counts: every query's fate is replied, slipped (an
//! empty TC=1 reply with AA kept) or dropped (no reply).
//!
//! One source floods at 20 times the rate from 127.0.0.1 while, at the same
//! time, a client in another /24 (127.0.1.1: loopback answers all of
//! 127.0.0.0/8), a TCP client and a UDP client holding a valid server cookie,
//! both in the flooded /24, ask at modest rates: the flood is limited, they
//! are not. The figures in the README come from this test:
//!
//! `cargo test --release -p satloc-server --test rrl -- --nocapture`

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use common::{NOW, Server, read_tcp_message};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use satloc_server::loc::LOC;
use satloc_server::testing::TestQuery;

/// `--rrl-rate`.
const RATE: u32 = 50;
/// `--rrl-slip`.
const SLIP: u32 = 2;
/// How long the flood lasts.
const FLOOD: Duration = Duration::from_secs(4);
/// What one source sends per second: 20 times the rate.
const FLOOD_QPS: u32 = 20 * RATE;
/// The well-behaved clients' rate: a fifth of the limit.
const MODEST_QPS: u32 = RATE / 5;
/// How long a reply may take before the query counts as dropped.
const GRACE: Duration = Duration::from_millis(500);

/// How the queries of one client fared.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Tally {
    sent: u32,
    replied: u32,
    slipped: u32,
    /// Slipped replies without AA: must stay 0.
    slipped_without_aa: u32,
    /// Replies whose RCODE was not NOERROR: must stay 0.
    errors: u32,
    /// The same counts by the second of the monotonic clock (the one the
    /// server's limiter reads) each query was sent in.
    by_second: BTreeMap<i64, [u32; 3]>,
}

impl Tally {
    fn dropped(&self) -> u32 {
        self.sent - self.replied - self.slipped
    }

    fn per_second(&self, seconds: f64) -> String {
        let rate = |n: u32| f64::from(n) / seconds;
        format!(
            "sent {:.0}/s, replied {:.0}/s, slipped {:.0}/s, dropped {:.0}/s",
            rate(self.sent),
            rate(self.replied),
            rate(self.slipped),
            rate(self.dropped())
        )
    }

    fn count(&mut self, response: &Message, second: i64) {
        if response.metadata.response_code != ResponseCode::NoError {
            self.errors += 1;
        }
        let counts = self.by_second.entry(second).or_default();
        if response.metadata.truncation {
            self.slipped += 1;
            counts[1] += 1;
            if !response.metadata.authoritative {
                self.slipped_without_aa += 1;
            }
        } else {
            self.replied += 1;
            counts[0] += 1;
        }
    }

    fn sent_in(&mut self, second: i64) {
        self.sent += 1;
        self.by_second.entry(second).or_default()[2] += 1;
    }

    /// The whole seconds the client sent in: all but the first and last.
    fn whole_seconds(&self) -> Vec<(i64, [u32; 3])> {
        let seconds: Vec<_> = self.by_second.iter().map(|(s, c)| (*s, *c)).collect();
        seconds[1..seconds.len().saturating_sub(1).max(1)].to_vec()
    }
}

/// Sends `qps` queries per second for `duration` from `source` over UDP,
/// each with `cookie` if given, and counts the replies by fate.
fn udp_client(
    server: SocketAddr,
    source: IpAddr,
    qps: u32,
    duration: Duration,
    cookie: Option<&[u8]>,
) -> Tally {
    let socket = UdpSocket::bind((source, 0)).expect("bind a loopback source");
    // Short, so sending keeps to its pace while replies are read.
    socket
        .set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    let mut tally = Tally::default();
    let mut pending: HashMap<u16, i64> = HashMap::new();
    let start = Instant::now();
    let mut buf = vec![0u8; 4096];
    while start.elapsed() < duration + GRACE {
        let elapsed = start.elapsed();
        if elapsed < duration {
            // As many sent as the clock says by now.
            let due = (elapsed.as_secs_f64() * f64::from(qps)) as u32 + 1;
            while tally.sent < due {
                let id = (tally.sent + 1) as u16;
                let mut query = TestQuery::new("iss.sat.example.", LOC).id(id).edns(1232);
                if let Some(cookie) = cookie {
                    query = query.cookie(cookie);
                }
                socket.send_to(&query.to_bytes(), server).unwrap();
                let second = monotonic_second();
                pending.insert(id, second);
                tally.sent_in(second);
            }
        }
        if let Ok(len) = socket.recv(&mut buf) {
            let response = Message::from_vec(&buf[..len]).expect("a DNS response");
            if let Some(second) = pending.remove(&response.metadata.id) {
                tally.count(&response, second);
            }
        }
    }
    tally
}

/// Asks `qps` queries per second for `duration` over TCP from 127.0.0.1, one
/// connection, waiting for each answer.
fn tcp_client(server: SocketAddr, qps: u32, duration: Duration) -> Tally {
    let mut stream = TcpStream::connect(server).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut tally = Tally::default();
    let start = Instant::now();
    while start.elapsed() < duration {
        let id = tally.sent as u16 + 1;
        let bytes = TestQuery::new("iss.sat.example.", LOC)
            .id(id)
            .edns(1232)
            .to_bytes();
        let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        stream.write_all(&framed).unwrap();
        let second = monotonic_second();
        tally.sent_in(second);
        if let Some(reply) = read_tcp_message(&mut stream) {
            tally.count(&Message::from_vec(&reply).unwrap(), second);
        }
        std::thread::sleep(Duration::from_secs(1) / qps);
    }
    tally
}

/// The second of the monotonic clock the server's limiter counts by.
fn monotonic_second() -> i64 {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_MONOTONIC_COARSE).map_or(0, |now| now.tv_sec())
}

/// The COOKIE option of a UDP response to a query carrying `client_cookie`.
fn learn_server_cookie(server: SocketAddr, client_cookie: &[u8; 8]) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let query = TestQuery::new("iss.sat.example.", LOC)
        .id(7)
        .edns(1232)
        .cookie(client_cookie);
    socket.send_to(&query.to_bytes(), server).unwrap();
    let mut buf = vec![0u8; 4096];
    let len = socket.recv(&mut buf).expect("a reply before any flood");
    let response = Message::from_vec(&buf[..len]).unwrap();
    match response
        .edns
        .as_ref()
        .and_then(|edns| edns.option(EdnsCode::Cookie))
    {
        Some(EdnsOption::Unknown(10, data)) => data.clone(),
        other => panic!("no COOKIE option in the reply: {other:?}"),
    }
}

/// A counter's value from the server's `/metrics` (0 when absent).
fn scrape(metrics: SocketAddr, name: &str) -> f64 {
    let mut stream = TcpStream::connect(metrics).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn metrics_addr(server: &Server) -> SocketAddr {
    let log = server.log_text();
    let rest = log
        .split("metrics on http://")
        .nth(1)
        .expect("metrics address logged");
    rest.split('/').next().unwrap().parse().unwrap()
}

#[test]
fn a_flood_is_limited_while_other_prefixes_tcp_and_cookie_holders_are_not() {
    let server = Server::start(&[
        "--now",
        NOW,
        "--rrl-rate",
        &RATE.to_string(),
        "--rrl-slip",
        &SLIP.to_string(),
        "--metrics-listen",
        "0",
    ]);
    let dns = server.addr;
    let cookie = learn_server_cookie(dns, b"cookie01");
    let localhost: IpAddr = "127.0.0.1".parse().unwrap();
    let other_prefix: IpAddr = "127.0.1.1".parse().unwrap();
    // All four at once: the others ask while the flood is being limited.
    let results: HashMap<&str, Tally> = std::thread::scope(|scope| {
        let flood = scope.spawn(|| udp_client(dns, localhost, FLOOD_QPS, FLOOD, None));
        let other = scope.spawn(|| udp_client(dns, other_prefix, MODEST_QPS, FLOOD, None));
        let tcp = scope.spawn(|| tcp_client(dns, MODEST_QPS, FLOOD));
        let cookie = scope.spawn(|| udp_client(dns, localhost, MODEST_QPS, FLOOD, Some(&cookie)));
        [
            ("flood", flood),
            ("other /24", other),
            ("tcp", tcp),
            ("cookie", cookie),
        ]
        .map(|(name, thread)| (name, thread.join().unwrap()))
        .into_iter()
        .collect()
    });
    let seconds = FLOOD.as_secs_f64();
    for (name, tally) in &results {
        eprintln!("{name:>10}: {}", tally.per_second(seconds));
    }
    eprintln!("flood, each whole second: replied / slipped / dropped");
    for (second, [replied, slipped, sent]) in results["flood"].whole_seconds() {
        eprintln!(
            "  second {second}: {replied} / {slipped} / {} of {sent} sent",
            sent - replied - slipped
        );
    }
    check_flood(&results["flood"], seconds);
    for name in ["other /24", "tcp", "cookie"] {
        let tally = &results[name];
        assert!(tally.sent >= MODEST_QPS * 3, "{name}: {tally:?}");
        assert_eq!(tally.replied, tally.sent, "{name} untouched: {tally:?}");
        assert_eq!(tally.errors, 0, "{name}: {tally:?}");
    }
    // The server counted what the flood saw (Knot's test compares its stats).
    let metrics = metrics_addr(&server);
    let flood = &results["flood"];
    let slipped = scrape(metrics, "satloc_rrl_slipped_total");
    let dropped = scrape(metrics, "satloc_rrl_dropped_total");
    let limited = scrape(metrics, "satloc_rrl_limited_total{class=\"normal\"}");
    eprintln!("metrics: limited {limited}, slipped {slipped}, dropped {dropped}");
    assert_eq!(slipped, f64::from(flood.slipped), "slipped as counted");
    // A reply lost on loopback would count as dropped here and not there.
    assert!(
        (dropped - f64::from(flood.dropped())).abs() <= 2.0,
        "dropped as counted"
    );
    assert_eq!(limited, slipped + dropped);
}

/// The flood got the rate's worth of answers per second (one more second's
/// worth at most, as the flood can straddle a second boundary), every
/// `SLIP`-th of the rest as a TC reply with AA kept, and nothing else.
fn check_flood(flood: &Tally, seconds: f64) {
    let expected_sent = f64::from(FLOOD_QPS) * seconds;
    assert!(
        f64::from(flood.sent) > 0.9 * expected_sent,
        "the flood ran at 20x: {flood:?}"
    );
    let min_replied = (f64::from(RATE) * (seconds - 1.0)) as u32;
    let max_replied = (f64::from(RATE) * (seconds + 1.0)) as u32;
    assert!(
        (min_replied..=max_replied).contains(&flood.replied),
        "about {RATE} replies a second: {flood:?}"
    );
    let limited = flood.sent - flood.replied;
    let expected_slipped = f64::from(limited) / f64::from(SLIP);
    assert!(
        (f64::from(flood.slipped) - expected_slipped).abs() <= 0.05 * expected_slipped + 5.0,
        "every {SLIP}nd limited response slipped: {flood:?}"
    );
    assert_eq!(flood.slipped_without_aa, 0, "slips keep AA");
    assert_eq!(flood.errors, 0);
    // Each whole second, the rate's worth (give or take the few queries the
    // client and the server's coarse clock place in neighbouring seconds).
    for (second, [replied, ..]) in flood.whole_seconds() {
        assert!(
            replied.abs_diff(RATE) <= 5,
            "second {second}: {replied} replied"
        );
    }
}

#[test]
fn without_a_rate_nothing_is_limited() {
    let server = Server::start(&["--now", NOW]);
    let tally = udp_client(
        server.addr,
        "127.0.0.1".parse().unwrap(),
        2000,
        Duration::from_secs(1),
        None,
    );
    eprintln!("rate limiting off: {}", tally.per_second(1.0));
    // Loopback loses nothing at this rate; a few late replies are allowed for.
    assert!(tally.replied + 5 >= tally.sent, "{tally:?}");
    assert_eq!(tally.slipped, 0);
}
