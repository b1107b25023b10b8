//! CPU profiles written by pprof-rs, checked as their readers would see them.
//!
//! One test function: pprof-rs allows one profiler per process, and tests run in parallel.
#![cfg(feature = "pprof")]

use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use satloc_profiling::cpu::{CpuProfile, Error, Format};

/// A function with a name to look for in the profile.
#[inline(never)]
fn satloc_test_spin(budget: Duration) -> u64 {
    let start = Instant::now();
    let mut h = 1_u64;
    while start.elapsed() < budget {
        for i in 0..10_000 {
            h = black_box(h.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i);
        }
    }
    h
}

fn profile_into(path: &Path) {
    let profile = CpuProfile::start(path).unwrap();
    black_box(satloc_test_spin(Duration::from_millis(400)));
    profile.finish().unwrap();
}

#[test]
fn flamegraph_and_pprof_protobuf_by_extension() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpu-profile");
    std::fs::create_dir_all(&dir).unwrap();

    let svg = dir.join("flamegraph.svg");
    profile_into(&svg);
    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.contains("<svg"), "not an SVG");
    assert!(
        drawing.contains("satloc_test_spin"),
        "the busy function is in the flamegraph"
    );

    let pb = dir.join("profile.pb");
    profile_into(&pb);
    let compressed = std::fs::read(&pb).unwrap();
    assert_eq!(
        &compressed[..2],
        &[0x1f, 0x8b],
        "gzip, as the pprof tools write it"
    );
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut bytes)
        .unwrap();
    let decoded: pprof::protos::Profile = pprof::protos::Message::parse_from_bytes(&bytes).unwrap();
    assert!(!decoded.sample.is_empty(), "samples were taken");
    assert!(
        decoded
            .string_table
            .iter()
            .any(|s| s.contains("satloc_test_spin")),
        "the busy function is named"
    );

    // Bad paths fail at start, before any time is spent profiling.
    let err = CpuProfile::start(&dir.join("profile.txt")).unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
    let err = CpuProfile::start(&dir.join("missing-dir/profile.svg")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert_eq!(Format::from_path(&pb).unwrap(), Format::PprofProtobuf);
}
