//! A tiny HTTP/1.1 server on loopback that answers each request with whatever
//! the test's script says, and remembers when each request came and what it
//! carried: enough to play a catalogue source that misbehaves on cue.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// What the test calls it ("good1", "403", ...).
    pub label: &'static str,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send half the body, then wait this long before the rest.
    pub stall: Option<Duration>,
}

impl Reply {
    pub fn new(label: &'static str, status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            label,
            status,
            headers: Vec::new(),
            body: body.into(),
            stall: None,
        }
    }

    pub fn ok(label: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(label, 200, body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn stall(mut self, for_: Duration) -> Reply {
        self.stall = Some(for_);
        self
    }
}

/// A request the stub answered.
#[derive(Debug, Clone)]
pub struct Served {
    /// When its head had arrived.
    pub at: Instant,
    /// The label of the reply it got.
    pub label: &'static str,
    /// Request line and headers, lower-cased.
    pub head: String,
}

/// The script: request number (from 0) and head in, reply out.
pub type Script = Box<dyn FnMut(usize, &str) -> Reply + Send>;

/// A running stub; stopped (its port closed) by [`Stub::stop`] or on drop.
pub struct Stub {
    pub addr: SocketAddr,
    served: Arc<Mutex<Vec<Served>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Stub {
    pub fn start(script: Script) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(Mutex::new(script));
        let thread = {
            let served = Arc::clone(&served);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let served = Arc::clone(&served);
                    let script = Arc::clone(&script);
                    std::thread::spawn(move || answer(stream, &script, &served));
                }
            })
        };
        Stub {
            addr,
            served,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request answered so far.
    pub fn served(&self) -> Vec<Served> {
        self.served.lock().unwrap().clone()
    }

    /// Waits until `n` requests were answered; panics after `timeout`.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Served> {
        let deadline = Instant::now() + timeout;
        loop {
            let served = self.served();
            if served.len() >= n {
                return served;
            }
            assert!(
                Instant::now() < deadline,
                "the stub got {} requests, expected {n}: {:?}",
                served.len(),
                served.iter().map(|s| s.label).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes the port: later connections are refused.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.shut();
    }
}

fn answer(mut stream: TcpStream, script: &Mutex<Script>, served: &Mutex<Vec<Served>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
        if head.len() > 65_536 {
            return;
        }
    }
    let at = Instant::now();
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let reply = {
        let mut served = served.lock().unwrap();
        let reply = (script.lock().unwrap())(served.len(), &head);
        served.push(Served {
            at,
            label: reply.label,
            head,
        });
        reply
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    match reply.stall {
        Some(stall) => {
            let half = reply.body.len() / 2;
            let _ = stream.write_all(&reply.body[..half]);
            let _ = stream.flush();
            std::thread::sleep(stall);
            let _ = stream.write_all(&reply.body[half..]);
        }
        None => {
            let _ = stream.write_all(&reply.body);
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        304 => "Not Modified",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}
