//! `--cpus`: the workers run where the list says, and a datagram is answered
//! on the CPU that received it.
//!
//! These machines have two CPUs; where the test process may run on fewer,
//! the server must refuse `--cpus 0,1` instead, and that is what is checked.

mod common;

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::{NOW, Server, query, run_to_exit, udp};
use hickory_proto::op::ResponseCode;
use satloc_server::engine::affinity::{allowed_cpus, pin_current_thread};
use satloc_server::loc::LOC;

/// Each thread of `pid` with its `Cpus_allowed_list` and context switches
/// (a UDP worker that shares its CPU with the client switches out at least
/// once per query: it blocks for the next one, or the client preempts it).
fn threads(pid: u32) -> Vec<(String, u64)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let Ok(status) = std::fs::read_to_string(task.unwrap().path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(|value| value.trim().to_owned())
                .unwrap()
        };
        let switches = field("voluntary_ctxt_switches:").parse::<u64>().unwrap()
            + field("nonvoluntary_ctxt_switches:").parse::<u64>().unwrap();
        threads.push((field("Cpus_allowed_list:"), switches));
    }
    threads
}

/// Context switches of all the threads pinned to each single CPU.
fn switches_by_cpu(pid: u32) -> BTreeMap<String, u64> {
    let mut by_cpu = BTreeMap::new();
    for (cpus, switches) in threads(pid) {
        if !cpus.contains([',', '-']) {
            *by_cpu.entry(cpus).or_default() += switches;
        }
    }
    by_cpu
}

/// Sends `count` queries one at a time from a thread pinned to `cpu`, over 32
/// sockets (32 flows: without steering, the kernel's flow hash would spread
/// them over both workers), and checks each is answered.
fn queries_from_cpu(addr: SocketAddr, cpu: usize, count: usize) {
    std::thread::spawn(move || {
        pin_current_thread(&[cpu]).unwrap();
        let sockets: Vec<UdpSocket> = (0..32)
            .map(|_| {
                let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
                socket
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                socket
            })
            .collect();
        let bytes = query("25544.sat.example", LOC, None).to_vec().unwrap();
        let mut buf = [0u8; 512];
        for i in 0..count {
            let socket = &sockets[i % sockets.len()];
            socket.send_to(&bytes, addr).unwrap();
            let (len, _) = socket.recv_from(&mut buf).expect("an answer within 2 s");
            assert!(len > 12, "a DNS response");
        }
    })
    .join()
    .unwrap();
}

#[test]
fn batch_workers_run_on_the_listed_cpus_and_answer_on_the_receiving_one() {
    workers_run_on_the_listed_cpus_and_answer_on_the_receiving_one("batch");
}

#[test]
fn uring_workers_run_on_the_listed_cpus_and_answer_on_the_receiving_one() {
    workers_run_on_the_listed_cpus_and_answer_on_the_receiving_one("uring");
}

fn workers_run_on_the_listed_cpus_and_answer_on_the_receiving_one(engine: &str) {
    let allowed = allowed_cpus().unwrap();
    if !(allowed.contains(&0) && allowed.contains(&1)) {
        let (code, _, stderr) = run_to_exit(&["--cpus", "0,1", "--listen", "127.0.0.1:0"]);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("--cpus 0,1: CPU")
                && stderr.contains("is not one this process may run on"),
            "{stderr}"
        );
        return;
    }
    let server = Server::start(&["--cpus", "0,1", "--now", NOW, "--udp-engine", engine]);
    let response = udp(server.addr, &query("25544.sat.example", LOC, None));
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(response.answers.len(), 1);
    assert!(
        server
            .log_text()
            .contains("datagrams steered to the receiving CPU's"),
        "{}",
        server.log_text()
    );

    // Runtime worker i and UDP worker i on CPU i (a UDP worker pins itself
    // when its thread starts, which may be just after the first answer);
    // nothing outside the list.
    let expected = BTreeMap::from([("0".to_owned(), 2), ("1".to_owned(), 2)]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut counts = BTreeMap::new();
    while counts != expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        counts = BTreeMap::new();
        for (cpus, _) in threads(server.pid()) {
            if !cpus.contains([',', '-']) {
                *counts.entry(cpus).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(counts, expected, "{:?}", threads(server.pid()));
    for (cpus, _) in threads(server.pid()) {
        assert!(["0", "1", "0-1"].contains(&cpus.as_str()), "{cpus}");
    }

    // On loopback the receive softirq runs on the sender's CPU: queries sent
    // from CPU c wake only the threads pinned to c. An idle worker still
    // wakes every 100 ms to check for shutdown, hence the margin; without
    // steering, the flow hash would send about half of the 32 flows to it.
    for (cpu, other) in [(0, "1"), (1, "0")] {
        let before = switches_by_cpu(server.pid());
        queries_from_cpu(server.addr, cpu, 400);
        let after = switches_by_cpu(server.pid());
        let gained = |c: &str| after[c] - before[c];
        assert!(
            gained(&cpu.to_string()) >= 400,
            "from CPU {cpu}: {before:?} -> {after:?}"
        );
        assert!(
            gained(other) < 100,
            "from CPU {cpu}: {before:?} -> {after:?}"
        );
    }
}

#[test]
fn cpus_outside_the_allowed_set_are_refused_at_start() {
    let (code, _, stderr) = run_to_exit(&["--cpus", "0,1000", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("--cpus 0,1000: CPU")
            && stderr.contains("is not one this process may run on (allowed: "),
        "{stderr}"
    );
    let cpu = allowed_cpus().unwrap()[0].to_string();
    let (code, _, stderr) = run_to_exit(&["--cpus", &cpu, "--threads", "3"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("--threads 3 and --cpus {cpu} disagree")),
        "{stderr}"
    );
}
