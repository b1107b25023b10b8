//! Wall-clock cost of the answer core per query kind.

use criterion::{Criterion, criterion_group, criterion_main};
use satloc_benches::{Fixture, workloads};

fn bench_answer(c: &mut Criterion) {
    let fixture = Fixture::new().expect("fixture");
    let mut out = Vec::with_capacity(4096);
    let mut group = c.benchmark_group("answer");
    for workload in workloads().expect("workloads") {
        group.bench_function(workload.name, |b| {
            b.iter(|| fixture.answer(&workload, &mut out))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_answer);
criterion_main!(benches);
