//! Preparing the resonance integrator (`Catalog::prepare`, `Propagator::prepare`)
//! changes what a position costs, never what it is: for every deep-space orbit
//! in the Vallado verification set and the catalogues here (GEO, GPS, 12-hour
//! Molniyas), from before the epoch to twenty years past it, a prepared
//! propagator gives bit-for-bit the position of one that integrates from the
//! epoch -- at the instant prepared for, inside the window around it, past its
//! end, and before its start -- and the service answers the same bytes while
//! prepared catalogues are swapped in.

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};
use satloc_server::answer::AnswerPath;
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::clock::Clock;
use satloc_server::engine::{Handler, Protocol};
use satloc_server::ephemeris::Propagator;
use satloc_server::loc::LOC;
use satloc_server::service::Service;
use satloc_server::synthetic::PlantedCost;
use satloc_server::testing::{TEST_CLIENT_ADDR, TestQuery, test_client};
use satloc_server::zone::Zone;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every element set of the Vallado set that the TLE parser takes.
fn vallado() -> Vec<(String, sgp4::Elements)> {
    let path = manifest_dir().join("tests/fixtures/vallado/SGP4-VER.TLE");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    lines
        .chunks(2)
        .filter_map(|pair| {
            let [l1, l2] = pair else { return None };
            let elements =
                sgp4::Elements::from_tle(None, &l1.as_bytes()[..69], &l2.as_bytes()[..69]).ok()?;
            Some((format!("Vallado {}", elements.norad_id), elements))
        })
        .collect()
}

/// The embedded catalogue (GPS, GOES 18, Molniya 1-91), the GEO and MEO
/// fixtures, and MOLNIYA 1-83 (12-hour resonance).
fn catalogue_sources() -> Vec<Source> {
    let catalogs = manifest_dir().join("tests/fixtures/catalogs");
    vec![
        Source::Embedded,
        Source::File(catalogs.join("geo.tle")),
        Source::File(catalogs.join("meo.tle")),
        Source::File(manifest_dir().join("../benches/data/molniya-1-83.tle")),
    ]
}

/// Instants from the epoch to check a propagator at, having prepared it for
/// `at`: the instant itself, inside the window, past it and before it.
fn instants_around(at: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    [
        TimeDelta::zero(),
        TimeDelta::minutes(1),
        TimeDelta::hours(11) + TimeDelta::minutes(59),
        TimeDelta::hours(12),
        TimeDelta::days(3),
        TimeDelta::days(7) + TimeDelta::hours(5),
        TimeDelta::days(40),
        -TimeDelta::hours(13),
        -TimeDelta::days(1),
        -TimeDelta::days(5),
    ]
    .into_iter()
    .map(|offset| at + offset)
    .collect()
}

/// Where to prepare for, in days from the epoch.
const PREPARED_AT_DAYS: [i64; 10] = [-400, -3, 0, 1, 6, 30, 365, 3 * 365, 10 * 365, 20 * 365];

/// How many instants gave a position, and how many the same propagation error.
#[derive(Debug, Default)]
struct Compared {
    positions: usize,
    failures: usize,
}

impl std::ops::AddAssign for Compared {
    fn add_assign(&mut self, other: Self) {
        self.positions += other.positions;
        self.failures += other.failures;
    }
}

/// `prepared` is prepared for each of [`PREPARED_AT_DAYS`] in turn; `reference`
/// never is.
fn compare(what: &str, prepared: &mut Propagator, reference: &Propagator) -> Compared {
    let mut compared = Compared::default();
    for days in PREPARED_AT_DAYS {
        let at = prepared.epoch() + TimeDelta::days(days);
        prepared.prepare(at);
        for instant in instants_around(at) {
            let position = prepared.fix_at(instant);
            assert_eq!(
                position,
                reference.fix_at(instant),
                "{what}: prepared for {at}, asked at {instant}"
            );
            if position.is_ok() {
                compared.positions += 1;
            } else {
                compared.failures += 1;
            }
        }
    }
    compared
}

#[test]
fn prepared_positions_are_those_integrated_from_the_epoch() {
    let mut compared = Compared::default();
    let mut objects = 0;
    for (what, elements) in vallado() {
        let mut prepared = Propagator::new(&elements).unwrap();
        let reference = Propagator::new(&elements).unwrap();
        compared += compare(&what, &mut prepared, &reference);
        objects += 1;
    }
    let catalog = Catalog::load(&catalogue_sources(), &NamingOptions::default())
        .unwrap()
        .catalog;
    for object in catalog.objects() {
        // The catalogue's own propagator is never prepared here: it integrates
        // from the epoch.
        let mut prepared = object.propagator.clone();
        let what = format!("{} ({})", object.name, object.norad_id);
        compared += compare(&what, &mut prepared, &object.propagator);
        objects += 1;
    }
    eprintln!("{objects} element sets: {compared:?}");
    assert!(objects >= 35, "only {objects} element sets");
    assert!(compared.positions > 3000, "{compared:?}");
}

/// Answers while the catalogue moves on: several threads answer LOC for GOES 18
/// and MOLNIYA 1-83 through the service while another swaps in clones
/// prepared for later and later instants (as the server's `keep_prepared`
/// does); every answer is the one an unprepared catalogue gives.
#[test]
fn answers_stay_exact_while_prepared_catalogues_are_swapped_in() {
    let catalog = Catalog::load(&catalogue_sources(), &NamingOptions::default())
        .unwrap()
        .catalog;
    let now: DateTime<Utc> = "2026-11-28T12:00:00Z".parse().unwrap();
    let zone = Zone::new("sat.example.").unwrap();
    let queries: Vec<Vec<u8>> = ["51850.sat.example.", "21897.sat.example."]
        .iter()
        .map(|name| TestQuery::new(name, LOC).edns(1232).to_bytes())
        .collect();
    let expected: Vec<Vec<u8>> = queries
        .iter()
        .map(|query| {
            let mut out = Vec::new();
            AnswerPath::Fast.answer(
                query,
                Protocol::Udp,
                &test_client(),
                &zone,
                &catalog,
                now,
                &mut out,
            );
            out
        })
        .collect();
    let service = Service::new(
        zone,
        Clock::Frozen(now),
        catalog.clone(),
        AnswerPath::Fast,
        PlantedCost::default(),
    );
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for days in (-30..=30).step_by(3) {
                let current = service.catalog();
                let mut next = Catalog::clone(&current);
                next.prepare(now + TimeDelta::days(days));
                assert!(service.replace_catalog_if(&current, next));
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                let mut out = Vec::new();
                for round in 0..2_000 {
                    let which = round % queries.len();
                    service.handle(&queries[which], Protocol::Udp, TEST_CLIENT_ADDR, &mut out);
                    assert_eq!(out, expected[which], "round {round}");
                }
            });
        }
    });
}
