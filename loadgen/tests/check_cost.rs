//! What checking one response costs, fast path against hickory-proto's full
//! parser: the measurement behind `--full-check` being off by default
//! (loadgen/README.md, "Response checking"). Ignored in normal runs; it means
//! something only in a release build:
//!
//! ```sh
//! cargo test --release -p satloc-loadgen --test check_cost -- --ignored --nocapture
//! ```

use std::hint::black_box;
use std::time::Instant;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::{A, NS, NULL};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use satloc_loadgen::query::{QueryOptions, QuerySet, QuestionSpec, TYPE_LOC};
use satloc_loadgen::response::{CheckMode, ExpectedQuestion, Verdict, check};

/// Checks per timed round.
const CHECKS: u32 = 2_000_000;

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

/// The shape NSD answers `iss.sat.example. LOC` with (no EDNS): the LOC
/// record, the zone's NS, and its glue; 95 bytes.
fn loc_answer() -> Vec<u8> {
    let qname = name("iss.sat.example.");
    let loc = RecordType::from(TYPE_LOC);
    let mut message = Message::new(0x1234, MessageType::Response, OpCode::Query);
    message.metadata.authoritative = true;
    message.add_query(Query::query(qname.clone(), loc));
    let rdata = NULL::with(vec![
        0, 0x12, 0x16, 0x13, 0x6e, 0x8d, 0xd2, 0x1d, 0x5b, 0xa3, 0x99, 0x6b, 0x02, 0x7d, 0x6a, 0x80,
    ]);
    message.add_answer(Record::from_rdata(
        qname,
        60,
        RData::Unknown { code: loc, rdata },
    ));
    message.add_authority(Record::from_rdata(
        name("sat.example."),
        60,
        RData::NS(NS(name("ns1.sat.example."))),
    ));
    message.add_additional(Record::from_rdata(
        name("ns1.sat.example."),
        60,
        RData::A(A::new(127, 0, 0, 1)),
    ));
    message.to_vec().unwrap()
}

/// Nanoseconds per `check` in `mode`, the best of three rounds.
fn ns_per_check(response: &[u8], expected: ExpectedQuestion<'_>, mode: CheckMode) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CHECKS {
                let verdict = check(black_box(response), expected, mode);
                assert!(matches!(verdict, Verdict::Answer { rcode: 0, .. }));
            }
            start.elapsed().as_nanos() as f64 / f64::from(CHECKS)
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "a timing, meaningful only in a release build: run with --release -- --ignored"]
fn fast_check_against_full_parse() {
    let response = loc_answer();
    let queries = QuerySet::build(
        &[QuestionSpec::parse("iss.sat.example", "LOC").unwrap()],
        QueryOptions::default(),
    )
    .unwrap();
    let expected = ExpectedQuestion {
        wire: queries.question(0),
        exact_case: false,
    };
    let fast = ns_per_check(&response, expected, CheckMode::Fast);
    let full = ns_per_check(&response, expected, CheckMode::Full);
    println!(
        "{}-byte LOC answer: fast path {fast:.0} ns, full parse {full:.0} ns per check",
        response.len()
    );
}
