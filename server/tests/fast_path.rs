//! The fast path must write exactly what the hickory-proto path writes, for
//! every query it accepts -- and must accept the common ones, or it is not a
//! fast path at all. That includes queries with DNS cookies, which BIND and
//! other resolvers send with every query.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::opt::EdnsOption;
use satloc_server::answer::cookie::server_cookie;
use satloc_server::answer::{AnswerPath, CookieStatus, fast, hickory};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::engine::Protocol;
use satloc_server::loc::LOC;
use satloc_server::quantum::PositionQuantum;
use satloc_server::testing::{TEST_CLIENT_ADDR, TEST_SECRET, TestQuery, test_client};
use satloc_server::zone::Zone;

struct Setup {
    zone: Zone,
    catalog: Catalog,
    now: DateTime<Utc>,
}

fn setups() -> Vec<Setup> {
    let edge =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalogs/edge-cases.tle");
    let mut custom = Zone::new("Orbit.Test").unwrap();
    custom.ttl = 1;
    custom.max_udp_payload = 4096;
    let mut quantised = Zone::new("sat.example.").unwrap();
    quantised.position_quantum =
        PositionQuantum::new(std::time::Duration::from_millis(100)).unwrap();
    vec![
        Setup {
            zone: Zone::new("sat.example.").unwrap(),
            catalog: Catalog::load(&[Source::Embedded], &NamingOptions::default())
                .unwrap()
                .catalog,
            now: "2026-11-28T12:00:00Z".parse().unwrap(),
        },
        Setup {
            zone: custom,
            catalog: Catalog::load(
                &[Source::Embedded, Source::File(edge)],
                &NamingOptions::default(),
            )
            .unwrap()
            .catalog,
            now: "2025-12-05T00:00:00.123456Z".parse().unwrap(),
        },
        // With a position quantum, off a boundary: both paths must take the
        // same quantised instant, whether the object's memo is hit or not.
        Setup {
            zone: quantised,
            catalog: Catalog::load(&[Source::Embedded], &NamingOptions::default())
                .unwrap()
                .catalog,
            now: "2026-11-28T12:00:00.037Z".parse().unwrap(),
        },
    ]
}

/// Every combination of the things a query can vary in.
fn queries(apex: &str) -> Vec<Vec<u8>> {
    let labels = [
        "iss",
        "ISS",
        "IsS-ZaRyA",
        "25544",
        "025544",
        "hubble",
        "css",
        "25485",
        "51850",
        "90001",
        "90002",
        "nothing",
    ];
    let mut names: Vec<String> = labels.iter().map(|l| format!("{l}.{apex}")).collect();
    names.push(apex.to_owned());
    names.push(format!("a.iss.{apex}"));
    names.push("iss.example.com.".to_owned());
    names.push(apex.to_uppercase());
    let types = [
        LOC,
        RecordType::TXT,
        RecordType::A,
        RecordType::ANY,
        RecordType::SOA,
    ];
    let edns_variants: [Option<(u16, bool, u8)>; 6] = [
        None,
        Some((1232, false, 0)),
        Some((512, true, 0)),
        Some((4096, false, 0)),
        Some((100, false, 0)),
        Some((1232, false, 1)),
    ];
    let mut out = Vec::new();
    let mut id = 1u16;
    for name in &names {
        for &rtype in &types {
            for edns in edns_variants {
                for (rd, cd, ad) in [(true, false, false), (false, true, true)] {
                    id = id.wrapping_mul(31).wrapping_add(7);
                    let mut query = TestQuery::new(name, rtype)
                        .id(id)
                        .recursion_desired(rd)
                        .checking_disabled(cd)
                        .authentic_data(ad);
                    if let Some((payload, dnssec_ok, version)) = edns {
                        query = query
                            .edns(payload)
                            .dnssec_ok(dnssec_ok)
                            .edns_version(version);
                    }
                    out.push(query.to_bytes());
                }
            }
        }
    }
    out
}

