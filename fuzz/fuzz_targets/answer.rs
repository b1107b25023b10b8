//! Fuzzes the answer core with arbitrary bytes over both protocols: it must
//! never panic, whatever it writes must stay within the transport's limit, and
//! whenever the fast path accepts a query its bytes must equal the hickory
//! path's. The corpus's queries carry COOKIE options too, and the client's
//! address comes from the input, so cookies are checked both ways; every
//! response also goes through the rate limiter's slip rewrite, which must
//! leave a message hickory-proto can read. The zone has the server's default
//! position quantum and the instant (from the input) is off its boundaries,
//! so both paths must take the same quantised instant, from the object's
//! memo or not.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run answer -- -max_total_time=60

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

use satloc_server::answer::{AnswerPath, Client, fast, hickory};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::engine::{Outcome, Protocol};
use satloc_server::quantum::PositionQuantum;
use satloc_server::rrl::slip;
use satloc_server::testing::TEST_SECRET;
use satloc_server::zone::Zone;

struct Fixture {
    zone: Zone,
    catalog: Catalog,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        zone: {
            let mut zone = Zone::new("sat.example.").unwrap();
            zone.position_quantum =
                PositionQuantum::new(std::time::Duration::from_millis(100)).unwrap();
            zone
        },
        catalog: Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog,
    })
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the client's address (IPv4 or IPv6), the rest is
    // the query.
    let Some((&who, data)) = input.split_first() else {
        return;
    };
    let addr = if who & 1 == 0 {
        IpAddr::from([192, 0, 2, who])
    } else {
        IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(who)])
    };
    let client = Client {
        addr,
        secret: &TEST_SECRET,
    };
    let fixture = fixture();
    let now = chrono::DateTime::from_timestamp(1_795_000_000, u32::from(who) * 3_900_001).unwrap();
    let mut out = Vec::new();
    let mut reference = Vec::new();
    if let Some(cookie) = fast::try_answer(
        data,
        &client,
        &fixture.zone,
        &fixture.catalog,
        now,
        &mut out,
    ) {
        let slow = hickory::answer(
            data,
            Protocol::Udp,
            &client,
            &fixture.zone,
            &fixture.catalog,
            now,
            &mut reference,
        );
        assert_eq!(out, reference, "fast path and hickory path disagree");
        assert_eq!(cookie, slow.cookie, "the paths disagree on the cookie");
    }
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let answered = AnswerPath::Fast.answer(
            data,
            protocol,
            &client,
            &fixture.zone,
            &fixture.catalog,
            now,
            &mut out,
        );
        if answered.outcome == Outcome::Respond {
            assert!(out.len() >= 12);
            if protocol == Protocol::Udp {
                assert!(out.len() <= 1232);
            }
            let full = out.clone();
            slip::truncate(&mut out);
            assert!(out.len() <= full.len(), "a slip reply is never larger");
            assert!(out[2] & 0x02 != 0, "TC set");
            if hickory_proto::op::Message::from_vec(&full).is_ok() {
                hickory_proto::op::Message::from_vec(&out).expect("a slip reply parses");
            }
        }
    }
});
