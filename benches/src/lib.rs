//! Shared workloads for satloc's benchmarks.
//!
//! The criterion benches (`cargo bench -p satloc-benches`) time these in
//! wall-clock terms; `satloc-icount` runs them a fixed number of times so
//! `valgrind --tool=callgrind` can count instructions exactly
//! (`scripts/bench-icount.sh`), which is repeatable on a noisy shared machine.
//!
//! Most workloads ask the embedded catalogue at [`NOW`]. The per-object ones
//! ([`per_object`]) each bring their own scene: one object of each orbit class,
//! asked an hour after its element epoch and a year after it, because what an
//! answer costs can depend on both (`docs/case-study.md`, "Every object").
//! The service ones ([`through_service`]) send the hot-path query through the
//! whole `Service` as the engines do, with the per-query metrics off and on,
//! for what counting costs (`docs/metrics.md`), and with rate limiting on,
//! passing and limiting, for what that costs (README, "Running on the
//! internet"). The cookie ones ask as BIND does: with a client cookie, and
//! with the server cookie it was given. The `_quantum` ones answer with a
//! position quantum, from the object's position memo (`docs/case-study.md`,
//! "The answer's cost"). The map's ground tracks are benched
//! on a large catalogue built by [`tracks`].

pub mod tracks;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use hickory_proto::rr::RecordType;
use satloc_server::answer::cookie::server_cookie;
use satloc_server::answer::{AnswerPath, Client, CookieSecret};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::clock::Clock;
use satloc_server::engine::{Handler, Outcome, Protocol};
use satloc_server::loc::LOC;
use satloc_server::metrics::{QueryMetrics, Ticks};
use satloc_server::quantum::PositionQuantum;
use satloc_server::rrl::{RateLimiter, RrlOptions};
use satloc_server::service::Service;
use satloc_server::synthetic::PlantedCost;
use satloc_server::testing::TestQuery;
use satloc_server::zone::Zone;

/// The instant the fixture's workloads answer for.
pub const NOW: &str = "2026-11-28T12:00:00Z";
/// The address every workload's query comes from.
pub const CLIENT: [u8; 4] = [192, 0, 2, 1];
/// The server cookie secret of every workload (fixed, so runs repeat).
pub const SECRET: [u8; 16] = [7; 16];
/// The client cookie of the cookie workloads.
pub const CLIENT_COOKIE: [u8; 8] = *b"satloc01";

/// A named query workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name, used in reports.
    pub name: &'static str,
    /// The query's wire bytes.
    pub query: Vec<u8>,
    /// The answer core that answers it (`--answer-path`).
    pub path: AnswerPath,
    /// Its own catalogue and instant; `None` for the fixture's.
    pub scene: Option<Scene>,
    /// The service it goes through, as the engines call it; `None`: the
    /// answer core is called directly.
    pub service: Option<Arc<Service>>,
    /// Its own zone; `None` for the fixture's.
    pub zone: Option<Zone>,
}

/// A catalogue and the instant it is asked at.
#[derive(Debug, Clone)]
pub struct Scene {
    /// The catalogue files, as `satloc-server --catalog` takes them.
    pub files: Vec<PathBuf>,
    /// The catalogue read from them.
    pub catalog: Catalog,
    /// The instant.
    pub now: DateTime<Utc>,
    /// The name asked for.
    pub qname: String,
}

/// The zone, catalogue and instant most workloads run against.
#[derive(Debug)]
pub struct Fixture {
    /// `sat.example.` with defaults.
    pub zone: Zone,
    /// The embedded catalogue.
    pub catalog: Catalog,
    /// [`NOW`].
    pub now: DateTime<Utc>,
    /// [`SECRET`].
    pub secret: CookieSecret,
}

impl Fixture {
    /// Builds the fixture.
    pub fn new() -> anyhow::Result<Self> {
        let mut catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())?.catalog;
        let now = NOW.parse()?;
        // As the server does before it serves a catalogue.
        catalog.prepare(now);
        Ok(Self {
            zone: Zone::new("sat.example.")?,
            catalog,
            now,
            secret: CookieSecret::new(SECRET),
        })
    }

    /// Answers `workload` over UDP into `out`, as every workload is measured.
    #[inline]
    pub fn answer(&self, workload: &Workload, out: &mut Vec<u8>) -> Outcome {
        let query = std::hint::black_box(&workload.query);
        let addr = IpAddr::from(CLIENT);
        if let Some(service) = &workload.service {
            return service.handle(query, Protocol::Udp, addr, out);
        }
        let (catalog, now) = match &workload.scene {
            None => (&self.catalog, self.now),
            Some(scene) => (&scene.catalog, scene.now),
        };
        let client = Client {
            addr,
            secret: &self.secret,
        };
        let zone = workload.zone.as_ref().unwrap_or(&self.zone);
        workload
            .path
            .answer(query, Protocol::Udp, &client, zone, catalog, now, out)
            .outcome
    }
}

