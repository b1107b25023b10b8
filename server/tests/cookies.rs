//! DNS cookies (RFC 7873, server cookies as RFC 9018 builds them) against the
//! real binary over loopback: a client cookie gets a server cookie back, the
//! server cookie is accepted on the next query (which the rate limiter then
//! lets through), malformed cookie options get FORMERR, and dig -- a client
//! that speaks cookies -- is satisfied with them.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use common::{NOW, Server, dig, query, tcp_pipelined, udp};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use satloc_server::loc::LOC;
use satloc_server::testing::TestQuery;

const CLIENT_COOKIE: [u8; 8] = *b"satloc-c";

/// The COOKIE option data of `response`, if it has one.
fn cookie_of(response: &Message) -> Option<Vec<u8>> {
    match response.edns.as_ref()?.option(EdnsCode::Cookie)? {
        EdnsOption::Unknown(10, data) => Some(data.clone()),
        other => panic!("a COOKIE option hickory-proto read as {other:?}"),
    }
}

/// A LOC query for the ISS carrying the COOKIE option `data`.
fn with_cookie(data: &[u8]) -> Message {
    TestQuery::new("iss.sat.example.", LOC)
        .id(0x1234)
        .edns(1232)
        .cookie(data)
        .message()
}

/// Sends `message` over UDP; the reply, or `None` if none came within
/// `timeout`.
fn udp_maybe(addr: SocketAddr, message: &Message, timeout: Duration) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(timeout)).unwrap();
    socket.send_to(&message.to_vec().unwrap(), addr).unwrap();
    let mut buf = vec![0u8; 4096];
    let len = socket.recv(&mut buf).ok()?;
    Some(Message::from_vec(&buf[..len]).unwrap())
}

#[test]
fn a_client_cookie_gets_a_server_cookie_that_the_next_query_may_use() {
    let server = Server::start(&["--now", NOW]);
    let first = udp(server.addr, &with_cookie(&CLIENT_COOKIE));
    assert_eq!(first.metadata.response_code, ResponseCode::NoError);
    assert_eq!(first.answers.len(), 1, "answered normally");
    let option = cookie_of(&first).expect("a COOKIE option in the reply");
    assert_eq!(
        option.len(),
        24,
        "client cookie and a 16-byte server cookie"
    );
    assert_eq!(&option[..8], &CLIENT_COOKIE, "the client cookie echoed");
    assert_eq!(option[8], 1, "RFC 9018 version 1");
    assert_eq!(&option[9..12], &[0, 0, 0], "reserved");
    // The timestamp is the server's now (frozen by --now).
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    assert_eq!(&option[12..16], &(now.timestamp() as u32).to_be_bytes());
    // Sent back, it is answered as normally, with a server cookie again; over
    // TCP too.
    let again = udp(server.addr, &with_cookie(&option));
    assert_eq!(again.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        cookie_of(&again).as_deref(),
        Some(&option[..]),
        "same second"
    );
    let over_tcp = tcp_pipelined(server.addr, &[with_cookie(&option)]);
    assert_eq!(cookie_of(&over_tcp[0]).as_deref(), Some(&option[..]));
    // No cookie asked, none given.
    let plain = udp(server.addr, &query("iss.sat.example.", LOC, Some(1232)));
    assert_eq!(cookie_of(&plain), None);
}

/// Sends `n` copies of `message` (IDs 1 to `n`) back to back over UDP and
/// returns how many replies came, none of them TC.
fn burst(addr: SocketAddr, message: &Message, n: u16) -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    for id in 1..=n {
        let mut message = message.clone();
        message.metadata.id = id;
        socket.send_to(&message.to_vec().unwrap(), addr).unwrap();
    }
    let mut buf = vec![0u8; 4096];
    let mut replies = 0;
    while let Ok(len) = socket.recv(&mut buf) {
        let reply = Message::from_vec(&buf[..len]).unwrap();
        assert!(!reply.metadata.truncation, "no slips with --rrl-slip 0");
        replies += 1;
    }
    replies
}

/// With a limit of one response per second and no slips, a burst of plain
/// queries gets one reply a second at most; a burst carrying the server
/// cookie the server gave is answered in full, because it verifies; a burst
/// with that cookie altered is limited like plain queries.
#[test]
fn a_valid_server_cookie_is_accepted_and_exempts_from_rate_limiting() {
    let server = Server::start(&["--now", NOW, "--rrl-rate", "1", "--rrl-slip", "0"]);
    // Retried across a second boundary: the first reply of a second passes.
    let option = (0..3)
        .find_map(|_| {
            udp_maybe(
                server.addr,
                &with_cookie(&CLIENT_COOKIE),
                Duration::from_secs(1),
            )
        })
        .and_then(|reply| cookie_of(&reply))
        .expect("a first reply with a server cookie");
    let mut forged = option.clone();
    forged[23] ^= 0xff;
    assert_eq!(
        burst(server.addr, &with_cookie(&option), 50),
        50,
        "verified: all answered"
    );
    assert!(
        burst(server.addr, &with_cookie(&forged), 50) <= 2,
        "forged: limited"
    );
    let plain = query("iss.sat.example.", LOC, Some(1232));
    assert!(burst(server.addr, &plain, 50) <= 2, "plain: limited");
    assert_eq!(
        burst(server.addr, &with_cookie(&option), 50),
        50,
        "verified, still"
    );
}

#[test]
fn malformed_cookie_options_get_formerr() {
    let server = Server::start(&["--now", NOW]);
    let too_short = &CLIENT_COOKIE[..5];
    let between = [1u8; 12];
    let too_long = [2u8; 41];
    for data in [too_short, &between[..], &too_long[..], &[]] {
        let message = with_cookie(data);
        let replies = [
            udp(server.addr, &message),
            tcp_pipelined(server.addr, std::slice::from_ref(&message)).remove(0),
        ];
        for reply in replies {
            assert_eq!(
                reply.metadata.response_code,
                ResponseCode::FormErr,
                "{} bytes",
                data.len()
            );
            assert!(reply.answers.is_empty());
            assert_eq!(cookie_of(&reply), None, "no cookie to echo");
        }
    }
    // Two COOKIE options in one query are not a cookie RFC 7873 defines.
    let two = TestQuery::new("iss.sat.example.", LOC)
        .edns(1232)
        .cookie(&CLIENT_COOKIE)
        .cookie(&CLIENT_COOKIE)
        .message();
    assert_eq!(
        udp(server.addr, &two).metadata.response_code,
        ResponseCode::FormErr
    );
}

/// dig sends a client cookie by default and checks the one it gets back: it
/// prints the option and calls it good.
#[test]
fn dig_is_satisfied_with_the_cookie() {
    let server = Server::start(&["--now", NOW]);
    let out = dig(server.addr, &["+cookie", "iss.sat.example.", "LOC"]);
    let line = out
        .lines()
        .find(|line| line.starts_with("; COOKIE:"))
        .unwrap_or_else(|| panic!("no COOKIE in dig's output:\n{out}"));
    assert!(line.ends_with("(good)"), "{line}");
    // Client cookie (16 hex digits) then the server cookie (32), as one.
    let cookie = line
        .trim_start_matches("; COOKIE: ")
        .trim_end_matches(" (good)");
    assert_eq!(cookie.len(), 48, "{line}");
    assert!(
        cookie[16..].starts_with("01000000"),
        "version 1, reserved 0: {line}"
    );
    assert!(out.contains("status: NOERROR"), "{out}");
}
