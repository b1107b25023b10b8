//! Black-box DNS behaviour: the real binary, queried over UDP and TCP on
//! loopback, for every kind of response the server gives.

mod common;

use std::time::Duration;

use common::{NOW, Server, dig, fixtures, query, tcp_pipelined, udp, udp_raw};
use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::{RData, RecordType};
use satloc_server::loc::{LOC, LocRdata};

fn default_server(extra: &[&str]) -> Server {
    let mut args = vec!["--now", NOW];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn loc_of(message: &Message) -> LocRdata {
    let record = message
        .answers
        .iter()
        .find(|r| r.record_type() == LOC)
        .unwrap_or_else(|| panic!("no LOC in {message}"));
    match &record.data {
        RData::Unknown { rdata, .. } => LocRdata::decode(&rdata.anything).unwrap(),
        other => panic!("LOC carried as {other:?}"),
    }
}

fn txt_of(message: &Message) -> String {
    message
        .answers
        .iter()
        .find_map(|r| match &r.data {
            RData::TXT(txt) => Some(txt.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no TXT in {message}"))
}

#[test]
fn loc_and_txt_at_every_name_of_an_object() {
    let server = default_server(&["--ttl", "7"]);
    let first = udp(server.addr, &query("25544.sat.example.", LOC, None));
    assert_eq!(first.metadata.response_code, ResponseCode::NoError);
    assert!(first.metadata.authoritative, "AA must be set");
    assert_eq!(first.answers.len(), 1);
    assert_eq!(first.answers[0].ttl, 7);
    let expected = loc_of(&first);
    for name in [
        "iss.sat.example.",
        "ISS-ZARYA.sat.example.",
        "025544.Sat.Example.",
    ] {
        let response = udp(server.addr, &query(name, LOC, None));
        assert_eq!(loc_of(&response), expected, "{name}");
    }
    let txt = txt_of(&udp(
        server.addr,
        &query("iss.sat.example.", RecordType::TXT, None),
    ));
    assert!(
        txt.contains("ISS (ZARYA)") && txt.contains("NORAD 25544"),
        "{txt}"
    );
    assert!(txt.contains("km/s") && txt.contains("age"), "{txt}");
    for (name, id) in [
        ("hubble", 20580),
        ("hst", 20580),
        ("css", 48274),
        ("tiangong", 48274),
    ] {
        let response = udp(
            server.addr,
            &query(&format!("{name}.sat.example."), RecordType::TXT, None),
        );
        assert!(txt_of(&response).contains(&format!("NORAD {id}")), "{name}");
    }
}

#[test]
fn any_returns_loc_and_txt() {
    let server = default_server(&[]);
    let response = udp(
        server.addr,
        &query("iss.sat.example.", RecordType::ANY, None),
    );
    let types: Vec<RecordType> = response.answers.iter().map(|r| r.record_type()).collect();
    assert_eq!(types, vec![LOC, RecordType::TXT]);
}

#[test]
fn apex_has_soa_and_ns_and_optionally_an_object() {
    let server = default_server(&["--ns", "ns1.operator.test", "--ns", "ns2.operator.test"]);
    let soa = udp(server.addr, &query("sat.example.", RecordType::SOA, None));
    assert_eq!(soa.metadata.response_code, ResponseCode::NoError);
    assert!(soa.metadata.authoritative);
    assert!(matches!(soa.answers[0].data, RData::SOA(_)));
    let ns = udp(server.addr, &query("SAT.example.", RecordType::NS, None));
    let targets: Vec<String> = ns.answers.iter().map(|r| r.data.to_string()).collect();
    assert_eq!(targets, vec!["ns1.operator.test.", "ns2.operator.test."]);
    let loc = udp(server.addr, &query("sat.example.", LOC, None));
    assert!(loc.answers.is_empty(), "no apex object configured");
    assert!(matches!(loc.authorities[0].data, RData::SOA(_)));

    let apex = default_server(&["--apex", "iss"]);
    let at_apex = udp(apex.addr, &query("sat.example.", LOC, None));
    let at_name = udp(apex.addr, &query("iss.sat.example.", LOC, None));
    assert_eq!(loc_of(&at_apex), loc_of(&at_name));
}

#[test]
fn nodata_nxdomain_refused() {
    let server = default_server(&[]);
    let nodata = udp(server.addr, &query("iss.sat.example.", RecordType::A, None));
    assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
    assert!(nodata.answers.is_empty());
    assert!(nodata.metadata.authoritative);
    assert!(
        matches!(nodata.authorities[0].data, RData::SOA(_)),
        "NODATA carries the SOA"
    );

    for name in [
        "nosuchsat.sat.example.",
        "99999.sat.example.",
        "a.iss.sat.example.",
    ] {
        let nx = udp(server.addr, &query(name, LOC, None));
        assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain, "{name}");
        assert!(nx.metadata.authoritative);
        assert!(
            matches!(nx.authorities[0].data, RData::SOA(_)),
            "{name}: NXDOMAIN carries the SOA"
        );
    }

    let refused = udp(server.addr, &query("iss.example.com.", LOC, None));
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
    assert!(!refused.metadata.authoritative);
    let refused = udp(server.addr, &query("example.", RecordType::SOA, None));
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
}

#[test]
fn formerr_and_notimp() {
    let server = default_server(&[]);
    // Two questions in one query.
    let mut two = query("iss.sat.example.", LOC, None);
    two.add_query(query("hst.sat.example.", LOC, None).queries[0].clone());
    assert_eq!(
        udp(server.addr, &two).metadata.response_code,
        ResponseCode::FormErr
    );
    // No question at all.
    let mut none = query("iss.sat.example.", LOC, None);
    none.queries.clear();
    assert_eq!(
        udp(server.addr, &none).metadata.response_code,
        ResponseCode::FormErr
    );
    // A header that promises a question that is not there.
    let mut bytes = query("iss.sat.example.", LOC, None).to_vec().unwrap();
    bytes.truncate(20);
    let response =
        Message::from_vec(&udp_raw(server.addr, &bytes, Duration::from_secs(5)).unwrap()).unwrap();
    assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
    assert_eq!(
        response.metadata.id,
        u16::from_be_bytes([bytes[0], bytes[1]])
    );
    // STATUS opcode.
    let mut status = query("iss.sat.example.", LOC, None);
    status.metadata.op_code = OpCode::Status;
    let response = udp(server.addr, &status);
    assert_eq!(response.metadata.response_code, ResponseCode::NotImp);
    assert_eq!(response.metadata.op_code, OpCode::Status);
}

#[test]
fn edns_is_answered_and_its_version_checked() {
    let server = default_server(&[]);
    let response = udp(server.addr, &query("iss.sat.example.", LOC, Some(4096)));
    let edns = response
        .edns
        .as_ref()
        .expect("OPT in the response to an EDNS query");
    assert_eq!(edns.max_payload(), 1232);
    let plain = udp(server.addr, &query("iss.sat.example.", LOC, None));
    assert!(plain.edns.is_none(), "no OPT without one in the query");

    let mut v1 = query("iss.sat.example.", LOC, Some(1232));
    v1.edns.as_mut().unwrap().set_version(1);
    let response = udp(server.addr, &v1);
    // BADVERS is extended RCODE 16, which hickory's parser also calls BADSIG.
    assert_eq!(u16::from(response.metadata.response_code), 16, "{response}");
    assert_eq!(response.edns.as_ref().unwrap().version(), 0);
}

#[test]
fn large_answers_set_tc_over_udp_and_come_whole_over_tcp() {
    // Enough long NS names to push the apex NS answer past 512 bytes but not
    // past 1232.
    // Distinct domains, so name compression cannot shrink them.
    let names: Vec<String> = (0..14)
        .map(|i| format!("ns-{i:02}.operator-{i:02}-with-a-long-domain-name.test"))
        .collect();
    let mut args = vec!["--now", NOW];
    for name in &names {
        args.extend(["--ns", name.as_str()]);
    }
    let server = Server::start(&args);
    let classic = udp(server.addr, &query("sat.example.", RecordType::NS, None));
    assert!(classic.metadata.truncation, "TC without EDNS");
    assert!(classic.answers.is_empty());
    assert_eq!(classic.queries.len(), 1);

    let small_edns = udp(
        server.addr,
        &query("sat.example.", RecordType::NS, Some(600)),
    );
    assert!(
        small_edns.metadata.truncation,
        "TC when larger than the advertised 600"
    );
    assert!(small_edns.edns.is_some());

    let big_edns = udp(
        server.addr,
        &query("sat.example.", RecordType::NS, Some(4096)),
    );
    assert!(!big_edns.metadata.truncation);
    assert_eq!(big_edns.answers.len(), 14);

    let over_tcp = tcp_pipelined(server.addr, &[query("sat.example.", RecordType::NS, None)]);
    assert!(!over_tcp[0].metadata.truncation);
    assert_eq!(over_tcp[0].answers.len(), 14);
}

#[test]
fn tcp_serves_several_pipelined_queries_per_connection() {
    let server = default_server(&[]);
    let queries = vec![
        query("iss.sat.example.", LOC, None),
        query("hst.sat.example.", RecordType::TXT, None),
        query("nothing.sat.example.", LOC, None),
        query("css.sat.example.", LOC, Some(1232)),
    ];
    let responses = tcp_pipelined(server.addr, &queries);
    for (q, r) in queries.iter().zip(&responses) {
        assert_eq!(q.metadata.id, r.metadata.id);
    }
    assert_eq!(
        loc_of(&responses[0]),
        loc_of(&udp(server.addr, &query("iss.sat.example.", LOC, None)))
    );
    assert!(txt_of(&responses[1]).contains("NORAD 20580"));
    assert_eq!(responses[2].metadata.response_code, ResponseCode::NXDomain);
    assert!(responses[3].edns.is_some());
}

#[test]
fn tcp_idle_connections_are_closed() {
    let server = default_server(&["--tcp-idle-timeout", "300ms"]);
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 1];
    let read = std::io::Read::read(&mut stream, &mut buf);
    assert!(
        matches!(read, Ok(0)),
        "expected EOF from the server, got {read:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn question_case_is_echoed() {
    let server = default_server(&[]);
    let name = "IsS.sAt.ExAmPlE.";
    let response = udp(server.addr, &query(name, LOC, None));
    assert_eq!(response.queries[0].name().to_ascii(), name);
    assert_eq!(response.answers[0].name.to_ascii(), name);
    let over_tcp = tcp_pipelined(server.addr, &[query(name, LOC, None)]);
    assert_eq!(over_tcp[0].queries[0].name().to_ascii(), name);
}

#[test]
fn responses_are_not_answered() {
    let server = default_server(&[]);
    let mut bytes = query("iss.sat.example.", LOC, None).to_vec().unwrap();
    bytes[2] |= 0x80; // QR: this is a response
    assert!(udp_raw(server.addr, &bytes, Duration::from_millis(300)).is_none());
    assert!(udp_raw(server.addr, &bytes[..11], Duration::from_millis(300)).is_none());
    // ...and the server is still there.
    udp(server.addr, &query("iss.sat.example.", LOC, None));
}

#[test]
fn objects_out_of_loc_range_or_failing_do_not_disturb_others() {
    let catalog = fixtures().join("catalogs/edge-cases.tle");
    let server = Server::start(&[
        "--catalog",
        catalog.to_str().unwrap(),
        "--now",
        "2025-12-05T00:00:00Z",
    ]);
    let high = udp(server.addr, &query("90001.sat.example.", LOC, None));
    assert_eq!(high.metadata.response_code, ResponseCode::NoError);
    assert!(high.answers.is_empty(), "no LOC above 42,849 km: {high}");
    let why = txt_of(&udp(
        server.addr,
        &query("high-orbit-test.sat.example.", RecordType::TXT, None),
    ));
    assert!(
        why.contains("no LOC") && why.contains("outside the LOC range"),
        "{why}"
    );

    let decayed = udp(server.addr, &query("90002.sat.example.", LOC, None));
    assert!(decayed.answers.is_empty());
    let why = txt_of(&udp(
        server.addr,
        &query("decaying-test.sat.example.", RecordType::TXT, None),
    ));
    assert!(why.contains("no position"), "{why}");

    let iss = udp(server.addr, &query("iss.sat.example.", LOC, None));
    let loc = loc_of(&iss);
    assert!((400_000.0..450_000.0).contains(&loc.alt_m()), "{loc}");
}

#[test]
fn dig_prints_the_coordinates_the_server_computed() {
    let server = default_server(&[]);
    let response = udp(server.addr, &query("iss.sat.example.", LOC, None));
    let loc = loc_of(&response);
    let short = dig(server.addr, &["+short", "LOC", "iss.sat.example"]);
    assert_eq!(short.trim(), loc.to_string(), "dig and satloc disagree");
    // And dig's text parses back to the same degrees.
    let fields: Vec<&str> = short.split_whitespace().collect();
    let dms = |d: &str, m: &str, s: &str, h: &str| {
        let v = d.parse::<f64>().unwrap()
            + m.parse::<f64>().unwrap() / 60.0
            + s.parse::<f64>().unwrap() / 3600.0;
        if h == "S" || h == "W" { -v } else { v }
    };
    let lat = dms(fields[0], fields[1], fields[2], fields[3]);
    let lon = dms(fields[4], fields[5], fields[6], fields[7]);
    assert!((lat - loc.lat_deg()).abs() < 1e-6 && (lon - loc.lon_deg()).abs() < 1e-6);
    let alt: f64 = fields[8].trim_end_matches('m').parse().unwrap();
    assert!((alt - loc.alt_m()).abs() < 0.01);

    let tcp = dig(server.addr, &["+tcp", "+short", "LOC", "25544.sat.example"]);
    assert_eq!(tcp.trim(), loc.to_string());
    let full = dig(server.addr, &["+norec", "TXT", "nothing.sat.example"]);
    assert!(
        full.contains("status: NXDOMAIN") && full.contains("flags: qr aa"),
        "{full}"
    );
}

#[test]
fn ipv6_loopback_works() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipping: no IPv6 loopback on this machine");
        return;
    }
    let server = Server::start(&["--now", NOW, "--listen", "[::1]:0"]);
    assert!(server.addr.is_ipv6());
    let response = udp(server.addr, &query("iss.sat.example.", LOC, None));
    assert_eq!(response.answers.len(), 1);
    let over_tcp = tcp_pipelined(server.addr, &[query("iss.sat.example.", LOC, None)]);
    assert_eq!(over_tcp[0].answers.len(), 1);
}

#[test]
fn every_engine_and_answer_path_gives_the_same_bytes() {
    let batched = default_server(&[]);
    let spawned = default_server(&["--udp-engine", "spawn"]);
    let hickory = default_server(&["--answer-path", "hickory"]);
    let looped_async = default_server(&["--udp-engine", "loop"]);
    let uring = default_server(&["--udp-engine", "uring"]);
    for (name, rtype, edns) in [
        ("iss.sat.example.", LOC, None),
        ("iss.sat.example.", LOC, Some(1232)),
        ("hst.sat.example.", RecordType::TXT, None),
        ("x.sat.example.", LOC, None),
    ] {
        let bytes = query(name, rtype, edns).to_vec().unwrap();
        let reference = udp_raw(batched.addr, &bytes, Duration::from_secs(5)).unwrap();
        for other in [&spawned, &hickory, &looped_async, &uring] {
            let got = udp_raw(other.addr, &bytes, Duration::from_secs(5)).unwrap();
            assert_eq!(got, reference, "{name} {rtype}: responses differ");
        }
    }
}

/// One kind of response: what is asked, and what must come back.
struct ResponseKind {
    what: &'static str,
    query: Message,
    rcode: ResponseCode,
    authoritative: bool,
    answer_types: Vec<RecordType>,
    soa_in_authority: bool,
}

impl ResponseKind {
    fn check(&self, transport: &str, response: &Message) {
        let what = self.what;
        assert_eq!(
            response.metadata.response_code, self.rcode,
            "{what} over {transport}: {response}"
        );
        assert_eq!(
            response.metadata.authoritative, self.authoritative,
            "{what} over {transport}: AA"
        );
        let got: Vec<RecordType> = response.answers.iter().map(|r| r.record_type()).collect();
        assert_eq!(got, self.answer_types, "{what} over {transport}");
        let has_soa = response
            .authorities
            .iter()
            .any(|r| r.record_type() == RecordType::SOA);
        assert_eq!(
            has_soa, self.soa_in_authority,
            "{what} over {transport}: SOA in authority"
        );
    }
}

/// Every kind of response, for a server with `--apex hst`.
#[allow(
    clippy::too_many_lines,
    reason = "a table of cases, one per response kind, reads best whole"
)]
fn response_kinds() -> Vec<ResponseKind> {
    use ResponseCode::{FormErr, NXDomain, NoError, NotImp, Refused};
    let kind =
        |what, query, rcode, authoritative, answer_types: &[RecordType], soa_in_authority| {
            ResponseKind {
                what,
                query,
                rcode,
                authoritative,
                answer_types: answer_types.to_vec(),
                soa_in_authority,
            }
        };
    let iss = || query("iss.sat.example.", LOC, None);
    let mut status = iss();
    status.metadata.op_code = OpCode::Status;
    let mut two_questions = iss();
    two_questions.add_query(query("hst.sat.example.", LOC, None).queries[0].clone());
    let (txt, any, soa, ns, aaaa) = (
        RecordType::TXT,
        RecordType::ANY,
        RecordType::SOA,
        RecordType::NS,
        RecordType::AAAA,
    );
    vec![
        kind("LOC", iss(), NoError, true, &[LOC], false),
        kind(
            "TXT",
            query("iss.sat.example.", txt, None),
            NoError,
            true,
            &[txt],
            false,
        ),
        kind(
            "ANY",
            query("25544.sat.example.", any, None),
            NoError,
            true,
            &[LOC, txt],
            false,
        ),
        kind(
            "SOA",
            query("sat.example.", soa, None),
            NoError,
            true,
            &[soa],
            false,
        ),
        kind(
            "NS",
            query("sat.example.", ns, None),
            NoError,
            true,
            &[ns],
            false,
        ),
        kind(
            "apex LOC",
            query("sat.example.", LOC, None),
            NoError,
            true,
            &[LOC],
            false,
        ),
        kind(
            "NODATA",
            query("iss.sat.example.", aaaa, None),
            NoError,
            true,
            &[],
            true,
        ),
        kind(
            "NXDOMAIN",
            query("ghost.sat.example.", LOC, None),
            NXDomain,
            true,
            &[],
            true,
        ),
        kind(
            "REFUSED",
            query("iss.example.net.", LOC, None),
            Refused,
            false,
            &[],
            false,
        ),
        kind("NOTIMP", status, NotImp, false, &[], false),
        kind("FORMERR", two_questions, FormErr, false, &[], false),
    ]
}

