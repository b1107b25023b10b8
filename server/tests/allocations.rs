//! How many heap allocations one answer costs, counted with a counting global
//! allocator. The numbers are deterministic, so they are pinned here: a change
//! that adds allocations to the hot path fails this test and has to say why.
//!
//! Two levels: the answer core alone, and a query's whole trip through each UDP
//! engine on loopback (the per-query task and buffers the case study removed,
//! `docs/case-study.md`), with the per-query metrics off and on, and through
//! the TCP transport, per query and per connection. The counter is global, so
//! the tests take turns.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv6Addr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use satloc_server::answer::AnswerPath;
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::clock::Clock;
use satloc_server::engine::{self, EngineOptions, Listeners, Protocol, UdpEngine};
use satloc_server::loc::LOC;
use satloc_server::metrics::{QueryMetrics, Ticks};
use satloc_server::service::Service;
use satloc_server::synthetic::PlantedCost;
use satloc_server::testing::{TEST_CLIENT_ADDR, TestQuery, test_client};
use satloc_server::zone::Zone;
use tokio_util::sync::CancellationToken;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One test at a time: the counter sees every thread.
static SERIAL: Mutex<()> = Mutex::new(());

fn embedded_catalog() -> Catalog {
    Catalog::load(&[Source::Embedded], &NamingOptions::default())
        .unwrap()
        .catalog
}

fn wire(name: &str, rtype: RecordType, edns: bool) -> Vec<u8> {
    let query = TestQuery::new(name, rtype).id(7).recursion_desired(false);
    if edns { query.edns(512) } else { query }.to_bytes()
}

/// A LOC query for the ISS with a COOKIE option of `len` bytes.
fn with_cookie(len: usize) -> Vec<u8> {
    TestQuery::new("iss.sat.example.", LOC)
        .edns(1232)
        .cookie(&vec![7; len])
        .to_bytes()
}

#[test]
fn allocations_per_answer() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let zone = Zone::new("sat.example.").unwrap();
    let mut catalog = embedded_catalog();
    let now = "2026-11-28T12:00:00Z".parse().unwrap();
    catalog.prepare(now);
    let mut out = Vec::with_capacity(4096);
    // (what, query, most allocations allowed per answer). LOC takes the fast
    // path, which allocates nothing; the rest go through hickory-proto.
    for (what, query, budget) in [
        ("LOC+EDNS", wire("iss.sat.example.", LOC, true), 0),
        ("LOC", wire("iss.sat.example.", LOC, false), 0),
        // GOES 18, a year past its epoch: the resonance integrator starts from
        // a prepared state, copied out without allocating.
        ("GEO LOC", wire("51850.sat.example.", LOC, true), 0),
        // As BIND asks: with a client cookie, and with the server cookie too
        // (one that does not verify costs the same work).
        ("LOC+cookie", with_cookie(8), 0),
        ("LOC+server cookie", with_cookie(24), 0),
        ("TXT", wire("iss.sat.example.", RecordType::TXT, false), 18),
        (
            "NXDOMAIN",
            wire("x.sat.example.", LOC, false),
            // 14 in release builds, 16 in debug ones (`cargo test`).
            16,
        ),
    ] {
        let client = test_client();
        let answer = |out: &mut Vec<u8>| {
            AnswerPath::Fast.answer(&query, Protocol::Udp, &client, &zone, &catalog, now, out);
        };
        // First-use allocations do not count.
        answer(&mut out);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        answer(&mut out);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        let used = after - before;
        eprintln!("{what}: {used} allocations");
        assert!(
            used <= budget,
            "{what}: {used} allocations per answer, budget {budget}"
        );
    }
}

/// Allocations over `queries` LOC queries sent one at a time to a server running
/// `udp` on loopback, after a warm-up (first-use allocations do not count);
/// with `metrics`, the service counts every query, and the count is checked.
fn allocations_through_engine(udp: UdpEngine, queries: u64, metrics: bool) -> u64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let service = Service::new(
        Zone::new("sat.example.").unwrap(),
        Clock::frozen_at("2026-11-28T12:00:00Z").unwrap(),
        embedded_catalog(),
        AnswerPath::Fast,
        PlantedCost::default(),
    );
    // Shards for more threads than this test process makes, so the engines'
    // threads write their own (the path a server takes).
    let counters = Arc::new(QueryMetrics::new(256, Ticks::shared()));
    let service = Arc::new(if metrics {
        service.with_metrics(Arc::clone(&counters))
    } else {
        service
    });
    let listeners = Listeners::bind(&["127.0.0.1:0".parse().unwrap()], 1).unwrap();
    let server = listeners.local_addrs[0];
    let shutdown = CancellationToken::new();
    let options = EngineOptions {
        udp,
        ..EngineOptions::default()
    };
    let serving = runtime.spawn(engine::run(service, listeners, options, shutdown.clone()));

    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.connect(server).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let query = wire("iss.sat.example.", LOC, true);
    let mut response = [0u8; 1232];
    let mut ask = || {
        client.send(&query).unwrap();
        let len = client.recv(&mut response).unwrap();
        assert_eq!(response[..2], query[..2], "the answer to our query");
        assert!(len > query.len(), "an answer with a record");
    };
    for _ in 0..200 {
        ask();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..queries {
        ask();
    }
    let used = ALLOCATIONS.load(Ordering::Relaxed) - before;

    shutdown.cancel();
    runtime.block_on(serving).unwrap().unwrap();
    let counted = counters.snapshot().responses.iter().sum::<u64>();
    assert_eq!(counted, if metrics { 200 + queries } else { 0 }, "{udp:?}");
    used
}

