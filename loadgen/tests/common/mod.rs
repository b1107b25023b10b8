//! A tiny DNS server for the load generator's tests, with behaviours chosen
//! to make the load generator's answers checkable: a known delay, a known
//! number of dropped queries, a stall at a known moment.
//!
//! It answers every query (parsed with hickory-proto) with the question
//! echoed and one A record, on 127.0.0.1 at a free port, from one thread
//! that stops when the server value is dropped.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record};

/// What the server does with each query.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// Answer at once.
    Immediate,
    /// Answer each query this long after it arrived.
    Delay(Duration),
    /// Answer the 1st, 3rd, 5th... query; drop the others.
    DropEveryOther,
    /// Answer at once, but once, `after` the first query, stop reading for
    /// `stall`, then answer the backlog.
    StallOnce {
        /// Time from the first query to the stall.
        after: Duration,
        /// How long the stall lasts.
        stall: Duration,
    },
    /// Answer at once, but before reading query number `nth` (from 0),
    /// stop reading for `stall`, then answer the backlog: a stall at a
    /// known point of a sweep, whatever the machine's speed.
    StallAtQuery {
        /// The query the stall comes before.
        nth: u64,
        /// How long the stall lasts.
        stall: Duration,
    },
    /// Over TCP: close the connection after this many answers.
    CloseAfter(u64),
    /// Answer every `nth` query `delay` late, the others at once.
    DelayEvery {
        /// Which queries are slow: every nth, starting with the first.
        nth: u64,
        /// How late they are answered.
        delay: Duration,
    },
    /// Cycle through five kinds of response, one per query: a proper answer,
    /// an answer to another name, bytes that are not DNS, an answer with TC
    /// set, an NXDOMAIN.
    Mixed,
}

/// A running test server.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Queries received.
    pub received: Arc<AtomicU64>,
    /// Queries answered.
    pub answered: Arc<AtomicU64>,
    /// Queries dropped on purpose.
    pub dropped: Arc<AtomicU64>,
    /// Set to stop the thread.
    stop: Arc<AtomicBool>,
    /// The serving thread.
    handle: Option<JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The response to `query`: question echoed, one A record; `None` if the
/// query does not parse.
pub fn answer(query: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    let mut response = Message::new(request.metadata.id, MessageType::Response, OpCode::Query);
    response.metadata.authoritative = true;
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    for query in &request.queries {
        response.add_query(query.clone());
        response.add_answer(Record::from_rdata(
            query.name().clone(),
            60,
            RData::A(A::new(192, 0, 2, 1)),
        ));
    }
    response.to_vec().ok()
}

/// The counters a serving loop updates: received, answered, dropped.
type ServerCounters = (Arc<AtomicU64>, Arc<AtomicU64>, Arc<AtomicU64>);

impl TestServer {
    /// Starts a UDP server with `behaviour`.
    pub fn udp(behaviour: Behaviour) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind test server");
        let addr = socket.local_addr().unwrap();
        Self::spawn(addr, move |stop, counters| {
            serve_udp(socket, behaviour, stop, counters);
        })
    }

    /// Starts a TCP server with `behaviour` (Immediate or CloseAfter).
    pub fn tcp(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test server");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        Self::spawn(addr, move |stop, counters| {
            serve_tcp(listener, behaviour, stop, counters);
        })
    }

    /// Runs `serve` on its own thread with fresh counters and a stop flag.
    fn spawn(
        addr: SocketAddr,
        serve: impl FnOnce(&AtomicBool, ServerCounters) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicU64::new(0));
        let answered = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicU64::new(0));
        let counters = (received.clone(), answered.clone(), dropped.clone());
        let stop_flag = stop.clone();
        let handle = std::thread::spawn(move || serve(&stop_flag, counters));
        Self {
            addr,
            received,
            answered,
            dropped,
            stop,
            handle: Some(handle),
        }
    }

    /// Starts a UDP server with a known capacity: it answers at most
    /// `per_second` queries a second (a token bucket holding 50 ms of
    /// tokens, so that the thread losing the CPU for a moment on a shared
    /// machine does not lower its capacity), keeps the rest in a first-in first-out queue holding
    /// `queue` worth of answers at that rate, and drops what does not fit.
    /// Below capacity it answers at once; above it latency climbs to
    /// `queue` and then queries are lost, the shape of a real server's knee.
    /// Answers echo the query with QR set (as `satloc-server --echo-floor`),
    /// so the server's own cost stays far below its limit.
    pub fn udp_with_capacity(per_second: f64, queue: Duration) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind test server");
        let addr = socket.local_addr().unwrap();
        Self::spawn(addr, move |stop, counters| {
            serve_udp_capacity(&socket, per_second, queue, stop, counters);
        })
    }
}

