//! The fast path must write exactly what the hickory-proto path writes, for
//! every query it accepts -- and must accept the common ones, or it is not a
//! fast path at all.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use satloc_server::answer::{AnswerPath, fast, hickory};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::engine::Protocol;
use satloc_server::loc::LOC;
use satloc_server::testing::TestQuery;
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

#[test]
fn fast_path_writes_what_hickory_writes() {
    let mut handled = 0;
    let mut total = 0;
    let mut fast_out = Vec::new();
    let mut slow_out = Vec::new();
    let mut combined_out = Vec::new();
    for setup in setups() {
        let apex = setup.zone.apex.to_ascii();
        for base in queries(&apex) {
            let mut variants = mutations(&base);
            variants.push(base);
            for query in variants {
                total += 1;
                let accepted = fast::try_answer(
                    &query,
                    &setup.zone,
                    &setup.catalog,
                    setup.now,
                    &mut fast_out,
                );
                hickory::answer(
                    &query,
                    Protocol::Udp,
                    &setup.zone,
                    &setup.catalog,
                    setup.now,
                    &mut slow_out,
                );
                AnswerPath::Fast.answer(
                    &query,
                    Protocol::Udp,
                    &setup.zone,
                    &setup.catalog,
                    setup.now,
                    &mut combined_out,
                );
                assert_eq!(
                    combined_out, slow_out,
                    "AnswerPath::Fast differs from hickory for {query:02x?}"
                );
                if accepted {
                    handled += 1;
                    assert_eq!(
                        fast_out, slow_out,
                        "fast path differs from hickory for query {query:02x?}\nfast {fast_out:02x?}\nslow {slow_out:02x?}"
                    );
                } else {
                    assert!(fast_out.is_empty(), "declined but wrote bytes");
                }
            }
        }
    }
    eprintln!("fast path handled {handled} of {total} queries");
    // LOC for 8 object names with a LOC, 4 EDNS shapes it accepts, 2 flag sets,
    // in the first zone; fewer in the second (90001 and 90002 have no LOC).
    assert!(handled >= 100, "fast path handled only {handled} queries");
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
            fast::try_answer(&bytes, &setup.zone, &setup.catalog, setup.now, &mut out),
            "edns {edns}"
        );
        let response = Message::from_vec(&out).unwrap();
        assert_eq!(response.answers.len(), 1);
        assert_eq!(response.edns.is_some(), edns);
    }
}
