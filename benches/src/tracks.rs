//! A large catalogue for the ground-track bench (`benches/tracks.rs`): the
//! embedded catalogue's orbits, each copied many times at other points of its
//! orbit and over other longitudes, so the work per object is that of real
//! orbits (four low, one MEO, one Molniya, one geostationary) and the count
//! that of a large public catalogue.

use satloc_server::catalog::{Catalog, EMBEDDED_CATALOG, NamingOptions, Source, SourceContents};

/// How many objects the bench's catalogue has: what mapping "everything"
/// in a large public catalogue means.
pub const LARGE_CATALOG_OBJECTS: usize = 10_000;

/// First NORAD number of the copies (beyond today's catalogue).
const FIRST_SYNTHETIC_ID: u64 = 900_000;

/// `count` objects: copy `i` of embedded object `i % 7` with its mean
/// anomaly and node turned by a golden-ratio step, so the copies spread over
/// the orbit and the globe instead of sitting on one another.
pub fn large_catalog(count: usize) -> anyhow::Result<Catalog> {
    let embedded = SourceContents::parse(Source::Embedded, EMBEDDED_CATALOG);
    anyhow::ensure!(
        !embedded.entries.is_empty(),
        "the embedded catalogue has no entries"
    );
    let golden_deg = 360.0 * 0.618_033_988_749_895;
    let entries = (0..count)
        .map(|i| {
            let mut entry = embedded.entries[i % embedded.entries.len()].clone();
            let turn = golden_deg * i as f64;
            let elements = &mut entry.elements;
            elements.norad_id = FIRST_SYNTHETIC_ID + i as u64;
            elements.object_name = Some(format!("SYNTHETIC {i}"));
            elements.mean_anomaly = (elements.mean_anomaly + turn).rem_euclid(360.0);
            elements.right_ascension = (elements.right_ascension + turn / 7.0).rem_euclid(360.0);
            entry
        })
        .collect();
    let contents = SourceContents {
        source: Source::Embedded,
        entries,
        errors: Vec::new(),
    };
    Ok(Catalog::build(vec![contents], &NamingOptions::default())?.catalog)
}
