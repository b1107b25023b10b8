//! Ground tracks of a large catalogue (`satloc_benches::tracks`), one after
//! the other and in parallel with rayon as the map's `/api/tracks` computes
//! them (`satloc_server::map::track::ground_tracks`). Criterion's throughput
//! is in tracks ("elem") per second; `scripts/bench-tracks.sh` runs this and
//! prints both figures (README, "A live map").

use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use satloc_benches::NOW;
use satloc_benches::tracks::{LARGE_CATALOG_OBJECTS, large_catalog};
use satloc_server::catalog::SatObject;
use satloc_server::map::track::{GroundTrack, TrackSpan, ground_track, ground_tracks};

/// What the page asks for a picked object: 90 minutes (one low orbit) at a
/// point a minute, 91 points a track.
fn span(now: DateTime<Utc>) -> TrackSpan {
    TrackSpan {
        start: now,
        minutes: Some(90),
        step_s: 60,
    }
}

fn serial(objects: &[&SatObject], span: &TrackSpan) -> Vec<GroundTrack> {
    objects
        .iter()
        .map(|object| ground_track(object, span))
        .collect()
}

fn bench_tracks(c: &mut Criterion) {
    let now: DateTime<Utc> = NOW.parse().expect("NOW");
    let mut catalog = large_catalog(LARGE_CATALOG_OBJECTS).expect("large catalogue");
    // As the server does before it serves a catalogue.
    catalog.prepare(now);
    let objects: Vec<&SatObject> = catalog.objects().iter().collect();
    let span = span(now);
    let mut group = c.benchmark_group("ground_tracks");
    // One iteration is ~10^6 propagations: ten samples are plenty, and keep
    // the run to a minute on a small machine.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(objects.len() as u64));
    group.bench_function("serial", |b| {
        b.iter(|| serial(std::hint::black_box(&objects), &span))
    });
    group.bench_function("rayon", |b| {
        b.iter(|| ground_tracks(std::hint::black_box(&objects), &span))
    });
    group.finish();
    println!(
        "({} objects, {} points a track, {} rayon threads)",
        objects.len(),
        span.points_in(90),
        rayon::current_num_threads()
    );
}

criterion_group!(benches, bench_tracks);
criterion_main!(benches);
