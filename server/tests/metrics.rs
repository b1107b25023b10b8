//! The operator endpoint of the real binary over loopback: `/metrics` counts
//! exactly what `satloc-loadgen` sent and what it got back, `/ready` is 503
//! until the catalogue is loaded, `/health` is 200, the TCP connection gauges
//! move, and `--log-format json` writes JSON.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use common::{NOW, Server, TempDir, binary, query, read_tcp_message, udp};
use satloc_loadgen::cli::Cli;
use satloc_loadgen::stats::{Counters, rcode_name};
use satloc_server::loc::LOC;

/// How long a test waits for the server to do something it should do at once.
const PATIENCE: Duration = Duration::from_secs(20);

/// The binary, started with `args`, its stderr collected line by line.
struct Running {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(binary())
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start satloc-server");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Running { child, log }
    }

    /// The first log line containing `needle`, waiting for it if need be.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "server exited ({status}) before logging {needle:?}:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address after `prefix` in the first log line that has it.
    fn addr_after(&mut self, prefix: &str) -> SocketAddr {
        let line = self.wait_for(prefix);
        let rest = line.split(prefix).nth(1).unwrap();
        let addr = rest.split(['/', ' ', '"']).next().unwrap();
        addr.parse()
            .unwrap_or_else(|e| panic!("{addr:?} in {line:?}: {e}"))
    }

    /// Every address the server says it listens on for DNS.
    fn dns_addrs(&mut self, count: usize) -> Vec<SocketAddr> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let addrs: Vec<SocketAddr> = self
                .log
                .lock()
                .unwrap()
                .iter()
                .filter_map(|line| line.split("listening on ").nth(1))
                .filter_map(|rest| rest.split(' ').next()?.parse().ok())
                .collect();
            if addrs.len() >= count {
                return addrs;
            }
            assert!(
                Instant::now() < deadline,
                "not listening:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response: status code, headers (lower-case names), body.
struct HttpResponse {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

/// `GET path` over HTTP/1.1, connection closed after the response.
fn get(addr: SocketAddr, path: &str) -> HttpResponse {
    get_accepting(addr, path, None)
}

/// `GET path` with an `Accept` header, if given.
fn get_accepting(addr: SocketAddr, path: &str, accept: Option<&str>) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Samples of a text exposition: (name, labels) -> value.
#[derive(Debug)]
struct Samples(BTreeMap<(String, BTreeMap<String, String>), f64>);

/// What Prometheus sends (its default `scrape_protocols`).
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;q=0.5,\
    application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

impl Samples {
    /// Scrapes as Prometheus does: OpenMetrics.
    fn scrape(addr: SocketAddr) -> Samples {
        let response = get_accepting(addr, "/metrics", Some(PROMETHEUS_ACCEPT));
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.headers["content-type"],
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        assert!(response.body.ends_with("# EOF\n"), "{}", response.body);
        Samples::parse(&response.body)
    }

    /// Scrapes as curl does: the Prometheus text format 0.0.4.
    fn scrape_text(addr: SocketAddr) -> Samples {
        let response = get(addr, "/metrics");
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.headers["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert!(!response.body.contains("# EOF"), "{}", response.body);
        assert!(
            response
                .body
                .contains("# TYPE satloc_dns_requests_total counter\n"),
            "{}",
            response.body
        );
        Samples::parse(&response.body)
    }

    fn parse(text: &str) -> Samples {
        let mut samples = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').expect(line);
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect(pair);
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            samples.insert((name.to_owned(), labels), value.parse().expect(line));
        }
        Samples(samples)
    }

    /// The value of the series `name` with exactly `labels`; 0 when absent
    /// (the endpoint leaves out label sets that have seen nothing).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.0
            .get(&(name.to_owned(), labels))
            .copied()
            .unwrap_or(0.0)
    }

    /// The sum over every series of `name`.
    fn sum(&self, name: &str) -> f64 {
        self.0
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, v)| v)
            .sum()
    }

    /// Every series of `name`: labels -> value.
    fn series(&self, name: &str) -> BTreeMap<BTreeMap<String, String>, f64> {
        self.0
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|((_, labels), v)| (labels.clone(), *v))
            .collect()
    }
}

/// One load-generator run: `requests` queries for `qname`/`qtype`, 10 in
/// flight, over TCP when `tcp`.
fn load(server: SocketAddr, qname: &str, qtype: &str, tcp: bool, requests: u64) -> Counters {
    let requests = requests.to_string();
    let server = server.to_string();
    let mut argv = vec![
        "satloc-loadgen",
        "--server",
        &server,
        "--qname",
        qname,
        "--qtype",
        qtype,
        "--edns",
        "--concurrency",
        "10",
        "--requests",
        &requests,
        "--quiet",
        "--timeout",
        "5s",
    ];
    if tcp {
        argv.push("--tcp");
    }
    let config = Cli::try_parse_from(argv)
        .unwrap()
        .run
        .into_config()
        .unwrap();
    let result = satloc_loadgen::run::run(&config, Arc::new(AtomicBool::new(false))).unwrap();
    assert!(result.error.is_none(), "{:?}", result.error);
    let counters = result.counters;
    assert_eq!(
        counters.sent, counters.completed,
        "{qname} {qtype}: {counters:?}"
    );
    counters
}