/// A query as dig sends it (RD set; with `edns`, a 1232-byte payload).
fn query(name: &str, rtype: RecordType, edns: bool) -> Vec<u8> {
    let query = TestQuery::new(name, rtype).id(0x4242);
    if edns { query.edns(1232) } else { query }.to_bytes()
}

/// The ISS's LOC as BIND asks it: EDNS with a client cookie, and with
/// `server` also the server cookie it was given at [`NOW`].
fn cookie_query(server: bool) -> Vec<u8> {
    let mut cookie = CLIENT_COOKIE.to_vec();
    if server {
        let now: DateTime<Utc> = NOW.parse().unwrap_or_default();
        cookie.extend_from_slice(&server_cookie(
            &CookieSecret::new(SECRET),
            &CLIENT_COOKIE,
            1,
            [0; 3],
            now.timestamp() as u32,
            IpAddr::from(CLIENT),
        ));
    }
    TestQuery::new("iss.sat.example.", LOC)
        .id(0x4242)
        .edns(1232)
        .cookie(&cookie)
        .to_bytes()
}

/// A workload on the fixture's catalogue and instant.
fn on_fixture(name: &'static str, query: Vec<u8>, path: AnswerPath) -> Workload {
    Workload {
        name,
        query,
        path,
        scene: None,
        service: None,
        zone: None,
    }
}

/// The quantum of the quantised workloads: the server's default
/// `--position-quantum`.
pub const QUANTUM: Duration = Duration::from_millis(100);

/// The hot-path query on the fixture's catalogue and instant, in a zone with
/// a position quantum of [`QUANTUM`]: after the first answer, the position is
/// the one remembered in the object (`satloc-icount` answers once before it
/// counts, so the count is that of a memo hit).
fn quantised(name: &'static str, path: AnswerPath) -> Workload {
    let mut zone = Zone::new("sat.example.").unwrap_or_else(|err| panic!("{err}"));
    zone.position_quantum = PositionQuantum::new(QUANTUM).unwrap_or_default();
    Workload {
        zone: Some(zone),
        ..on_fixture(name, query("iss.sat.example.", LOC, true), path)
    }
}

/// Every workload: those on the fixture, the service ones, then the
/// per-object ones.
pub fn workloads() -> anyhow::Result<Vec<Workload>> {
    let mut all = fixture_workloads();
    for (name, counting, limiting) in SERVICE_WORKLOADS {
        all.push(through_service(name, counting, limiting)?);
    }
    all.push(quantised_service()?);
    all.extend(per_object()?);
    Ok(all)
}

/// Whether and with which clock a service workload counts its queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// No metrics (the server without `--metrics-listen`).
    Off,
    /// Metrics timed by the server's clock: the time-stamp counter where the
    /// kernel trusts it.
    ServerClock,
    /// Metrics timed by `std::time::Instant`, the alternative the server's
    /// clock was chosen over.
    Instant,
}

/// Whether a service workload's responses are rate-limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiting {
    /// No `--rrl-rate` (the default).
    Off,
    /// Rate limiting on, every response within the rate: the cost every
    /// answer pays.
    Passing,
    /// Rate limiting on and every response over the rate, half slipped and
    /// half dropped: the cost under a flood.
    Limited,
}

/// The service workloads: the hot-path query (LOC with EDNS for the ISS)
/// through `Service::handle`, counting off, on, and on with `Instant`, then
/// rate-limited.
pub const SERVICE_WORKLOADS: [(&str, Counting, Limiting); 5] = [
    ("loc_iss_edns_service", Counting::Off, Limiting::Off),
    (
        "loc_iss_edns_service_metrics",
        Counting::ServerClock,
        Limiting::Off,
    ),
    (
        "loc_iss_edns_service_metrics_instant",
        Counting::Instant,
        Limiting::Off,
    ),
    ("loc_iss_edns_service_rrl", Counting::Off, Limiting::Passing),
    (
        "loc_iss_edns_service_rrl_limited",
        Counting::Off,
        Limiting::Limited,
    ),
];

