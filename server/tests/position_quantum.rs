//! `--position-quantum`: the position served is the one at the nearest
//! quantum boundary, within the stated distance of the exact one for every
//! orbit class; it is remembered per object, shared correctly by several
//! threads, and never outlives the catalogue it was computed from.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use satloc_server::answer::{AnswerPath, CookieSecret};
use satloc_server::catalog::{Catalog, NamingOptions, SatObject, Source};
use satloc_server::clock::Clock;
use satloc_server::engine::{Handler, Protocol};
use satloc_server::ephemeris::GeodeticFix;
use satloc_server::loc::LOC;
use satloc_server::position::{locate, locate_in};
use satloc_server::quantum::PositionQuantum;
use satloc_server::service::Service;
use satloc_server::synthetic::PlantedCost;
use satloc_server::testing::{TEST_CLIENT_ADDR, TestQuery};
use satloc_server::zone::Zone;

/// One object per orbit class: (class, NORAD number).
const OBJECTS: [(&str, u64); 4] = [
    ("leo", 25544), // ISS
    ("meo", 24876), // GPS BIIR-2 (PRN 13)
    ("geo", 51850), // GOES 18
    ("heo", 21897), // MOLNIYA 1-83 (benches/data)
];

fn catalog() -> Catalog {
    let molniya =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../benches/data/molniya-1-83.tle");
    Catalog::load(
        &[Source::Embedded, Source::File(molniya)],
        &NamingOptions::default(),
    )
    .unwrap()
    .catalog
}

fn quantum(ms: u64) -> PositionQuantum {
    PositionQuantum::new(Duration::from_millis(ms))
        .unwrap()
        .unwrap()
}

fn zone_with(quantum: Option<PositionQuantum>) -> Zone {
    let mut zone = Zone::new("sat.example.").unwrap();
    zone.position_quantum = quantum;
    zone
}

/// Earth-centred, Earth-fixed coordinates of a geodetic fix, metres (WGS84).
fn ecef_m(fix: &GeodeticFix) -> [f64; 3] {
    let a = 6_378_137.0;
    let f = 1.0 / 298.257_223_563;
    let e2 = f * (2.0 - f);
    let (lat, lon) = (fix.lat_deg.to_radians(), fix.lon_deg.to_radians());
    let n = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    [
        (n + fix.alt_m) * lat.cos() * lon.cos(),
        (n + fix.alt_m) * lat.cos() * lon.sin(),
        (n * (1.0 - e2) + fix.alt_m) * lat.sin(),
    ]
}