fn ipv6_loopback_works() -> bool {
    UdpSocket::bind("[::1]:0").is_ok()
}

/// What the load generator counted over several runs: requests by (proto,
/// family, type), responses by RCODE name, and queries sent in all.
#[derive(Debug, Default)]
struct Expected {
    requests: BTreeMap<(String, String, String), f64>,
    rcodes: BTreeMap<String, f64>,
    sent: f64,
}

/// Runs the load generator once per `(proto, family, qname, qtype)`, against
/// the IPv4 address or the IPv6 one, and adds up what it counted.
fn drive(dns: &[SocketAddr], runs: &[(&str, &str, &str, &str)]) -> Expected {
    let mut expected = Expected::default();
    for (i, &(proto, family, qname, qtype)) in runs.iter().enumerate() {
        let addr = dns[usize::from(family == "2")];
        let counters = load(addr, qname, qtype, proto == "tcp", 200 + 10 * i as u64);
        let key = (proto.to_owned(), family.to_owned(), qtype.to_owned());
        *expected.requests.entry(key).or_default() += counters.sent as f64;
        for (code, count) in counters.rcode_counts() {
            *expected.rcodes.entry(rcode_name(code)).or_default() += count as f64;
        }
        expected.sent += counters.sent as f64;
    }
    expected
}

/// What the server counted equals what the load generator sent and received:
/// requests by protocol, family and type; responses by code; histogram counts.
#[test]
fn counters_match_what_the_load_generator_counted() {
    let ipv6 = ipv6_loopback_works();
    let mut args = vec!["--now", NOW, "--metrics-listen", "127.0.0.1:0"];
    args.extend(["--listen", "127.0.0.1:0"]);
    if ipv6 {
        args.extend(["--listen", "[::1]:0"]);
    } else {
        eprintln!("no IPv6 loopback here: family 2 is not exercised");
    }
    let mut server = Running::start(&args);
    let metrics = server.addr_after("metrics on http://");
    let dns = server.dns_addrs(if ipv6 { 2 } else { 1 });
    // (proto, family, qname, qtype): answers NOERROR with records, NOERROR
    // without (AAAA, SOA at the apex), NXDOMAIN and REFUSED.
    let mut runs = vec![
        ("udp", "1", "iss.sat.example", "LOC"),
        ("udp", "1", "iss.sat.example", "TXT"),
        ("udp", "1", "iss.sat.example", "AAAA"),
        ("udp", "1", "sat.example", "SOA"),
        ("udp", "1", "nothing.sat.example", "LOC"),
        ("udp", "1", "iss.example.com", "A"),
        ("tcp", "1", "iss.sat.example", "LOC"),
        ("tcp", "1", "nothing.sat.example", "TXT"),
    ];
    if ipv6 {
        runs.push(("udp", "2", "hubble.sat.example", "LOC"));
    }
    let expected = drive(&dns, &runs);
    assert!(expected.rcodes.contains_key("NXDOMAIN") && expected.rcodes.contains_key("REFUSED"));

    let samples = Samples::scrape(metrics);
    let requests: BTreeMap<(String, String, String), f64> = samples
        .series("satloc_dns_requests_total")
        .into_iter()
        .map(|(labels, v)| {
            let label = |k: &str| labels[k].clone();
            ((label("proto"), label("family"), label("type")), v)
        })
        .collect();
    assert_eq!(
        requests, expected.requests,
        "requests by proto, family, type"
    );
    let rcodes: BTreeMap<String, f64> = samples
        .series("satloc_dns_responses_total")
        .into_iter()
        .map(|(labels, v)| (labels["rcode"].clone(), v))
        .collect();
    assert_eq!(rcodes, expected.rcodes, "responses by rcode");
    check_histogram_counts(&samples, &expected);
    let text = Samples::scrape_text(metrics);
    assert_eq!(text.0, samples.0, "the same samples in both formats");
    assert_eq!(samples.get("satloc_catalog_objects", &[]), 7.0);
    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(samples.get("satloc_build_info", &version), 1.0);
}

