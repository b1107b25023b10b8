//! Preparing the resonance integrator (`Catalog::prepare`, `Propagator::prepare`)
//! changes what a position costs, never what it is: for every deep-space orbit
//! in the Vallado verification set and the catalogues here (GEO, GPS, 12-hour
//! Molniyas), from before the epoch to twenty years past it, a prepared
//! propagator gives bit-for-bit the position of one that integrates from the
//! epoch -- at the instant prepared for, inside the window around it, past its
//! end, and before its start.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use satloc_server::catalog::{Catalog, NamingOptions, Source};
use satloc_server::ephemeris::Propagator;

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
fn compare(what: &str, prepared: &Propagator, reference: &Propagator) -> Compared {
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
        let prepared = Propagator::new(&elements).unwrap();
        let reference = Propagator::new(&elements).unwrap();
        compared += compare(&what, &prepared, &reference);
        objects += 1;
    }
    let catalog = Catalog::load(&catalogue_sources(), &NamingOptions::default())
        .unwrap()
        .catalog;
    for object in catalog.objects() {
        // A clone taken before any preparing integrates from the epoch.
        let reference = object.propagator.clone();
        let what = format!("{} ({})", object.name, object.norad_id);
        compared += compare(&what, &object.propagator, &reference);
        objects += 1;
    }
    eprintln!("{objects} element sets: {compared:?}");
    assert!(objects >= 35, "only {objects} element sets");
    assert!(compared.positions > 3000, "{compared:?}");
}

/// Answers while the window moves: several threads ask for positions while
/// another prepares for instants further and further on; every position is
/// the one integrated from the epoch.
#[test]
fn positions_stay_exact_while_another_thread_prepares() {
    let catalog = Catalog::load(&catalogue_sources(), &NamingOptions::default())
        .unwrap()
        .catalog;
    let molniya = catalog.lookup(b"21897").unwrap();
    let reference = Arc::new(molniya.propagator.clone());
    let prepared = Arc::new(molniya.propagator.clone());
    let epoch = molniya.epoch;
    std::thread::scope(|scope| {
        let preparer = Arc::clone(&prepared);
        scope.spawn(move || {
            for day in (0..=730).step_by(5) {
                preparer.prepare(epoch + TimeDelta::days(day));
            }
        });
        for thread in 0..3 {
            let (prepared, reference) = (Arc::clone(&prepared), Arc::clone(&reference));
            scope.spawn(move || {
                for hour in (thread..730 * 24).step_by(97) {
                    let at = epoch + TimeDelta::hours(hour);
                    assert_eq!(prepared.fix_at(at), reference.fix_at(at), "at {at}");
                }
            });
        }
    });
}