/// Queries with COOKIE options, well-formed and not, for `setup`'s instant:
/// a client cookie alone, with a server cookie that verifies, with one that
/// does not, with one of another length, and malformed ones.
fn cookie_queries(setup: &Setup) -> Vec<Vec<u8>> {
    let apex = setup.zone.apex.to_ascii();
    let client_cookie = *b"\x01\x02\x03\x04\x05\x06\x07\x08";
    let valid = server_cookie(
        &TEST_SECRET,
        &client_cookie,
        1,
        [0; 3],
        setup.now.timestamp() as u32,
        TEST_CLIENT_ADDR,
    );
    let mut forged = valid;
    forged[15] ^= 0xff;
    let with = |server: &[u8]| [&client_cookie[..], server].concat();
    let options: Vec<Vec<Vec<u8>>> = vec![
        vec![client_cookie.to_vec()],
        vec![with(&valid)],
        vec![with(&forged)],
        vec![with(&valid[..12])],
        vec![client_cookie[..5].to_vec()],
        vec![vec![9; 41]],
        vec![client_cookie.to_vec(), with(&valid)],
    ];
    let mut out = Vec::new();
    for label in ["iss", "IsS-ZaRyA", "25485", "nothing", "90001"] {
        let name = format!("{label}.{apex}");
        for rtype in [LOC, RecordType::TXT] {
            for cookies in &options {
                for dnssec_ok in [false, true] {
                    let mut query = TestQuery::new(&name, rtype)
                        .id(0x5aa5)
                        .edns(1232)
                        .dnssec_ok(dnssec_ok);
                    for cookie in cookies {
                        query = query.cookie(cookie);
                    }
                    out.push(query.to_bytes());
                }
            }
        }
    }
    out
}

/// Byte-level variations the message builder above cannot produce.
fn mutations(query: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut trailing = query.to_vec();
    trailing.push(0);
    out.push(trailing);
    let mut class_any = query.to_vec();
    let qclass_at = 12 + name_len(query) + 2;
    class_any[qclass_at + 1] = 255;
    out.push(class_any);
    let mut tc = query.to_vec();
    tc[2] |= 0x02;
    out.push(tc);
    let mut z = query.to_vec();
    z[3] |= 0x40;
    out.push(z);
    let mut opcode = query.to_vec();
    opcode[2] |= 0x10;
    out.push(opcode);
    out
}

fn name_len(query: &[u8]) -> usize {
    let mut at = 12;
    while query[at] != 0 {
        at += 1 + usize::from(query[at]);
    }
    at + 1 - 12
}

/// Answers `query` on the fast path, the hickory path and through
/// `AnswerPath::Fast`, checks they agree, and says whether the fast path took it.
fn fast_path_agrees(setup: &Setup, query: &[u8]) -> bool {
    let client = test_client();
    let (mut fast_out, mut slow_out, mut combined_out) = (Vec::new(), Vec::new(), Vec::new());
    let (zone, catalog, now) = (&setup.zone, &setup.catalog, setup.now);
    let accepted = fast::try_answer(query, &client, zone, catalog, now, &mut fast_out);
    let slow = hickory::answer(
        query,
        Protocol::Udp,
        &client,
        zone,
        catalog,
        now,
        &mut slow_out,
    );
    let combined = AnswerPath::Fast.answer(
        query,
        Protocol::Udp,
        &client,
        zone,
        catalog,
        now,
        &mut combined_out,
    );
    assert_eq!(
        combined_out, slow_out,
        "AnswerPath::Fast differs from hickory for {query:02x?}"
    );
    assert_eq!(combined, slow, "{query:02x?}");
    let Some(cookie) = accepted else {
        assert!(fast_out.is_empty(), "declined but wrote bytes");
        return false;
    };
    assert_eq!(cookie, slow.cookie, "cookie status of {query:02x?}");
    assert_eq!(
        fast_out, slow_out,
        "fast path differs from hickory for query {query:02x?}\nfast {fast_out:02x?}\nslow {slow_out:02x?}"
    );
    true
}