/// Every request is in the duration histogram of its type, and in the size
/// histograms of its protocol.
fn check_histogram_counts(samples: &Samples, expected: &Expected) {
    assert_eq!(
        samples.sum("satloc_dns_request_duration_seconds_count"),
        expected.sent
    );
    let mut by_type: BTreeMap<&str, f64> = BTreeMap::new();
    let mut tcp = 0.0;
    for ((proto, _, qtype), count) in &expected.requests {
        *by_type.entry(qtype).or_default() += count;
        if proto == "tcp" {
            tcp += count;
        }
    }
    for (qtype, count) in by_type {
        let of_type = [("type", qtype)];
        let inf = [("type", qtype), ("le", "+Inf")];
        assert_eq!(
            samples.get("satloc_dns_request_duration_seconds_count", &of_type),
            count
        );
        assert_eq!(
            samples.get("satloc_dns_request_duration_seconds_bucket", &inf),
            count
        );
    }
    for name in [
        "satloc_dns_request_size_bytes_count",
        "satloc_dns_response_size_bytes_count",
    ] {
        assert_eq!(samples.get(name, &[("proto", "tcp")]), tcp, "{name}");
        assert_eq!(
            samples.get(name, &[("proto", "udp")]),
            expected.sent - tcp,
            "{name}"
        );
    }
}