/// The default engines hand a query from the socket to the answer core and back
/// without touching the heap; the task-per-query engine pays for a task and two
/// buffers every time, which is what this test would catch creeping back.
#[test]
fn allocations_per_query_through_each_udp_engine() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let queries = 1000;
    for udp in [UdpEngine::Batch, UdpEngine::Loop, UdpEngine::Uring] {
        for metrics in [false, true] {
            let used = allocations_through_engine(udp, queries, metrics);
            eprintln!("{udp:?}, metrics {metrics}: {used} allocations in {queries} queries");
            // A few for the runtime's own housekeeping (timers, wake-ups) are not per query.
            assert!(
                used <= 20,
                "{udp:?}, metrics {metrics}: {used} allocations in {queries} queries; \
                 the hot path should not allocate"
            );
        }
    }
    let used = allocations_through_engine(UdpEngine::Spawn, queries, false);
    eprintln!("Spawn: {used} allocations in {queries} queries");
    assert!(
        used >= 2 * queries,
        "Spawn: {used} allocations in {queries} queries; a task and a query buffer each expected"
    );
}

/// A server on `runtime` answering over TCP (and UDP) on a loopback port,
/// until the token is cancelled.
fn tcp_server(
    runtime: &tokio::runtime::Runtime,
) -> (
    std::net::SocketAddr,
    CancellationToken,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let service = Arc::new(Service::new(
        Zone::new("sat.example.").unwrap(),
        Clock::frozen_at("2026-11-28T12:00:00Z").unwrap(),
        embedded_catalog(),
        AnswerPath::Fast,
        PlantedCost::default(),
    ));
    let listeners = Listeners::bind(&["127.0.0.1:0".parse().unwrap()], 1).unwrap();
    let server = listeners.local_addrs[0];
    let shutdown = CancellationToken::new();
    let options = EngineOptions::default();
    let serving = runtime.spawn(engine::run(service, listeners, options, shutdown.clone()));
    (server, shutdown, serving)
}

/// Asks the LOC query on `stream` and reads its answer.
fn ask_over_tcp(stream: &mut std::net::TcpStream, framed: &[u8], response: &mut [u8]) {
    use std::io::{Read, Write};
    stream.write_all(framed).unwrap();
    let mut length = [0u8; 2];
    stream.read_exact(&mut length).unwrap();
    let length = usize::from(u16::from_be_bytes(length));
    stream.read_exact(&mut response[..length]).unwrap();
    assert_eq!(response[..2], framed[2..4], "the answer to our query");
}

