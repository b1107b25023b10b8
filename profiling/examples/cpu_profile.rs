//! `CpuProfile` on a program whose profile is known: one function does three times the work of
//! the other, so a flamegraph or `pprof -top` should show about 75 % and 25 %.
//!
//! ```text
//! cargo run --profile profiling -p satloc-profiling --features pprof --example cpu_profile -- out.svg 2
//! cargo run --profile profiling -p satloc-profiling --features pprof --example cpu_profile -- out.pb 2
//! go tool pprof -top out.pb
//! ```

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use satloc_profiling::cpu::CpuProfile;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), seconds) = (args.next().map(PathBuf::from), args.next()) else {
        eprintln!("usage: cpu_profile OUT.svg|OUT.pb [SECONDS [HZ]]");
        return ExitCode::from(2);
    };
    let seconds: u64 = seconds.and_then(|s| s.parse().ok()).unwrap_or(2);
    let frequency_hz = args
        .next()
        .and_then(|f| f.parse().ok())
        .unwrap_or(satloc_profiling::cpu::DEFAULT_FREQUENCY_HZ);
    let profile = match CpuProfile::start_with_frequency(&path, frequency_hz) {
        Ok(profile) => profile,
        Err(err) => {
            eprintln!("cpu_profile: {err}");
            return ExitCode::FAILURE;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut state = 1;
    while Instant::now() < deadline {
        state = cheap_quarter(state);
        state = costly_three_quarters(state);
    }
    black_box(state);
    match profile.finish() {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("cpu_profile: {err}");
            ExitCode::FAILURE
        }
    }
}

#[inline(never)]
fn cheap_quarter(seed: u64) -> u64 {
    let mut h = seed;
    for i in 0..100_000 {
        h = black_box(h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7) ^ i);
    }
    h
}

#[inline(never)]
fn costly_three_quarters(seed: u64) -> u64 {
    let mut h = seed;
    for i in 0..300_000 {
        h = black_box(h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7) ^ i);
    }
    h
}