/// `/ready` says 503 while the catalogue is still being read (here: from a
/// FIFO nobody has written yet), 200 once it is loaded and the sockets bound;
/// `/health` is 200 throughout.
#[test]
fn ready_is_503_until_the_catalogue_is_loaded() {
    let dir = TempDir::new("ready");
    let fifo = dir.0.join("catalogue.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let fifo_arg = fifo.to_string_lossy().into_owned();
    let mut server = Running::start(&[
        "--now",
        NOW,
        "--metrics-listen",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
        "--catalog",
        &fifo_arg,
    ]);
    let metrics = server.addr_after("metrics on http://");

    // The server is blocked opening the FIFO: nothing is loaded yet.
    assert_eq!(get(metrics, "/health").status, 200);
    let before = get(metrics, "/ready");
    assert_eq!(before.status, 503);
    assert_eq!(before.body, "not ready: the catalogue is not loaded yet\n");
    let early = Samples::scrape(metrics);
    assert_eq!(
        early.get("satloc_catalog_objects", &[]),
        0.0,
        "no catalogue yet"
    );

    let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/default-catalog.tle");
    std::fs::write(&fifo, std::fs::read(catalogue).unwrap()).unwrap();
    server.wait_for("listening on");
    let deadline = Instant::now() + PATIENCE;
    while get(metrics, "/ready").status != 200 {
        assert!(
            Instant::now() < deadline,
            "never ready:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(metrics, "/ready").body, "ready\n");
    assert_eq!(get(metrics, "/health").status, 200);
    assert_eq!(
        Samples::scrape(metrics).get("satloc_catalog_objects", &[]),
        7.0
    );
    assert_eq!(get(metrics, "/nothing").status, 404);
}

/// Scrapes until `check` holds, or fails after a while.
fn until(metrics: SocketAddr, what: &str, check: impl Fn(&Samples) -> bool) -> Samples {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let samples = Samples::scrape(metrics);
        if check(&samples) {
            return samples;
        }
        assert!(Instant::now() < deadline, "{what}: {samples:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tcp_connection_gauges_follow_connections() {
    let mut server = Running::start(&[
        "--now",
        NOW,
        "--metrics-listen",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
        "--max-tcp-connections",
        "2",
    ]);
    let metrics = server.addr_after("metrics on http://");
    let dns = server.dns_addrs(1)[0];
    let open = |samples: &Samples| samples.get("satloc_tcp_connections_open", &[]);
    let evicted = |samples: &Samples| samples.get("satloc_tcp_connections_evicted_total", &[]);
    let queued = |samples: &Samples| samples.get("satloc_tcp_connections_queued_total", &[]);
    let first = Samples::scrape(metrics);
    assert_eq!(
        (open(&first), evicted(&first), queued(&first)),
        (0.0, 0.0, 0.0)
    );

    // The answer, or None when the server closed the connection (a write to a
    // closed connection can fail too).
    let ask = |stream: &mut TcpStream| {
        let bytes = query("iss.sat.example.", LOC, None).to_vec().unwrap();
        let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        stream.write_all(&framed).ok()?;
        read_tcp_message(stream)
    };
    let mut streams: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(dns).unwrap()).collect();
    for stream in &mut streams {
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        assert!(ask(stream).is_some(), "served");
        // A connection goes idle (and gets its place in the eviction order)
        // when its task is back waiting for a message, after the client
        // already has the answer; no metric shows it, so give each task a
        // moment before the next is served: the first is then idle the
        // longest however a loaded machine schedules the two tasks.
        std::thread::sleep(Duration::from_millis(300));
    }
    until(metrics, "two open", |s| open(s) == 2.0);

    // Over the limit: the connection idle the longest is closed to make room,
    // and the new one is answered.
    let mut third = TcpStream::connect(dns).unwrap();
    third.set_read_timeout(Some(PATIENCE)).unwrap();
    assert!(ask(&mut third).is_some(), "served on the room made for it");
    assert!(
        ask(&mut streams[0]).is_none(),
        "the oldest idle one was closed"
    );
    let samples = until(metrics, "one evicted", |s| evicted(s) == 1.0);
    assert_eq!((open(&samples), queued(&samples)), (2.0, 0.0));

    // Both connections busy, half a message each: a new one waits for a slot.
    for stream in [&mut streams[1], &mut third] {
        stream.write_all(&[0, 40, 1]).unwrap();
    }
    // The server must have read both halves before the newcomer arrives, or
    // it still sees an idle connection and evicts it; as above, give it a
    // moment.
    std::thread::sleep(Duration::from_millis(300));
    let waiting = TcpStream::connect(dns).unwrap();
    until(metrics, "one queued", |s| queued(s) == 1.0);

    drop((streams, third, waiting));
    until(metrics, "all closed", |s| open(s) == 0.0);
}

/// `--log-format json`: every line is one JSON object with a level and a
/// message, the message at the top level as log shippers index it.
#[test]
fn json_logs_are_one_object_per_line() {
    let mut server = Running::start(&[
        "--now",
        NOW,
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
    ]);
    server.wait_for("listening on");
    let killed = Command::new("kill")
        .args(["-s", "TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    server.wait_for("stopped");
    let lines = server.log.lock().unwrap().clone();
    assert!(lines.len() >= 4, "{lines:?}");
    let mut messages = Vec::new();
    for line in &lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert!(object["timestamp"].is_string(), "{line}");
        assert!(
            ["INFO", "WARN"].contains(&object["level"].as_str().unwrap()),
            "{line}"
        );
        messages.push(object["message"].as_str().expect(line).to_owned());
    }
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("listening on 127.0.0.1:")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m == "shutting down"),
        "{messages:?}"
    );
}

/// Without `--log-format`, logs stay text, as before.
#[test]
fn text_logs_stay_the_default() {
    let server = Server::start(&["--now", NOW]);
    let text = server.log_text();
    assert!(text.lines().all(|line| !line.starts_with('{')), "{text}");
    assert!(text.contains(" INFO "), "{text}");
}

/// SIGHUP reloads count as refresh attempts: a good file as `updated` (and the
/// time of the last success), a bad one as `invalid`, a missing one as
/// `unreachable`; the catalogue in service stays the last good one.
#[test]
fn reloads_are_counted_as_refresh_attempts() {
    let dir = TempDir::new("refresh");
    let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/default-catalog.tle");
    let file = dir.write(
        "catalogue.tle",
        &std::fs::read_to_string(catalogue).unwrap(),
    );
    let mut server = Running::start(&[
        "--now",
        NOW,
        "--metrics-listen",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
        "--catalog",
        &file,
    ]);
    let metrics = server.addr_after("metrics on http://");
    let dns = server.dns_addrs(1)[0];
    // Answered: the server is past start-up and handles signals (as in tests/cli.rs).
    udp(dns, &query("iss.sat.example.", LOC, None));
    let attempts = |s: &Samples, outcome: &str| {
        s.get(
            "satloc_catalog_refresh_attempts_total",
            &[("outcome", outcome)],
        )
    };
    let last_success = "satloc_catalog_refresh_last_success_timestamp_seconds";
    let first = Samples::scrape(metrics);
    assert_eq!(first.sum("satloc_catalog_refresh_attempts_total"), 0.0);
    assert!(first.series(last_success).is_empty(), "no refresh yet");

    let hangup = || {
        let sent = Command::new("kill")
            .args(["-s", "HUP", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    hangup();
    let samples = until(metrics, "one update", |s| attempts(s, "updated") == 1.0);
    assert!(
        samples.get(last_success, &[]) >= before.floor(),
        "{samples:?}"
    );

    std::fs::write(&file, "not a catalogue\n").unwrap();
    hangup();
    until(metrics, "one invalid", |s| attempts(s, "invalid") == 1.0);
    std::fs::remove_file(&file).unwrap();
    hangup();
    let samples = until(metrics, "one unreachable", |s| {
        attempts(s, "unreachable") == 1.0
    });
    assert_eq!(attempts(&samples, "updated"), 1.0);
    assert_eq!(
        samples.get("satloc_catalog_objects", &[]),
        7.0,
        "the last good catalogue"
    );
}

/// A metrics address that cannot be bound stops start-up with the flag named.
#[test]
fn a_taken_metrics_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, stderr) =
        common::run_to_exit(&["--listen", "127.0.0.1:0", "--metrics-listen", &addr]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("--metrics-listen {addr}: cannot bind")),
        "{stderr}"
    );
}