/// Allocations over TCP on loopback, after a warm-up: `queries` LOC queries
/// asked one at a time on one connection, then `connections` whole connections
/// (connect, one query, close), counted apart.
fn allocations_over_tcp(queries: u64, connections: u64) -> (u64, u64) {
    use std::io::Read;
    use std::net::TcpStream;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (server, shutdown, serving) = tcp_server(&runtime);
    let query = wire("iss.sat.example.", LOC, true);
    let mut framed = u16::try_from(query.len()).unwrap().to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    let mut response = [0u8; 1232];
    let connect = || {
        let stream = TcpStream::connect(server).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    };
    let mut stream = connect();
    for _ in 0..200 {
        ask_over_tcp(&mut stream, &framed, &mut response);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..queries {
        ask_over_tcp(&mut stream, &framed, &mut response);
    }
    let per_query = ALLOCATIONS.load(Ordering::Relaxed) - before;
    drop(stream);

    let whole_connection = |response: &mut [u8]| {
        let mut stream = connect();
        ask_over_tcp(&mut stream, &framed, response);
        // Read to the end: the server has closed its side, and let go of
        // the connection, before the next one.
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(stream.read(response).unwrap(), 0);
    };
    for _ in 0..20 {
        whole_connection(&mut response);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..connections {
        whole_connection(&mut response);
    }
    let per_connection = ALLOCATIONS.load(Ordering::Relaxed) - before;

    shutdown.cancel();
    runtime.block_on(serving).unwrap().unwrap();
    (per_query, per_connection)
}

/// A query on an open TCP connection touches the heap no more than one over
/// UDP; a connection costs a bounded handful (its task, buffers and slot).
#[test]
fn allocations_per_query_and_per_connection_over_tcp() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (queries, connections) = (1000, 100);
    let (per_query, per_connection) = allocations_over_tcp(queries, connections);
    eprintln!(
        "TCP: {per_query} allocations in {queries} queries, \
         {per_connection} in {connections} connections"
    );
    assert!(
        per_query <= 20,
        "{per_query} allocations in {queries} queries on one connection; \
         the hot path should not allocate"
    );
    // 10 a connection when this was written (its task, its socket's halves
    // and buffers, its slot).
    assert!(
        per_connection <= 12 * connections,
        "{per_connection} allocations in {connections} connections"
    );
}

/// Allocations of the second LOC query handled by the service the binary
/// builds with `flags` (the first must be answered).
fn allocations_with(flags: &[&str]) -> u64 {
    use clap::Parser;
    use satloc_server::config::{Args, Config};
    use satloc_server::engine::{Handler, Outcome};
    use satloc_server::server::build_service;

    let query = wire("iss.sat.example.", LOC, true);
    let mut out = Vec::with_capacity(4096);
    let args = Args::parse_from(
        ["satloc-server", "--now", "2026-11-28T12:00:00Z"]
            .iter()
            .chain(flags),
    );
    let config = Config::from_args(args).unwrap();
    let service = build_service(&config, embedded_catalog());
    assert_eq!(
        service.handle(&query, Protocol::Udp, TEST_CLIENT_ADDR, &mut out),
        Outcome::Respond
    );
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    service.handle(&query, Protocol::Udp, TEST_CLIENT_ADDR, &mut out);
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// Rate limiting allocates nothing per query: passing, or limited (the
/// second query is over a rate of 1: slipped, cut down in place, or dropped
/// and counted).
#[test]
fn rate_limiting_allocates_nothing_per_query() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    assert_eq!(allocations_with(&["--rrl-rate", "1000000"]), 0);
    assert_eq!(allocations_with(&["--rrl-rate", "1", "--rrl-slip", "1"]), 0);
    assert_eq!(
        allocations_with(&["--rrl-rate", "1", "--metrics-listen", "0"]),
        0
    );
}

/// `--answer-path` reaches the service the binary builds: the hickory path
/// allocates for a LOC answer, the default fast path does not.
#[test]
fn the_answer_path_flag_chooses_the_path_that_answers() {
    use clap::Parser;
    use satloc_server::config::{Args, Config};
    use satloc_server::engine::Handler;
    use satloc_server::server::build_service;

    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let query = wire("iss.sat.example.", LOC, true);
    let mut out = Vec::with_capacity(4096);
    assert_eq!(allocations_with(&[]), 0, "the fast path by default");
    assert_eq!(allocations_with(&["--answer-path", "fast"]), 0);
    assert!(allocations_with(&["--answer-path", "hickory"]) > 0);
    // `--metrics-listen` gives the service its counters, which allocate nothing
    // per query either (the first query on a thread included: above, the
    // first answer is outside the count, so a second thread checks it here).
    assert_eq!(allocations_with(&["--metrics-listen", "0"]), 0);
    let args = Args::parse_from([
        "satloc-server",
        "--now",
        "2026-11-28T12:00:00Z",
        "--metrics-listen",
        "0",
    ]);
    let service = build_service(&Config::from_args(args).unwrap(), embedded_catalog());
    assert!(
        service.metrics().is_some(),
        "--metrics-listen turns counting on"
    );
    service.handle(&query, Protocol::Udp, TEST_CLIENT_ADDR, &mut out);
    let first_on_a_thread = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut out = Vec::with_capacity(4096);
                let before = ALLOCATIONS.load(Ordering::Relaxed);
                service.handle(
                    &query,
                    Protocol::Udp,
                    IpAddr::from(Ipv6Addr::LOCALHOST),
                    &mut out,
                );
                ALLOCATIONS.load(Ordering::Relaxed) - before
            })
            .join()
            .unwrap()
    });
    assert_eq!(first_on_a_thread, 0, "a thread's first counted query");
}

/// With a position quantum (the server's default), computing an object's
/// position and storing it in its memo allocates nothing, and neither does
/// reading it back.
#[test]
fn the_position_memo_allocates_nothing() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut zone = Zone::new("sat.example.").unwrap();
    zone.position_quantum =
        satloc_server::quantum::PositionQuantum::new(std::time::Duration::from_millis(100))
            .unwrap();
    let catalog = embedded_catalog();
    let now = "2026-11-28T12:00:00.037Z".parse().unwrap();
    let mut out = Vec::with_capacity(4096);
    let mut answer = |query: &[u8]| {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        AnswerPath::Fast.answer(
            query,
            Protocol::Udp,
            &test_client(),
            &zone,
            &catalog,
            now,
            &mut out,
        );
        assert_eq!(out.get(6..8), Some(&[0, 1][..]), "answered with a LOC");
        ALLOCATIONS.load(Ordering::Relaxed) - before
    };
    // A first answer, for any first-use work; then the GPS satellite twice:
    // computed and stored, then read back.
    answer(&wire("iss.sat.example.", LOC, true));
    assert_eq!(
        answer(&wire("24876.sat.example.", LOC, true)),
        0,
        "memo miss"
    );
    assert_eq!(
        answer(&wire("24876.sat.example.", LOC, true)),
        0,
        "memo hit"
    );
}
