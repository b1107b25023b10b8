//! Wall-clock cost of one position: SGP4 (near-earth and deep-space), frame
//! rotation and geodetic conversion, on the embedded catalogue at `NOW` and
//! for each per-object scene (one object per orbit class, fresh and a year
//! old, with the catalogue prepared for the instant as the server prepares it).

use criterion::{Criterion, criterion_group, criterion_main};
use satloc_benches::{Fixture, per_object};

fn bench_fix(c: &mut Criterion) {
    let fixture = Fixture::new().expect("fixture");
    let mut group = c.benchmark_group("fix_at");
    for (name, label) in [
        ("leo_iss", "iss"),
        ("meo_gps", "24876"),
        ("geo_goes", "51850"),
        ("heo_molniya", "25485"),
    ] {
        let object = fixture
            .catalog
            .lookup(label.as_bytes())
            .expect("object in catalogue");
        group.bench_function(name, |b| {
            b.iter(|| object.propagator.fix_at(std::hint::black_box(fixture.now)))
        });
    }
    for workload in per_object().expect("per-object workloads") {
        let scene = workload.scene.as_ref().expect("a per-object scene");
        let label = scene.qname.split('.').next().expect("a label");
        let object = scene
            .catalog
            .lookup(label.as_bytes())
            .expect("object in scene");
        let name = workload.name.trim_start_matches("loc_");
        group.bench_function(name, |b| {
            b.iter(|| object.propagator.fix_at(std::hint::black_box(scene.now)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_fix);
criterion_main!(benches);