fn distance_m(a: &GeodeticFix, b: &GeodeticFix) -> f64 {
    let (p, q) = (ecef_m(a), ecef_m(b));
    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

fn object(catalog: &Catalog, norad_id: u64) -> &SatObject {
    catalog.lookup(norad_id.to_string().as_bytes()).unwrap()
}

#[test]
fn quantised_positions_are_within_the_stated_bound_for_every_orbit_class() {
    let catalog = catalog();
    for ms in [10, 100, 1_000, 10_000] {
        let q = quantum(ms);
        let zone = zone_with(Some(q));
        for (class, norad_id) in OBJECTS {
            let object = object(&catalog, norad_id);
            let start = object.epoch + TimeDelta::hours(1);
            // Offsets across a quantum, including the worst, just under half.
            for step in 0..=20 {
                let offset_ns = i64::try_from(ms).unwrap() * 1_000_000 * step / 20 - 1;
                let now = start + TimeDelta::nanoseconds(offset_ns);
                let exact = locate(object, &zone.precision, now).unwrap();
                let served = locate_in(&zone, object, now).unwrap();
                let bound = q.error_bound_m(exact.fix.speed_km_s, exact.fix.alt_m);
                let off = distance_m(&exact.fix, &served.fix);
                assert!(
                    off <= bound,
                    "{class} at {now}, quantum {ms} ms: {off:.1} m off, bound {bound:.1} m"
                );
                // And it is exactly the position at the nearest boundary.
                let boundary = q.nearest_boundary(now).unwrap();
                assert_eq!(served, locate(object, &zone.precision, boundary).unwrap());
            }
        }
    }
}

#[test]
fn the_bound_is_not_loose_for_leo() {
    // The bound should be tight enough to mean something: half a quantum of
    // the ISS's Earth-fixed motion is at least three-quarters of it.
    let catalog = catalog();
    let q = quantum(1_000);
    let zone = zone_with(Some(q));
    let object = object(&catalog, 25544);
    let boundary: DateTime<Utc> = "2026-11-28T12:00:00Z".parse().unwrap();
    let now = boundary + TimeDelta::milliseconds(499);
    let exact = locate(object, &zone.precision, now).unwrap();
    let served = locate_in(&zone, object, now).unwrap();
    let bound = q.error_bound_m(exact.fix.speed_km_s, exact.fix.alt_m);
    let off = distance_m(&exact.fix, &served.fix);
    assert!(off > 0.75 * bound, "{off:.1} m off, bound {bound:.1} m");
}

#[test]
fn without_a_quantum_positions_are_exact() {
    let catalog = catalog();
    let zone = zone_with(None);
    let object = object(&catalog, 25544);
    let now: DateTime<Utc> = "2026-11-28T12:00:00.037Z".parse().unwrap();
    assert_eq!(
        locate_in(&zone, object, now).unwrap(),
        locate(object, &zone.precision, now).unwrap()
    );
}

#[test]
fn a_remembered_position_depends_on_the_precision_model() {
    // One catalogue asked through two zones: the memo must not hand the
    // first zone's LOC precision to the second.
    let catalog = catalog();
    let object = object(&catalog, 25544);
    let now: DateTime<Utc> = "2026-11-28T12:00:00.037Z".parse().unwrap();
    let by_age = zone_with(Some(quantum(100)));
    let mut fixed = zone_with(Some(quantum(100)));
    fixed.precision = satloc_server::zone::PrecisionModel::parse_fixed("1,10,10").unwrap();
    let first = locate_in(&by_age, object, now).unwrap();
    let second = locate_in(&fixed, object, now).unwrap();
    let at = quantum(100).nearest_boundary(now).unwrap();
    assert_eq!(first, locate(object, &by_age.precision, at).unwrap());
    assert_eq!(second, locate(object, &fixed.precision, at).unwrap());
    assert_ne!(first.loc, second.loc);
}

fn loc_query(name: &str) -> Vec<u8> {
    TestQuery::new(name, LOC).id(7).edns(1232).to_bytes()
}

fn service(catalog: Catalog, now: DateTime<Utc>) -> Service {
    Service::new(
        zone_with(Some(quantum(100))),
        Clock::Frozen(now),
        catalog,
        AnswerPath::Fast,
        PlantedCost::default(),
    )
    .with_cookie_secret(CookieSecret::new([1; 16]))
}

/// What the service without a quantum answers at the boundary instant.
fn exact_answer(catalog: Catalog, at: DateTime<Utc>, query: &[u8]) -> Vec<u8> {
    let exact = Service::new(
        zone_with(None),
        Clock::Frozen(at),
        catalog,
        AnswerPath::Fast,
        PlantedCost::default(),
    );
    let mut out = Vec::new();
    exact.handle(query, Protocol::Udp, TEST_CLIENT_ADDR, &mut out);
    out
}

#[test]
fn several_threads_share_the_memo_and_all_get_the_boundary_answer() {
    let now: DateTime<Utc> = "2026-11-28T12:00:00.037Z".parse().unwrap();
    let at = quantum(100).nearest_boundary(now).unwrap();
    let service = Arc::new(service(catalog(), now));
    let names = [
        "iss.sat.example.",
        "25544.sat.example.",
        "24876.sat.example.",
    ];
    let expected: Vec<Vec<u8>> = names
        .iter()
        .map(|name| exact_answer(catalog(), at, &loc_query(name)))
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let service = Arc::clone(&service);
            let expected = expected.clone();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for round in 0..500 {
                    let i = round % names.len();
                    service.handle(
                        &loc_query(names[i]),
                        Protocol::Udp,
                        TEST_CLIENT_ADDR,
                        &mut out,
                    );
                    assert_eq!(out, expected[i], "{} in round {round}", names[i]);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn a_reload_never_serves_a_position_from_the_old_elements() {
    let now: DateTime<Utc> = "2026-11-28T12:00:00.037Z".parse().unwrap();
    let at = quantum(100).nearest_boundary(now).unwrap();
    let service = service(catalog(), now);
    let query = loc_query("25544.sat.example.");
    let mut before = Vec::new();
    service.handle(&query, Protocol::Udp, TEST_CLIENT_ADDR, &mut before);
    assert_eq!(before, exact_answer(catalog(), at, &query));

    // Other elements for the ISS (a quarter of an orbit on), as a reload
    // from a newer source brings.
    let omm = r#"[{"OBJECT_NAME": "ISS (ZARYA)", "OBJECT_ID": "1998-067A",
        "EPOCH": "2025-11-29T20:01:43.358144", "MEAN_MOTION": 15.49193835,
        "ECCENTRICITY": 0.0003723, "INCLINATION": 51.6312, "RA_OF_ASC_NODE": 206.3646,
        "ARG_OF_PERICENTER": 184.1118, "MEAN_ANOMALY": 265.984, "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": 25544, "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 54085, "BSTAR": 0.00015237, "MEAN_MOTION_DOT": 8.01e-05,
        "MEAN_MOTION_DDOT": 0.0}]"#;
    let dir = std::env::temp_dir().join(format!("satloc-quantum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("iss.json");
    std::fs::write(&file, omm).unwrap();
    let reloaded = || {
        Catalog::load(&[Source::File(file.clone())], &NamingOptions::default())
            .unwrap()
            .catalog
    };
    service.replace_catalog(reloaded());
    let mut after = Vec::new();
    service.handle(&query, Protocol::Udp, TEST_CLIENT_ADDR, &mut after);
    let expected = exact_answer(reloaded(), at, &query);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_ne!(after, before, "the new elements put the ISS elsewhere");
    assert_eq!(after, expected);
}