/// The name of [`quantised_service`]'s workload.
pub const QUANTISED_SERVICE: &str = "loc_iss_edns_service_quantum";

/// The hot-path query through a service as `satloc-server` runs by default:
/// no metrics, no rate limit, a position quantum of [`QUANTUM`].
pub fn quantised_service() -> anyhow::Result<Workload> {
    let fixture = Fixture::new()?;
    let mut zone = fixture.zone;
    zone.position_quantum = PositionQuantum::new(QUANTUM)?;
    let service = Service::new(
        zone,
        Clock::Frozen(fixture.now),
        fixture.catalog,
        AnswerPath::Fast,
        PlantedCost::default(),
    )
    .with_cookie_secret(fixture.secret);
    Ok(Workload {
        service: Some(Arc::new(service)),
        ..on_fixture(
            QUANTISED_SERVICE,
            query("iss.sat.example.", LOC, true),
            AnswerPath::Fast,
        )
    })
}

/// The hot-path query through a service on the fixture's zone, embedded
/// catalogue and instant, counting as `counting` and limiting as `limiting`
/// say. Built only when asked for: the server's clock calibrates itself on
/// first use.
pub fn through_service(
    name: &'static str,
    counting: Counting,
    limiting: Limiting,
) -> anyhow::Result<Workload> {
    let fixture = Fixture::new()?;
    let service = Service::new(
        fixture.zone,
        Clock::Frozen(fixture.now),
        fixture.catalog,
        AnswerPath::Fast,
        PlantedCost::default(),
    )
    .with_cookie_secret(fixture.secret);
    let rate = match limiting {
        Limiting::Off => None,
        // More than any run answers: every response passes.
        Limiting::Passing => Some(u32::MAX),
        // One response a second: all but the first are limited.
        Limiting::Limited => Some(1),
    };
    let service = match rate {
        Some(rate) => service.with_rate_limit(RateLimiter::new(RrlOptions {
            rate,
            slip: 2,
            exempt: Vec::new(),
            slots: satloc_server::rrl::DEFAULT_SLOTS,
        })),
        None => service,
    };
    let ticks = match counting {
        Counting::Off => None,
        Counting::ServerClock => Some(Ticks::shared()),
        Counting::Instant => Some(Ticks::monotonic()),
    };
    let service = match ticks {
        // One shard, as for a server's one answering thread.
        Some(ticks) => service.with_metrics(Arc::new(QueryMetrics::new(1, ticks))),
        None => service,
    };
    Ok(Workload {
        name,
        query: query("iss.sat.example.", LOC, true),
        path: AnswerPath::Fast,
        scene: None,
        service: Some(Arc::new(service)),
        zone: None,
    })
}

/// The hot path (LOC with EDNS, as dig and the load generator send it) and the
/// other answer kinds, on the embedded catalogue at [`NOW`].
pub fn fixture_workloads() -> Vec<Workload> {
    let fast = AnswerPath::Fast;
    vec![
        on_fixture("loc_iss_edns", query("iss.sat.example.", LOC, true), fast),
        on_fixture(
            "loc_iss_edns_hickory",
            query("iss.sat.example.", LOC, true),
            AnswerPath::Hickory,
        ),
        on_fixture("loc_iss_cookie", cookie_query(false), fast),
        on_fixture("loc_iss_cookie_server", cookie_query(true), fast),
        on_fixture(
            "loc_iss_cookie_server_hickory",
            cookie_query(true),
            AnswerPath::Hickory,
        ),
        quantised("loc_iss_edns_quantum", fast),
        quantised("loc_iss_edns_quantum_hickory", AnswerPath::Hickory),
        on_fixture("loc_molniya", query("25485.sat.example.", LOC, false), fast),
        on_fixture(
            "txt_iss",
            query("iss.sat.example.", RecordType::TXT, false),
            fast,
        ),
        on_fixture("nxdomain", query("nothing.sat.example.", LOC, false), fast),
        on_fixture("refused", query("iss.example.com.", LOC, false), fast),
        on_fixture(
            "formerr",
            query("iss.sat.example.", LOC, false)[..20].to_vec(),
            fast,
        ),
    ]
}

