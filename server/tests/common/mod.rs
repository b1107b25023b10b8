//! Shared harness for the black-box tests: start the real `satloc-server`
//! binary on a free loopback port, talk DNS to it, stop it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use satloc_server::testing::TestQuery;

/// The instant most tests freeze the clock at.
pub const NOW: &str = "2026-11-28T12:00:00Z";

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// The address it listens on (UDP and TCP).
    pub addr: SocketAddr,
    /// Everything it has logged so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

/// The server binary: this build's, or the one `SATLOC_SERVER_BIN` names (to
/// take a measurement against another build, e.g. the code before a change).
pub fn binary() -> PathBuf {
    std::env::var_os("SATLOC_SERVER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_satloc-server")),
        PathBuf::from,
    )
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Server {
    /// Starts the server with `args` plus `--listen 127.0.0.1:0` (unless the
    /// args have a `--listen`) and waits until it says where it listens.
    pub fn start(args: &[&str]) -> Server {
        let mut command = Command::new(binary());
        command.args(args);
        if !args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        command
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start satloc-server");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(addr);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr.parse().expect("listen address"),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!(
                    "server did not start ({status:?}); log:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server { child, addr, log }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal and waits for the process to exit; returns its exit code.
    pub fn stop_with(mut self, signal: &str) -> Option<i32> {
        Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit after SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, signal: &str) {
        Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion (for start-up errors and `--check`).
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(binary()).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A query message for `name`/`rtype` with a fresh ID, with EDNS when
/// `edns_payload` is set.
pub fn query(name: &str, rtype: RecordType, edns_payload: Option<u16>) -> Message {
    let query = TestQuery::new(name, rtype).id(rand_id());
    match edns_payload {
        Some(payload) => query.edns(payload),
        None => query,
    }
    .message()
}

fn rand_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    (nanos ^ (nanos >> 16)) as u16
}

/// Sends raw bytes over UDP; the response bytes, or None after `timeout`.
pub fn udp_raw(addr: SocketAddr, bytes: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    let bind = if addr.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let socket = UdpSocket::bind(bind).unwrap();
    socket.set_read_timeout(Some(timeout)).unwrap();
    socket.send_to(bytes, addr).unwrap();
    let mut buf = vec![0u8; 65_535];
    match socket.recv_from(&mut buf) {
        Ok((len, _)) => Some(buf[..len].to_vec()),
        Err(_) => None,
    }
}

/// Sends a message over UDP and parses the response.
pub fn udp(addr: SocketAddr, message: &Message) -> Message {
    let bytes =
        udp_raw(addr, &message.to_vec().unwrap(), Duration::from_secs(5)).expect("UDP response");
    let response = Message::from_vec(&bytes).expect("parse response");
    assert_eq!(response.metadata.id, message.metadata.id, "response ID");
    response
}

/// Sends several messages on one TCP connection (pipelined: all written before
/// any is read) and returns the responses in order.
pub fn tcp_pipelined(addr: SocketAddr, messages: &[Message]) -> Vec<Message> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut out = Vec::new();
    for message in messages {
        let bytes = message.to_vec().unwrap();
        out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    stream.write_all(&out).unwrap();
    messages
        .iter()
        .map(|_| Message::from_vec(&read_tcp_message(&mut stream).expect("TCP response")).unwrap())
        .collect()
}

/// Reads one length-prefixed message; None on EOF.
pub fn read_tcp_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// Computes a TLE line's checksum digit and appends it to the first 68 columns.
pub fn tle_line(first68: &str) -> String {
    assert_eq!(first68.len(), 68, "{first68}");
    let sum: u32 = first68
        .chars()
        .map(|c| match c {
            '0'..='9' => c.to_digit(10).unwrap(),
            '-' => 1,
            _ => 0,
        })
        .sum();
    format!("{first68}{}", sum % 10)
}

/// Runs `dig` with `args` (after `@addr -p port`) and returns its stdout.
pub fn dig(addr: SocketAddr, args: &[&str]) -> String {
    let output = Command::new("dig")
        .arg(format!("@{}", addr.ip()))
        .args(["-p", &addr.port().to_string(), "+time=3", "+tries=1"])
        .args(args)
        .output()
        .expect("dig is required for these tests: apt-get install -y bind9-dnsutils");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "satloc-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
