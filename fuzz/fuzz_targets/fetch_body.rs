//! Fuzzes the path of a fetched HTTP body after the transport (which caps its
//! size, `--fetch-max-bytes`): validation into a source's contents
//! (`fetch::validate::parse_body`: UTF-8, not empty, every entry parses), then
//! the offer to the catalogue in service (`fetch::sources::LiveCatalog::offer`:
//! the shrink check, the union, preparing, the swap), as the fetcher does.
//!
//! Whatever the body, nothing may panic and:
//! * validation refuses an empty, blank or non-UTF-8 body, and one with any
//!   entry the detected format's parser could not read, naming that parser's
//!   first problem; it accepts exactly what that parser read whole;
//! * an accepted body is refused by the shrink check exactly when it has fewer
//!   than half the objects of the last good one, and then the catalogue in
//!   service is the last good one, untouched;
//! * a catalogue that is swapped in holds the body's objects (those SGP4
//!   takes), is prepared for now, and every object in it propagates at its
//!   epoch and is answered, the same by the fast and the hickory path, within
//!   the UDP limit.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run fetch_body -- -max_total_time=300

#![no_main]

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use satloc_fuzz::{check_elements, last_line, parse_checked};
use satloc_server::answer::{AnswerPath, Client};
use satloc_server::catalog::{Catalog, Format, NamingOptions, Source, SourceContents};
use satloc_server::clock::Clock;
use satloc_server::engine::{Outcome, Protocol};
use satloc_server::fetch::sources::{LiveCatalog, Refused, SourceSet};
use satloc_server::fetch::stats::RefreshStats;
use satloc_server::fetch::validate::{BodyError, object_count, parse_body};
use satloc_server::loc::LOC;
use satloc_server::service::Service;
use satloc_server::synthetic::PlantedCost;
use satloc_server::testing::{TEST_SECRET, TestQuery};
use satloc_server::zone::Zone;

/// The instant the service answers for (the tests' frozen `--now`).
const NOW: &str = "2026-11-28T12:00:00Z";
/// The URL the body came from.
const URL: &str = "https://celestrak.example/gp.php?GROUP=fuzz&FORMAT=tle";
/// Objects in the URL's last good contents: three, so a body with one object
/// is refused as shrunk and one with two is taken.
const LAST_GOOD_OBJECTS: usize = 3;

/// The URL's last good contents (the first objects of the embedded snapshot)
/// and the catalogue they make, built once.
fn last_good() -> &'static (SourceContents, Catalog) {
    static LAST_GOOD: OnceLock<(SourceContents, Catalog)> = OnceLock::new();
    LAST_GOOD.get_or_init(|| {
        let mut contents = Source::Embedded.read().unwrap();
        contents.source = Source::Url(URL.to_owned());
        contents.entries.truncate(LAST_GOOD_OBJECTS);
        assert_eq!(object_count(&contents), LAST_GOOD_OBJECTS);
        let mut catalog = Catalog::build(vec![contents.clone()], &NamingOptions::default())
            .unwrap()
            .catalog;
        catalog.prepare(now());
        (contents, catalog)
    })
}

fn now() -> DateTime<Utc> {
    Clock::frozen_at(NOW).unwrap().now()
}

fuzz_target!(|body: &[u8]| {
    let source = Source::Url(URL.to_owned());
    let result = parse_body(source.clone(), body);
    check_validation(body, &result);
    if let Ok(contents) = result {
        assert_eq!(contents.source, source);
        offer(contents);
    }
});

