//! Shared workloads for satloc's benchmarks.
//!
//! The criterion benches (`cargo bench -p satloc-benches`) time these in
//! wall-clock terms; `satloc-icount` runs them a fixed number of times so
//! `valgrind --tool=callgrind` can count instructions exactly
//! (`scripts/bench-icount.sh`), which is repeatable on a noisy shared machine.

use chrono::{DateTime, Utc};
use hickory_proto::rr::RecordType;
use satloc_server::answer::AnswerPath;
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::engine::{Outcome, Protocol};
use satloc_server::loc::LOC;
use satloc_server::testing::TestQuery;
use satloc_server::zone::Zone;

/// The instant every workload answers for.
pub const NOW: &str = "2026-11-28T12:00:00Z";

/// A named query workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name, used in reports.
    pub name: &'static str,
    /// The query's wire bytes.
    pub query: Vec<u8>,
    /// The answer core that answers it (`--answer-path`).
    pub path: AnswerPath,
}

/// The zone, catalogue and instant the workloads run against.
#[derive(Debug)]
pub struct Fixture {
    /// `sat.example.` with defaults.
    pub zone: Zone,
    /// The embedded catalogue.
    pub catalog: Catalog,
    /// [`NOW`].
    pub now: DateTime<Utc>,
}

impl Fixture {
    /// Builds the fixture.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            zone: Zone::new("sat.example.").map_err(anyhow::Error::msg)?,
            catalog: Catalog::load(&[Source::Embedded], &NamingOptions::default())?.catalog,
            now: NOW.parse()?,
        })
    }

    /// Answers `workload` over UDP into `out`, as every workload is measured.
    #[inline]
    pub fn answer(&self, workload: &Workload, out: &mut Vec<u8>) -> Outcome {
        let query = std::hint::black_box(&workload.query);
        let (zone, catalog, now) = (&self.zone, &self.catalog, self.now);
        workload
            .path
            .answer(query, Protocol::Udp, zone, catalog, now, out)
    }
}

/// A query as dig sends it (RD set; with `edns`, a 1232-byte payload).
fn query(name: &str, rtype: RecordType, edns: bool) -> Vec<u8> {
    let query = TestQuery::new(name, rtype).id(0x4242);
    if edns { query.edns(1232) } else { query }.to_bytes()
}

/// The workloads: the hot path (LOC with EDNS, as dig and the load generator
/// send it) and the other answer kinds.
pub fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "loc_iss_edns",
            query: query("iss.sat.example.", LOC, true),
            path: AnswerPath::Fast,
        },
        Workload {
            name: "loc_iss_edns_hickory",
            query: query("iss.sat.example.", LOC, true),
            path: AnswerPath::Hickory,
        },
        Workload {
            name: "loc_molniya",
            query: query("25485.sat.example.", LOC, false),
            path: AnswerPath::Fast,
        },
        Workload {
            name: "txt_iss",
            query: query("iss.sat.example.", RecordType::TXT, false),
            path: AnswerPath::Fast,
        },
        Workload {
            name: "nxdomain",
            query: query("nothing.sat.example.", LOC, false),
            path: AnswerPath::Fast,
        },
        Workload {
            name: "refused",
            query: query("iss.example.com.", LOC, false),
            path: AnswerPath::Fast,
        },
        Workload {
            name: "formerr",
            query: query("iss.sat.example.", LOC, false)[..20].to_vec(),
            path: AnswerPath::Fast,
        },
    ]
}