/// One object per orbit class: (class, NORAD number).
const OBJECTS: [(&str, u64); 4] = [
    ("leo", 25544), // ISS, embedded catalogue
    ("meo", 24876), // GPS BIIR-2 (PRN 13), embedded, deep space, not resonant
    ("geo", 51850), // GOES 18, embedded, 24-hour resonance
    ("heo", 21897), // MOLNIYA 1-83, benches/data, 12-hour resonance
];

/// The per-object workloads' names, NORAD numbers and instants after the
/// element epoch: one object of each orbit class an hour after its epoch
/// (`_fresh`) and a year after it (`_year`), and the Molniya twenty years after
/// (`loc_heo_20y`).
pub fn per_object_specs() -> Vec<(&'static str, u64, TimeDelta)> {
    let mut specs = Vec::new();
    for (class, norad_id) in OBJECTS {
        for (age, after_epoch) in [
            ("fresh", TimeDelta::hours(1)),
            ("year", TimeDelta::days(365)),
        ] {
            let name: &'static str = format!("loc_{class}_{age}").leak();
            specs.push((name, norad_id, after_epoch));
        }
    }
    specs.push(("loc_heo_20y", 21897, TimeDelta::days(20 * 365)));
    specs
}

/// LOC with EDNS for each of [`per_object_specs`], each on the embedded
/// catalogue plus `benches/data/molniya-1-83.tle`, prepared for its instant.
pub fn per_object() -> anyhow::Result<Vec<Workload>> {
    per_object_specs()
        .into_iter()
        .map(|(name, norad_id, after_epoch)| scene_workload(name, norad_id, after_epoch))
        .collect()
}

/// The workload called `name`, built alone (a scene's catalogue is loaded
/// only when asked for, so counting one workload's instructions does not
/// depend on the others); `None` if there is none.
pub fn workload(name: &str) -> anyhow::Result<Option<Workload>> {
    if let Some(workload) = fixture_workloads().into_iter().find(|w| w.name == name) {
        return Ok(Some(workload));
    }
    if let Some((name, counting, limiting)) =
        SERVICE_WORKLOADS.into_iter().find(|(n, _, _)| *n == name)
    {
        return through_service(name, counting, limiting).map(Some);
    }
    if name == QUANTISED_SERVICE {
        return quantised_service().map(Some);
    }
    per_object_specs()
        .into_iter()
        .find(|(spec, _, _)| *spec == name)
        .map(|(name, norad_id, after_epoch)| scene_workload(name, norad_id, after_epoch))
        .transpose()
}

/// Every workload's name, in the order of [`workloads`].
pub fn workload_names() -> Vec<&'static str> {
    let fixture = fixture_workloads().into_iter().map(|w| w.name);
    fixture
        .chain(SERVICE_WORKLOADS.into_iter().map(|(name, _, _)| name))
        .chain([QUANTISED_SERVICE])
        .chain(per_object_specs().into_iter().map(|(name, _, _)| name))
        .collect()
}

/// The catalogue files of the per-object scenes.
fn scene_files() -> Vec<PathBuf> {
    let benches = Path::new(env!("CARGO_MANIFEST_DIR"));
    let embedded = benches
        .parent()
        .unwrap_or(benches)
        .join("server/data/default-catalog.tle");
    vec![embedded, benches.join("data/molniya-1-83.tle")]
}

/// LOC with EDNS for `norad_id`, `after_epoch` after its element epoch.
fn scene_workload(
    name: &'static str,
    norad_id: u64,
    after_epoch: TimeDelta,
) -> anyhow::Result<Workload> {
    let files = scene_files();
    let sources: Vec<Source> = files.iter().cloned().map(Source::File).collect();
    let mut catalog = Catalog::load(&sources, &NamingOptions::default())
        .context("loading the per-object catalogue")?
        .catalog;
    let label = norad_id.to_string();
    let object = catalog
        .lookup(label.as_bytes())
        .with_context(|| format!("NORAD {norad_id} is not in the per-object catalogue"))?;
    let now = object.epoch + after_epoch;
    catalog.prepare(now);
    let qname = format!("{norad_id}.sat.example.");
    Ok(Workload {
        name,
        query: query(&qname, LOC, true),
        path: AnswerPath::Fast,
        service: None,
        zone: None,
        scene: Some(Scene {
            files,
            catalog,
            now,
            qname,
        }),
    })
}