/// Validation agrees with the parser of the detected format, and refuses what
/// it must.
fn check_validation(body: &[u8], result: &Result<SourceContents, BodyError>) {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(err) => {
            assert!(
                matches!(result, Err(BodyError::NotText { offset }) if *offset == err.valid_up_to()),
                "a body that is not UTF-8 (bad at {}) gave {result:?}",
                err.valid_up_to()
            );
            return;
        }
    };
    if text.trim().is_empty() {
        assert!(
            matches!(result, Err(BodyError::Empty)),
            "a blank body gave {result:?}"
        );
        return;
    }
    let format = Format::detect(text);
    let (entries, errors) = parse_checked(format, text);
    match result {
        Ok(contents) => {
            assert!(errors.is_empty() && !entries.is_empty());
            for entry in &entries {
                check_elements(format, entry);
            }
            assert_eq!(
                format!("{:?}", contents.entries),
                format!("{entries:?}"),
                "validation kept other entries than the {format:?} parser read"
            );
        }
        Err(BodyError::BadEntries { line, message, .. }) => {
            assert!((1..=last_line(text)).contains(line));
            assert_eq!((*line, message), (errors[0].line, &errors[0].message));
        }
        Err(BodyError::NoEntries) => assert!(entries.is_empty() && errors.is_empty()),
        Err(other) => panic!("UTF-8 text that is not blank gave {other}"),
    }
}

/// Offers accepted contents to the catalogue in service, as the fetcher does,
/// and checks what it serves afterwards.
fn offer(contents: SourceContents) {
    let (last_contents, last_catalog) = last_good();
    let mut set = SourceSet::new(NamingOptions::default());
    let id = set.add(
        Source::Url(URL.to_owned()),
        Some(last_contents.clone()),
        None,
    );
    let service = Arc::new(Service::new(
        Zone::new("sat.example.").unwrap(),
        Clock::frozen_at(NOW).unwrap(),
        last_catalog.clone(),
        AnswerPath::Fast,
        PlantedCost::calibrate(0),
    ));
    let before = service.catalog();
    let live = LiveCatalog::new(
        Arc::clone(&service),
        set,
        Arc::new(RefreshStats::default()),
        false,
        &[],
    );
    let objects = object_count(&contents);
    let ids: Vec<u64> = contents
        .entries
        .iter()
        .map(|e| e.elements.norad_id)
        .collect();
    match live.offer(id, contents, now(), false) {
        Err(Refused::Shrunk(shrunk)) => {
            assert!(objects * 2 < LAST_GOOD_OBJECTS, "{shrunk} with {objects}");
            assert!(
                Arc::ptr_eq(&before, &service.catalog()),
                "a refused body changed the catalogue in service"
            );
        }
        Err(Refused::Catalog(err)) => panic!("no aliases, no apex, yet {err}"),
        Ok(accepted) => {
            assert!(objects * 2 >= LAST_GOOD_OBJECTS);
            assert_eq!(accepted.objects, objects);
            check_served(&service, &ids, accepted.total);
        }
    }
}

/// The catalogue in service after a swap: only the body's objects, prepared,
/// each propagated at its epoch and answered for now.
fn check_served(service: &Service, ids: &[u64], total: usize) {
    let catalog = service.catalog();
    assert_eq!(catalog.objects().len(), total);
    assert!(catalog.is_prepared_for(now()));
    let zone = service.zone();
    let mut fast = Vec::new();
    let mut reference = Vec::new();
    for object in catalog.objects() {
        assert!(
            ids.contains(&object.norad_id),
            "NORAD {} came from nowhere",
            object.norad_id
        );
        let _ = object.propagator.fix_at(object.epoch);
        let query = TestQuery::new(&format!("{}.sat.example.", object.norad_id), LOC)
            .edns(1232)
            .to_bytes();
        let client = Client {
            addr: std::net::IpAddr::from([192, 0, 2, 1]),
            secret: &TEST_SECRET,
        };
        let answered = AnswerPath::Fast.answer(
            &query,
            Protocol::Udp,
            &client,
            zone,
            &catalog,
            now(),
            &mut fast,
        );
        assert_eq!(answered.outcome, Outcome::Respond);
        assert!(fast.len() <= 1232);
        AnswerPath::Hickory.answer(
            &query,
            Protocol::Udp,
            &client,
            zone,
            &catalog,
            now(),
            &mut reference,
        );
        assert_eq!(
            fast, reference,
            "NORAD {}: the fast and hickory paths disagree",
            object.norad_id
        );
    }
}
