//! CPU profiles written by pprof-rs, checked as their readers would see them.
//!
//! One test function: pprof-rs allows one profiler per process, and tests run in parallel.
#![cfg(feature = "pprof")]

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
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

fn assert_flamegraph(svg: &Path) {
    let drawing = std::fs::read_to_string(svg).unwrap();
    assert!(drawing.contains("<svg"), "not an SVG");
    assert!(
        drawing.contains("satloc_test_spin"),
        "the busy function is in the flamegraph"
    );
}

/// Decodes a gzip'd pprof protobuf and checks the busy function is in it; the sample count.
fn assert_pprof(pb: &Path) -> usize {
    let compressed = std::fs::read(pb).unwrap();
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
    decoded.sample.len()
}

#[test]
fn flamegraph_and_pprof_protobuf_by_extension() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpu-profile");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let svg = dir.join("flamegraph.svg");
    profile_into(&svg);
    assert_flamegraph(&svg);

    let pb = dir.join("profile.pb");
    profile_into(&pb);
    assert_pprof(&pb);

    // Bad paths fail at start, before any time is spent profiling.
    let err = CpuProfile::start(&dir.join("profile.txt")).unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
    let err = CpuProfile::start(&dir.join("missing-dir/profile.svg")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert_eq!(Format::from_path(&pb).unwrap(), Format::PprofProtobuf);

    // Several outputs from one sampling run (`--cpu-profile` given twice).
    let many = [dir.join("many/flamegraph.svg"), dir.join("many/profile.pb")];
    std::fs::create_dir_all(dir.join("many")).unwrap();
    std::fs::write(&many[0], "an earlier flamegraph").unwrap();
    let profile = CpuProfile::start_many(&many).unwrap();
    let outputs: Vec<(PathBuf, Format)> = profile
        .outputs()
        .map(|(path, format)| (path.to_path_buf(), format))
        .collect();
    assert_eq!(
        outputs,
        [
            (many[0].clone(), Format::FlamegraphSvg),
            (many[1].clone(), Format::PprofProtobuf)
        ]
    );
    assert_eq!(
        std::fs::read(&many[0]).unwrap().len(),
        0,
        "emptied at start: an unfinished run leaves no old profile"
    );
    black_box(satloc_test_spin(Duration::from_millis(400)));
    profile.finish().unwrap();
    assert_flamegraph(&many[0]);
    assert!(assert_pprof(&many[1]) > 0);

    // A bad path among several fails at start and leaves the good ones untouched.
    let good = dir.join("many/kept.svg");
    std::fs::write(&good, "kept").unwrap();
    let fresh = dir.join("many/fresh.pb");
    let err = CpuProfile::start_many(&[good.clone(), fresh.clone(), dir.join("nowhere/x.svg")])
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&good).unwrap(), "kept");
    assert!(!fresh.exists());
    let err = CpuProfile::start_many(&[good.clone(), good.clone()]).unwrap_err();
    assert!(matches!(err, Error::DuplicateOutput { .. }), "{err}");
    let none: [PathBuf; 0] = [];
    assert!(matches!(
        CpuProfile::start_many(&none).unwrap_err(),
        Error::NoOutputs
    ));
}
