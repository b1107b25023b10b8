//! A program whose causal profile is known in advance, for checking coz, the facade and the
//! report end to end, and for producing the committed `prof/tests/fixtures/*.coz`.
//!
//! One thread serves a closed loop of `IN_FLIGHT` requests. Each request costs one call to
//! `cheap` (about a quarter of the work) and one to `costly` (about three quarters), so:
//!
//! - speeding up `costly`'s loop by `s` should speed the program up by about `0.75 s`,
//!   `cheap`'s by about `0.25 s`;
//! - the latency of a request is `IN_FLIGHT` periods (Little's law), so it falls by the same
//!   fractions.
//!
//! Run it (prof/tests/fixtures/README.md has the exact commands):
//!
//! ```text
//! cargo build --profile profiling -p satloc-profiling --features coz --example coz_toy
//! coz run -s "$PWD/profiling/%" --- target/profiling/examples/coz_toy 60
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Rounds of the mixing loop in `cheap`; `costly` does three times as many.
const CHEAP_ROUNDS: u64 = 200_000;
/// Requests kept in flight, as a closed-loop load generator would.
const IN_FLIGHT: usize = 8;

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map_or(Ok(10), |arg| arg.parse())
        .unwrap_or_else(|err| {
            eprintln!("usage: coz_toy [SECONDS] ({err})");
            std::process::exit(2);
        });
    satloc_profiling::thread_init();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    for _ in 0..IN_FLIGHT {
        satloc_profiling::latency_begin!("request");
    }
    let mut state = 1_u64;
    let mut requests = 0_u64;
    while Instant::now() < deadline {
        state = cheap(state);
        state = costly(state);
        satloc_profiling::progress!("request done");
        satloc_profiling::latency_end!("request");
        satloc_profiling::latency_begin!("request");
        requests += 1;
    }
    println!("{requests} requests in {seconds} s (checksum {state})");
}

/// About a quarter of each request's work.
#[inline(never)]
fn cheap(seed: u64) -> u64 {
    let mut h = seed;
    for i in 0..CHEAP_ROUNDS {
        h = black_box(h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7) ^ i);
    }
    h
}

/// About three quarters of each request's work: the line worth optimising.
#[inline(never)]
fn costly(seed: u64) -> u64 {
    let mut h = seed;
    for i in 0..3 * CHEAP_ROUNDS {
        h = black_box(h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7) ^ i);
    }
    h
}
