//! Runs one workload of the answer core a fixed number of times, for
//! instruction counting under `valgrind --tool=callgrind`.
//!
//! `satloc-icount WORKLOAD ITERATIONS` -- see `scripts/bench-icount.sh`.
//! `satloc-icount --scenes` lists the per-object workloads as
//! `name<TAB>qname<TAB>instant<TAB>catalogue files`, so a script can ask a
//! real server the same questions (`scripts/per-object.sh`).

use std::process::ExitCode;

use chrono::SecondsFormat;
use satloc_benches::{Fixture, Workload, per_object, workload, workload_names};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--scenes") {
        return match per_object() {
            Ok(all) => {
                print_scenes(&all);
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        };
    }
    let names = workload_names();
    let (Some(name), Some(iterations)) =
        (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!(
            "usage: satloc-icount WORKLOAD ITERATIONS\nworkloads: {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let workload = match workload(name) {
        Ok(Some(workload)) => workload,
        Ok(None) => {
            eprintln!(
                "satloc-icount: error: unknown workload {name:?}; known: {}",
                names.join(", ")
            );
            return ExitCode::from(2);
        }
        Err(err) => return fail(&err),
    };
    let fixture = match Fixture::new() {
        Ok(fixture) => fixture,
        Err(err) => return fail(&err),
    };
    let mut out = Vec::with_capacity(4096);
    // One answer before counting, in the run with no iterations too, so it
    // cancels out: the quantised workloads then count memo hits.
    fixture.answer(&workload, &mut out);
    let mut bytes = 0usize;
    for _ in 0..iterations {
        fixture.answer(&workload, &mut out);
        bytes += out.len();
    }
    println!("{name}: {iterations} answers, {bytes} bytes");
    ExitCode::SUCCESS
}

fn print_scenes(all: &[Workload]) {
    for workload in all {
        let Some(scene) = &workload.scene else {
            continue;
        };
        let files: Vec<String> = scene
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        println!(
            "{}\t{}\t{}\t{}",
            workload.name,
            scene.qname,
            scene.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            files.join(" ")
        );
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("satloc-icount: error: {err:#}");
    ExitCode::FAILURE
}
