//! Wall-clock cost of one position: SGP4 (near-earth and deep-space), frame
//! rotation and geodetic conversion.

use criterion::{Criterion, criterion_group, criterion_main};
use satloc_benches::Fixture;

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
    group.finish();
}

criterion_group!(benches, bench_fix);
criterion_main!(benches);