/// Tokens of a token bucket that refills at `per_second`, holding at most
/// `burst`.
#[derive(Debug)]
struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            tokens: burst,
            refilled: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + earned).min(self.burst);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The serving loop of [`TestServer::udp_with_capacity`].
fn serve_udp_capacity(
    socket: &UdpSocket,
    per_second: f64,
    queue: Duration,
    stop: &AtomicBool,
    (received, answered, dropped): ServerCounters,
) {
    let queue_len = (per_second * queue.as_secs_f64()).max(1.0) as usize;
    let mut bucket = TokenBucket::new(per_second, (per_second / 20.0).max(1.0));
    let mut waiting: std::collections::VecDeque<(Vec<u8>, SocketAddr)> =
        std::collections::VecDeque::with_capacity(queue_len);
    // A short read timeout: the loop wakes for each arrival and, while
    // answers wait, at least every 200 µs to spend the tokens earned.
    socket
        .set_read_timeout(Some(Duration::from_micros(200)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((len, peer)) = socket.recv_from(&mut buf) {
            received.fetch_add(1, Ordering::Relaxed);
            if len >= 12 && waiting.len() < queue_len {
                let mut response = buf[..len].to_vec();
                response[2] |= 0x80;
                waiting.push_back((response, peer));
            } else {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        while !waiting.is_empty() && bucket.take() {
            let (response, peer) = waiting.pop_front().unwrap();
            let _ = socket.send_to(&response, peer);
            answered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The UDP serving loop.
fn serve_udp(
    socket: UdpSocket,
    behaviour: Behaviour,
    stop: &AtomicBool,
    (received, answered, dropped): ServerCounters,
) {
    let mut buf = [0u8; 4096];
    // Delayed responses go to a sender thread that sleeps until each is due
    // (a socket read timeout would round the delay up to the kernel tick).
    // The delay is the same for all, so due times are in arrival order.
    let (delayed_tx, delayed_rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>, SocketAddr)>();
    let sender_socket = socket.try_clone().unwrap();
    let sender_answered = answered.clone();
    let sender = std::thread::spawn(move || {
        for (due, response, peer) in delayed_rx {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let _ = sender_socket.send_to(&response, peer);
            sender_answered.fetch_add(1, Ordering::Relaxed);
        }
    });
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut first_query: Option<Instant> = None;
    let mut stalled = false;
    while !stop.load(Ordering::Relaxed) {
        stall_once(
            behaviour,
            first_query,
            received.load(Ordering::Relaxed),
            &mut stalled,
        );
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(_) => continue,
        };
        let count = received.fetch_add(1, Ordering::Relaxed);
        first_query.get_or_insert_with(Instant::now);
        let Some(response) = answer(&buf[..len]) else {
            continue;
        };
        let response = match behaviour {
            Behaviour::Mixed => mixed_response(count, &buf[..len], response),
            _ => response,
        };
        match behaviour {
            Behaviour::DropEveryOther if count % 2 == 1 => {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
            Behaviour::DelayEvery { nth, delay } if count % nth == 0 => {
                let _ = delayed_tx.send((Instant::now() + delay, response, peer));
            }
            Behaviour::Delay(delay) => {
                let _ = delayed_tx.send((Instant::now() + delay, response, peer));
            }
            _ => {
                let _ = socket.send_to(&response, peer);
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    drop(delayed_tx);
    let _ = sender.join();
}

/// Sleeps through the one stall of [`Behaviour::StallOnce`] or
/// [`Behaviour::StallAtQuery`] when it is due (and not yet `stalled`).
fn stall_once(
    behaviour: Behaviour,
    first_query: Option<Instant>,
    received: u64,
    stalled: &mut bool,
) {
    let due = match behaviour {
        Behaviour::StallOnce { after, stall } => first_query
            .is_some_and(|first| Instant::now() >= first + after)
            .then_some(stall),
        Behaviour::StallAtQuery { nth, stall } => (received == nth).then_some(stall),
        _ => None,
    };
    if let Some(stall) = due
        && !*stalled
    {
        *stalled = true;
        std::thread::sleep(stall);
    }
}

/// Response number `count` of [`Behaviour::Mixed`].
fn mixed_response(count: u64, query: &[u8], proper: Vec<u8>) -> Vec<u8> {
    match count % 5 {
        1 => {
            let mut request = Message::from_vec(query).unwrap();
            let other = Name::from_ascii("other.example.").unwrap();
            let qtype = request.queries[0].query_type();
            request.queries[0] = Query::query(other, qtype);
            answer(&request.to_vec().unwrap()).unwrap()
        }
        // The query's ID, then a header promising records that never come.
        2 => vec![
            query[0], query[1], 0x81, 0x80, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x03,
        ],
        3 => {
            let mut truncated = proper;
            truncated[2] |= 0x02;
            truncated
        }
        4 => {
            let mut nxdomain = proper;
            nxdomain[3] = (nxdomain[3] & 0xF0) | 3;
            nxdomain
        }
        _ => proper,
    }
}

/// The TCP serving loop: one connection at a time, frames answered in order.
fn serve_tcp(
    listener: TcpListener,
    behaviour: Behaviour,
    stop: &AtomicBool,
    (received, answered, _dropped): ServerCounters,
) {
    let mut connections: Vec<(TcpStream, Vec<u8>, u64)> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok((stream, _)) = listener.accept() {
            stream.set_nonblocking(true).unwrap();
            stream.set_nodelay(true).unwrap();
            connections.push((stream, Vec::new(), 0));
        }
        let mut idle = true;
        connections.retain_mut(|(stream, input, served)| {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    idle = false;
                    input.extend_from_slice(&chunk[..n]);
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return false,
            }
            while input.len() >= 2 {
                let len = usize::from(u16::from_be_bytes([input[0], input[1]]));
                if input.len() < 2 + len {
                    break;
                }
                let query: Vec<u8> = input.drain(..2 + len).skip(2).collect();
                received.fetch_add(1, Ordering::Relaxed);
                if let Behaviour::CloseAfter(limit) = behaviour
                    && *served >= limit
                {
                    return false;
                }
                if let Some(response) = answer(&query) {
                    let mut framed = u16::try_from(response.len())
                        .unwrap()
                        .to_be_bytes()
                        .to_vec();
                    framed.extend_from_slice(&response);
                    stream.set_nonblocking(false).unwrap();
                    let written = stream.write_all(&framed);
                    stream.set_nonblocking(true).unwrap();
                    if written.is_err() {
                        return false;
                    }
                    *served += 1;
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
            true
        });
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// Arguments for a run against `server` asking for `test.example. A`.
pub fn args(server: SocketAddr, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "satloc-loadgen",
        "--server",
        &server.to_string(),
        "--qname",
        "test.example",
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs the load generator in-process with `args` (see [`args`]).
pub fn run(args: Vec<String>) -> satloc_loadgen::run::RunResult {
    use clap::Parser;
    let cli = satloc_loadgen::cli::Cli::try_parse_from(args).expect("valid arguments");
    let config = cli.run.into_config().expect("valid configuration");
    satloc_loadgen::run::run(&config, Arc::new(AtomicBool::new(false))).expect("run starts")
}

/// A directory under the system's temporary one, removed when dropped, so a
/// failing test leaves nothing behind.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A new directory named for `name` and this process.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("satloc-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
