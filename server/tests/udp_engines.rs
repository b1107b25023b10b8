//! The UDP engines under bursts and at shutdown, driven through the library
//! (`engine::run`) on loopback with the echo floor's handler, so every reply is
//! known exactly: the query with QR set.
//!
//! The burst test holds the handler on the first datagram until the whole
//! window has been sent, so the window waits in the socket, and on io_uring
//! more datagrams are waiting than the provided-buffer ring holds: the
//! multishot receive runs out of buffers and must be re-armed without losing
//! or mixing up a datagram.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use satloc_server::engine::{
    self, EngineOptions, Handler, Listeners, Outcome, Protocol, UdpEngine, udp_uring,
};
use satloc_server::floor::EchoFloor;
use tokio_util::sync::CancellationToken;

/// Datagrams sent before any reply is read: four times the io_uring engine's
/// buffer ring, eight batch-engine batches.
const WINDOW: usize = 4 * udp_uring::BUFFERS as usize;

/// The echo floor, except that its first call waits until `open` is set, so
/// the test decides when the engine starts draining its socket.
struct GatedEcho {
    open: Arc<AtomicBool>,
}

impl Handler for GatedEcho {
    fn handle(&self, query: &[u8], protocol: Protocol, peer: IpAddr, out: &mut Vec<u8>) -> Outcome {
        let waiting_since = Instant::now();
        while !self.open.load(Ordering::Acquire) && waiting_since.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        EchoFloor.handle(query, protocol, peer, out)
    }
}

/// A server running `udp` with `handler` on one loopback socket, on its own
/// runtime; stopped through the token, also when a failed assertion drops it
/// (the runtime waits for the engine's blocking worker, which waits for the
/// token).
struct Running {
    addr: SocketAddr,
    shutdown: CancellationToken,
    serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    runtime: tokio::runtime::Runtime,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn start<H: Handler>(udp: UdpEngine, handler: H) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listeners = Listeners::bind(&["127.0.0.1:0".parse().unwrap()], 1).unwrap();
    let addr = listeners.local_addrs[0];
    let shutdown = CancellationToken::new();
    let options = EngineOptions {
        udp,
        ..EngineOptions::default()
    };
    let serving = runtime.spawn(engine::run(
        Arc::new(handler),
        listeners,
        options,
        shutdown.clone(),
    ));
    Running {
        addr,
        shutdown,
        serving: Some(serving),
        runtime,
    }
}

impl Running {
    /// Cancels the token and waits for the engine to return; how long it took.
    fn stop(mut self) -> Duration {
        let serving = self.serving.take().expect("stopped once");
        let asked = Instant::now();
        self.shutdown.cancel();
        let result = self.runtime.block_on(serving).unwrap();
        let took = asked.elapsed();
        result.unwrap();
        took
    }
}

/// A client whose receive buffer holds a whole window of replies.
fn client(server: SocketAddr) -> UdpSocket {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let socket = UdpSocket::from(socket);
    socket.connect(server).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket
}

/// A query-shaped message: the ID, then a body that names the ID again and
/// varies in length, so a reply matched to the wrong query or cut short shows.
fn message(id: u16) -> Vec<u8> {
    let mut bytes = id.to_be_bytes().to_vec();
    bytes.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    let body = usize::from(id % 64) + 1;
    bytes.extend((0..body).map(|i| (id as u8).wrapping_add(i as u8)));
    bytes
}

/// Sends `WINDOW` messages with the handler held, opens it, and checks every
/// one comes back once, as the echo of its own query.
fn one_window(socket: &UdpSocket, window: u16, open: &AtomicBool, engine: UdpEngine) {
    let first = window * WINDOW as u16;
    for id in first..first + WINDOW as u16 {
        socket.send(&message(id)).unwrap();
    }
    open.store(true, Ordering::Release);
    let mut seen = HashSet::new();
    let mut reply = [0u8; 512];
    for _ in 0..WINDOW {
        let len = socket.recv(&mut reply).unwrap_or_else(|err| {
            panic!(
                "{engine:?}, window {window}: {} of {WINDOW} replies, then {err}",
                seen.len()
            )
        });
        let id = u16::from_be_bytes([reply[0], reply[1]]);
        let mut expected = message(id);
        expected[2] |= 0x80;
        assert_eq!(reply[..len], expected[..], "{engine:?}: reply to {id}");
        assert!(
            (first..first + WINDOW as u16).contains(&id) && seen.insert(id),
            "{engine:?}: reply to {id} unexpected or twice"
        );
    }
}

#[test]
fn a_burst_larger_than_the_receive_ring_is_answered_in_full_by_every_engine() {
    for engine in [UdpEngine::Batch, UdpEngine::Uring, UdpEngine::Loop] {
        let open = Arc::new(AtomicBool::new(false));
        let server = start(
            engine,
            GatedEcho {
                open: Arc::clone(&open),
            },
        );
        let socket = client(server.addr);
        for window in 0..8 {
            // Held again for each window but the first, the handler does not
            // wait: the burst still arrives faster than one worker echoes it.
            one_window(&socket, window, &open, engine);
        }
        server.stop();
    }
}

#[test]
fn the_uring_engine_stops_within_a_shutdown_poll_idle_and_after_traffic() {
    for traffic in [false, true] {
        let server = start(UdpEngine::Uring, EchoFloor);
        if traffic {
            let socket = client(server.addr);
            socket.send(&message(7)).unwrap();
            let mut reply = [0u8; 512];
            socket.recv(&mut reply).unwrap();
        } else {
            // Let the worker reach its wait.
            std::thread::sleep(Duration::from_millis(50));
        }
        let took = server.stop();
        // One shutdown poll (100 ms), with room for a busy shared machine.
        assert!(
            took < Duration::from_millis(600),
            "traffic {traffic}: stopped after {took:?}"
        );
    }
}
