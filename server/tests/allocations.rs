//! How many heap allocations one answer costs, counted with a counting global
//! allocator. The numbers are deterministic, so they are pinned here: a change
//! that adds allocations to the hot path fails this test and has to say why.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use satloc_server::answer::{Transport, answer};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::zone::Zone;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn wire(name: &str, rtype: RecordType, edns: bool) -> Vec<u8> {
    let mut message = Message::new(7, MessageType::Query, OpCode::Query);
    message.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    if edns {
        message.set_edns(Edns::new());
    }
    message.to_vec().unwrap()
}

#[test]
fn allocations_per_answer() {
    let zone = Zone::new("sat.example.").unwrap();
    let catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())
        .unwrap()
        .catalog;
    let now = "2026-11-28T12:00:00Z".parse().unwrap();
    let mut out = Vec::with_capacity(4096);
    // (what, query, most allocations allowed per answer). LOC takes the fast
    // path, which allocates nothing; the rest go through hickory-proto.
    for (what, query, budget) in [
        (
            "LOC+EDNS",
            wire("iss.sat.example.", RecordType::Unknown(29), true),
            11,
        ),
        (
            "LOC",
            wire("iss.sat.example.", RecordType::Unknown(29), false),
            10,
        ),
        ("TXT", wire("iss.sat.example.", RecordType::TXT, false), 18),
        (
            "NXDOMAIN",
            wire("x.sat.example.", RecordType::Unknown(29), false),
            14,
        ),
    ] {
        answer(&query, Transport::Udp, &zone, &catalog, now, &mut out);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        answer(&query, Transport::Udp, &zone, &catalog, now, &mut out);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        let used = after - before;
        eprintln!("{what}: {used} allocations");
        assert!(
            used <= budget,
            "{what}: {used} allocations per answer, budget {budget}"
        );
    }
}