#[test]
fn fast_path_writes_what_hickory_writes() {
    let mut handled = 0;
    let mut total = 0;
    for setup in setups() {
        let apex = setup.zone.apex.to_ascii();
        let mut bases = queries(&apex);
        bases.extend(cookie_queries(&setup));
        for base in bases {
            let mut variants = mutations(&base);
            variants.push(base);
            for query in variants {
                total += 1;
                handled += usize::from(fast_path_agrees(&setup, &query));
            }
        }
    }
    eprintln!("fast path handled {handled} of {total} queries");
    // LOC for 8 object names with a LOC, 4 EDNS shapes it accepts, 2 flag sets,
    // in the first zone; fewer in the second (90001 and 90002 have no LOC);
    // and 3 cookie shapes for 3 names with a LOC, with and without DO.
    assert!(
        handled >= 100 + 2 * 18,
        "fast path handled only {handled} queries"
    );
}

#[test]
fn cookies_are_answered_as_rfc_7873_says_on_both_paths() {
    let setup = &setups()[0];
    let client = test_client();
    let cookies = cookie_queries(setup);
    // The first name's LOC, without DO: one query per option set, in order.
    let expected = [
        (CookieStatus::Fresh, true),
        (CookieStatus::Verified, true),
        (CookieStatus::Fresh, true),
        (CookieStatus::Fresh, false),
        (CookieStatus::Malformed, false),
        (CookieStatus::Malformed, false),
        (CookieStatus::Malformed, false),
    ];
    for (query, (status, fast_takes_it)) in cookies.iter().step_by(2).zip(expected) {
        for path in [AnswerPath::Fast, AnswerPath::Hickory] {
            let mut out = Vec::new();
            let answered = path.answer(
                query,
                Protocol::Udp,
                &client,
                &setup.zone,
                &setup.catalog,
                setup.now,
                &mut out,
            );
            assert_eq!(answered.cookie, status, "{path:?} {query:02x?}");
            let response = Message::from_vec(&out).unwrap();
            let edns = response.edns.expect("an OPT record");
            let options = edns.options().as_ref();
            if status == CookieStatus::Malformed {
                assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
                assert!(options.is_empty(), "no cookie in a FORMERR");
            } else {
                assert_eq!(response.metadata.response_code, ResponseCode::NoError);
                assert_eq!(response.answers.len(), 1, "answered normally");
                let [(code, EdnsOption::Unknown(10, data))] = options else {
                    panic!("one COOKIE option expected: {options:?}");
                };
                assert_eq!(u16::from(*code), 10);
                assert_eq!(data.len(), 24, "client and server cookie");
                assert_eq!(
                    &data[..8],
                    &[1, 2, 3, 4, 5, 6, 7, 8],
                    "the client cookie echoed"
                );
                assert_eq!(data[8], 1, "an RFC 9018 server cookie");
            }
        }
        let mut out = Vec::new();
        let fast = fast::try_answer(
            query,
            &client,
            &setup.zone,
            &setup.catalog,
            setup.now,
            &mut out,
        );
        assert_eq!(fast.is_some(), fast_takes_it, "{query:02x?}");
    }
}

#[test]
fn fast_path_takes_the_load_generator_query_and_dig_style_without_options() {
    let setup = &setups()[0];
    let mut out = Vec::new();
    for edns in [false, true] {
        let query = TestQuery::new("iss.sat.example.", LOC)
            .id(0x1234)
            .recursion_desired(false);
        let bytes = if edns { query.edns(512) } else { query }.to_bytes();
        assert!(
            fast::try_answer(
                &bytes,
                &test_client(),
                &setup.zone,
                &setup.catalog,
                setup.now,
                &mut out
            )
            .is_some(),
            "edns {edns}"
        );
        let response = Message::from_vec(&out).unwrap();
        assert_eq!(response.answers.len(), 1);
        assert_eq!(response.edns.is_some(), edns);
    }
}
