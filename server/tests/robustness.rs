//! Bad input from the network never panics the server, and never stops it
//! answering: hand-made nasty packets against the real binary, then many
//! mutated packets against the answer core in-process.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::{NOW, Server, query, read_tcp_message, udp, udp_raw};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use satloc_server::answer::AnswerPath;
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::engine::{Outcome, Protocol};
use satloc_server::loc::LOC;
use satloc_server::testing::test_client;
use satloc_server::zone::Zone;

/// A query header: ID 0x1234, RD, with the given counts.
fn header(qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    let mut h = vec![0x12, 0x34, 0x01, 0x00];
    for count in [qd, an, ns, ar] {
        h.extend_from_slice(&count.to_be_bytes());
    }
    h
}

fn nasty_packets() -> Vec<(&'static str, Vec<u8>)> {
    let mut packets = broken_headers_and_questions();
    packets.extend(bad_names());
    packets.extend(extra_records());
    packets.extend(random_packets());
    packets
}

/// Packets cut short or promising more than they hold.
fn broken_headers_and_questions() -> Vec<(&'static str, Vec<u8>)> {
    let good = query("iss.sat.example.", LOC, None).to_vec().unwrap();
    vec![
        ("empty", vec![]),
        ("one byte", vec![0x00]),
        ("truncated header", good[..7].to_vec()),
        ("header only, qdcount 1", header(1, 0, 0, 0)),
        (
            "header promising 65535 questions",
            header(u16::MAX, 0, 0, 0),
        ),
        ("header promising answers that are not there", {
            let mut p = good.clone();
            p[7] = 5;
            p
        }),
        ("question cut inside the name", good[..16].to_vec()),
        (
            "question cut before the type",
            good[..good.len() - 3].to_vec(),
        ),
    ]
}

/// Question names no parser should follow: pointer loops, oversized labels and
/// names, reserved label types.
fn bad_names() -> Vec<(&'static str, Vec<u8>)> {
    let mut packets = Vec::new();
    // A name that is a compression pointer to itself.
    let mut self_loop = header(1, 0, 0, 0);
    self_loop.extend_from_slice(&[0xc0, 12, 0x00, 0x1d, 0x00, 0x01]);
    packets.push(("compression pointer to itself", self_loop));
    // Two pointers pointing at each other.
    let mut ping_pong = header(1, 0, 0, 0);
    ping_pong.extend_from_slice(&[0xc0, 14, 0xc0, 12, 0x00, 0x1d, 0x00, 0x01]);
    packets.push(("compression loop of two pointers", ping_pong));
    // A forward pointer past the end.
    let mut forward = header(1, 0, 0, 0);
    forward.extend_from_slice(&[0xc0, 0xff, 0x00, 0x1d, 0x00, 0x01]);
    packets.push(("pointer past the end", forward));
    // A label longer than 63 bytes.
    let mut long_label = header(1, 0, 0, 0);
    long_label.push(64);
    long_label.extend_from_slice(&[b'a'; 64]);
    long_label.extend_from_slice(&[0, 0x00, 0x1d, 0x00, 0x01]);
    packets.push(("64-byte label", long_label));
    // A name longer than 255 bytes (5 labels of 63).
    let mut long_name = header(1, 0, 0, 0);
    for _ in 0..5 {
        long_name.push(63);
        long_name.extend_from_slice(&[b'b'; 63]);
    }
    long_name.extend_from_slice(&[0, 0x00, 0x1d, 0x00, 0x01]);
    packets.push(("name over 255 bytes", long_name));
    // A reserved label type (0x40).
    let mut reserved = header(1, 0, 0, 0);
    reserved.extend_from_slice(&[0x40, 0x00, 0x00, 0x1d, 0x00, 0x01]);
    packets.push(("reserved label type", reserved));
    packets
}

/// A well-formed question followed by records it may not carry.
fn extra_records() -> Vec<(&'static str, Vec<u8>)> {
    // Two OPT records.
    let mut two_opt = query("iss.sat.example.", LOC, Some(1232)).to_vec().unwrap();
    let opt: Vec<u8> = two_opt[two_opt.len() - 11..].to_vec();
    two_opt.extend_from_slice(&opt);
    two_opt[11] = 2;
    vec![("two OPT records", two_opt)]
}

