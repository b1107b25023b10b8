//! Fuzzes the answer core with arbitrary bytes over both transports: it must
//! never panic, and whatever it writes must stay within the transport's limit.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run answer -- -max_total_time=60

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use satloc_server::answer::{Outcome, Transport, answer};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::zone::Zone;

struct Fixture {
    zone: Zone,
    catalog: Catalog,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        zone: Zone::new("sat.example.").unwrap(),
        catalog: Catalog::load(&[Source::Embedded], &NamingOptions::default()).unwrap().catalog,
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
    let mut out = Vec::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        if answer(data, transport, &fixture.zone, &fixture.catalog, now, &mut out) == Outcome::Respond {
            assert!(out.len() >= 12);
            if transport == Transport::Udp {
                assert!(out.len() <= 1232);
            }
        }
    }
});