/// Every response kind, asked the same way over UDP and over TCP.
#[test]
fn every_response_kind_over_udp_and_tcp() {
    let server = default_server(&["--apex", "hst"]);
    for kind in response_kinds() {
        let over_udp = udp(server.addr, &kind.query);
        let over_tcp = tcp_pipelined(server.addr, std::slice::from_ref(&kind.query)).remove(0);
        kind.check("UDP", &over_udp);
        kind.check("TCP", &over_tcp);
        assert_eq!(
            over_udp.answers, over_tcp.answers,
            "{}: UDP and TCP agree",
            kind.what
        );
    }
}

/// Zone transfers are not offered, and say so at once: REFUSED over UDP and
/// TCP, at the apex and below it, instead of an empty NOERROR a transfer client
/// would wait on or report as a broken transfer.
#[test]
fn zone_transfers_are_refused() {
    let server = default_server(&[]);
    for (name, rtype) in [
        ("sat.example.", RecordType::AXFR),
        ("sat.example.", RecordType::IXFR),
        ("iss.sat.example.", RecordType::AXFR),
    ] {
        let message = query(name, rtype, None);
        let over_udp = udp(server.addr, &message);
        let over_tcp = tcp_pipelined(server.addr, std::slice::from_ref(&message)).remove(0);
        for (transport, response) in [("UDP", &over_udp), ("TCP", &over_tcp)] {
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::Refused,
                "{rtype} {name} over {transport}: {response}"
            );
            assert!(response.answers.is_empty(), "{rtype} over {transport}");
        }
    }
    let started = std::time::Instant::now();
    let transfer = dig(server.addr, &["AXFR", "sat.example"]);
    assert!(transfer.contains("Transfer failed"), "dig AXFR: {transfer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "dig AXFR waited"
    );
}

