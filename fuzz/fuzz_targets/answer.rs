//! Fuzzes the answer core with arbitrary bytes over both protocols: it must
//! never panic, whatever it writes must stay within the transport's limit, and
//! whenever the fast path accepts a query its bytes must equal the hickory path's.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run answer -- -max_total_time=60

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use satloc_server::answer::{AnswerPath, fast, hickory};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::engine::{Outcome, Protocol};
use satloc_server::zone::Zone;

struct Fixture {
    zone: Zone,
    catalog: Catalog,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        zone: Zone::new("sat.example.").unwrap(),
        catalog: Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog,
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
    let mut out = Vec::new();
    let mut reference = Vec::new();
    if fast::try_answer(data, &fixture.zone, &fixture.catalog, now, &mut out) {
        hickory::answer(
            data,
            Protocol::Udp,
            &fixture.zone,
            &fixture.catalog,
            now,
            &mut reference,
        );
        assert_eq!(out, reference, "fast path and hickory path disagree");
    }
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let outcome = AnswerPath::Fast.answer(
            data,
            protocol,
            &fixture.zone,
            &fixture.catalog,
            now,
            &mut out,
        );
        if outcome == Outcome::Respond {
            assert!(out.len() >= 12);
            if protocol == Protocol::Udp {
                assert!(out.len() <= 1232);
            }
        }
    }
});