/// Garbage of several sizes.
fn random_packets() -> Vec<(&'static str, Vec<u8>)> {
    let mut packets = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for size in [12usize, 13, 40, 300, 1500] {
        let bytes = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        packets.push(("random bytes", bytes));
    }
    packets
}

#[test]
fn nasty_udp_packets_then_a_good_query() {
    let server = Server::start(&["--now", NOW]);
    for (what, packet) in nasty_packets() {
        if let Some(bytes) = udp_raw(server.addr, &packet, Duration::from_millis(200)) {
            // Whatever came back must itself be a well-formed DNS message.
            let response = Message::from_vec(&bytes)
                .unwrap_or_else(|e| panic!("{what}: unparseable response: {e}"));
            assert_ne!(
                response.metadata.response_code,
                ResponseCode::NoError,
                "{what}: {response}"
            );
        }
        let good = udp(server.addr, &query("iss.sat.example.", LOC, None));
        assert_eq!(good.answers.len(), 1, "after {what}");
    }
    assert!(
        !server.log_text().contains("panicked"),
        "{}",
        server.log_text()
    );
}

#[test]
fn nasty_tcp_streams_then_a_good_query() {
    let server = Server::start(&["--now", NOW]);
    for (what, packet) in nasty_packets() {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&packet);
        stream.write_all(&framed).unwrap();
        if let Some(bytes) = read_tcp_message(&mut stream) {
            Message::from_vec(&bytes)
                .unwrap_or_else(|e| panic!("{what}: unparseable response: {e}"));
        }
    }
    // A length prefix promising more than is sent, then hanging up.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(&[0xff, 0xff, 1, 2, 3]).unwrap();
    drop(stream);
    // Half a length prefix.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(&[0x00]).unwrap();
    drop(stream);
    let good = common::tcp_pipelined(server.addr, &[query("iss.sat.example.", LOC, None)]);
    assert_eq!(good[0].answers.len(), 1);
    assert!(!server.log_text().contains("panicked"));
}

/// A xorshift64 generator: the same mutations on every run.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// `seed` with one byte replaced, cut short, spliced with the tail of another
/// seed, or with four bits flipped.
fn mutated(seed: &[u8], seeds: &[Vec<u8>], next: &mut impl FnMut() -> u64) -> Vec<u8> {
    let mut packet = seed.to_vec();
    match next() % 4 {
        0 => {
            let at = (next() as usize) % packet.len();
            packet[at] = next().to_le_bytes()[0];
        }
        1 => packet.truncate((next() as usize) % packet.len()),
        2 => {
            let other = &seeds[(next() as usize) % seeds.len()];
            let cut = (next() as usize) % other.len();
            packet.extend_from_slice(&other[cut..]);
        }
        _ => {
            for _ in 0..4 {
                let at = (next() as usize) % packet.len();
                packet[at] ^= 1 << (next() % 8);
            }
        }
    }
    packet
}

/// Thousands of single-byte mutations, truncations and splices of valid queries
/// through the answer core: it must never panic, and every response it writes
/// must parse and be no larger than the UDP limit.
#[test]
fn mutated_queries_never_panic_the_answer_core() {
    let zone = Zone::new("sat.example.").unwrap();
    let catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())
        .unwrap()
        .catalog;
    let now = NOW.parse().unwrap();
    let seeds: Vec<Vec<u8>> = [
        query("iss.sat.example.", LOC, None),
        query("25544.sat.example.", RecordType::TXT, Some(1232)),
        query("sat.example.", RecordType::ANY, Some(512)),
        query("nothing.sat.example.", RecordType::A, None),
    ]
    .iter()
    .map(|m| m.to_vec().unwrap())
    .collect();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    let mut responded = 0;
    for round in 0..20_000 {
        let packet = mutated(&seeds[round % seeds.len()], &seeds, &mut next);
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            if AnswerPath::Fast
                .answer(
                    &packet,
                    protocol,
                    &test_client(),
                    &zone,
                    &catalog,
                    now,
                    &mut out,
                )
                .outcome
                == Outcome::Respond
            {
                responded += 1;
                Message::from_vec(&out)
                    .unwrap_or_else(|e| panic!("round {round}: bad response {e}: {packet:?}"));
                if protocol == Protocol::Udp {
                    assert!(
                        out.len() <= 1232,
                        "round {round}: {} bytes over UDP",
                        out.len()
                    );
                }
            }
        }
    }
    assert!(responded > 10_000, "only {responded} responses");
}