/// Name servers inside the zone have addresses: A and AAAA at their names,
/// glue with the apex NS set, NODATA for other types there, and NODATA (not
/// NXDOMAIN) for a name above one.
#[test]
fn in_zone_name_servers_have_addresses_and_glue() {
    let server = default_server(&[
        "--ns",
        "ns1.sat.example=192.0.2.53,2001:db8::53",
        "--ns",
        "ns.dns.sat.example=192.0.2.54",
        "--ns",
        "ns.other.example",
    ]);
    let a = udp(server.addr, &query("ns1.sat.example.", RecordType::A, None));
    assert_eq!(a.answers.len(), 1, "{a}");
    assert_eq!(a.answers[0].data, RData::A("192.0.2.53".parse().unwrap()));
    assert!(a.metadata.authoritative);
    let aaaa = udp(
        server.addr,
        &query("ns1.sat.example.", RecordType::AAAA, None),
    );
    assert_eq!(
        aaaa.answers[0].data,
        RData::AAAA("2001:db8::53".parse().unwrap())
    );
    let ns = udp(server.addr, &query("sat.example.", RecordType::NS, None));
    assert_eq!(ns.answers.len(), 3, "{ns}");
    let glue: Vec<String> = ns.additionals.iter().map(|r| r.to_string()).collect();
    assert_eq!(glue.len(), 3, "A and AAAA of ns1, A of ns.dns: {glue:?}");
    for (name, rtype) in [
        ("ns1.sat.example.", RecordType::MX),
        ("ns1.sat.example.", LOC),
        ("dns.sat.example.", RecordType::A),
    ] {
        let nodata = udp(server.addr, &query(name, rtype, None));
        assert_eq!(
            nodata.metadata.response_code,
            ResponseCode::NoError,
            "{name} {rtype}"
        );
        assert!(nodata.answers.is_empty(), "{name} {rtype}: {nodata}");
        assert_eq!(nodata.authorities.len(), 1, "SOA with NODATA");
    }
    let nx = udp(server.addr, &query("ns2.sat.example.", RecordType::A, None));
    assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
    assert!(
        !server.log_text().contains("has no address"),
        "every in-zone NS has one: {}",
        server.log_text()
    );
}

