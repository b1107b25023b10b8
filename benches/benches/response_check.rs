//! What the load generator's response check costs per answer: its
//! allocation-free fast path against hickory-proto's full parse (the reason
//! `--full-check` is off by default, `loadgen/README.md`, "Response checking").

use criterion::{Criterion, criterion_group, criterion_main};
use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::{A, NS, NULL};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use satloc_loadgen::query::{QueryOptions, QuerySet, QuestionSpec, TYPE_LOC};
use satloc_loadgen::response::{CheckMode, ExpectedQuestion, Verdict, check};

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("test input")
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
    message.to_vec().expect("test input")
}

fn bench_check(c: &mut Criterion) {
    let response = loc_answer();
    let queries = QuerySet::build(
        &[QuestionSpec::parse("iss.sat.example", "LOC").expect("question")],
        QueryOptions::default(),
    )
    .expect("query set");
    let expected = ExpectedQuestion {
        wire: queries.question(0),
        exact_case: false,
    };
    let mut group = c.benchmark_group("loadgen_check_95_byte_loc_answer");
    for (name, mode) in [("fast", CheckMode::Fast), ("full", CheckMode::Full)] {
        assert!(matches!(
            check(&response, expected, mode),
            Verdict::Answer { rcode: 0, .. }
        ));
        group.bench_function(name, |b| {
            b.iter(|| check(std::hint::black_box(&response), expected, mode))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