/// An in-zone name server without an address is logged: resolvers could not
/// reach it. (The default listens on loopback, which is not published.)
#[test]
fn an_in_zone_name_server_without_address_is_a_warning() {
    let server = default_server(&[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !server.log_text().contains("has no address") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server
            .log_text()
            .contains("name server ns1.sat.example. is inside the zone but has no address"),
        "{}",
        server.log_text()
    );
}

/// SOA timers are conventional by default (refresh 4 h, retry 1 h, expire 14
/// days; the minimum is the short TTL) and flags change them.
#[test]
fn soa_timers_are_conventional_and_configurable() {
    let soa_of = |server: &Server| {
        let response = udp(server.addr, &query("sat.example.", RecordType::SOA, None));
        match &response.answers[0].data {
            RData::SOA(soa) => (soa.refresh, soa.retry, soa.expire, soa.minimum),
            other => panic!("not an SOA: {other:?}"),
        }
    };
    assert_eq!(soa_of(&default_server(&[])), (14_400, 3_600, 1_209_600, 5));
    let custom = default_server(&[
        "--soa-refresh",
        "1d",
        "--soa-retry",
        "2h",
        "--soa-expire",
        "28d",
    ]);
    assert_eq!(soa_of(&custom), (86_400, 7_200, 2_419_200, 5));
}
