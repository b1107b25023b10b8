//! What a progress point costs: the measurements behind `profiling/README.md`.
//!
//! ```text
//! progress_cost plain N          # N rounds of a tiny loop body
//! progress_cost instrumented N   # the same with latency_begin!/progress!/latency_end! per round
//! progress_cost contention T N   # T threads x N adds on one shared counter, then per-thread
//! ```
//!
//! Count `plain` and `instrumented` with `valgrind --tool=callgrind`, built with and without
//! `--features coz`: without the feature both run the same instructions. `contention` times
//! the operation a visit becomes under `coz run` (one `fetch_add` on a counter every thread
//! shares, as the `coz` crate does) against a counter per thread.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match args.first().map(String::as_str) {
        Some("plain") => println!("{}", plain(number(1))),
        Some("instrumented") => println!("{}", instrumented(number(1))),
        Some("contention") => contention(number(1), number(2)),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: progress_cost plain N | instrumented N | contention THREADS N");
    std::process::exit(2);
}

#[inline(never)]
fn plain(rounds: u64) -> u64 {
    let mut acc = 0;
    for i in 0..rounds {
        acc = black_box(acc ^ i);
    }
    acc
}

#[inline(never)]
fn instrumented(rounds: u64) -> u64 {
    let mut acc = 0;
    for i in 0..rounds {
        satloc_profiling::latency_begin!("round");
        acc = black_box(acc ^ i);
        satloc_profiling::progress!("round done");
        satloc_profiling::latency_end!("round");
    }
    acc
}

/// The counter coz hands out lives in one place for all threads.
static SHARED: AtomicUsize = AtomicUsize::new(0);

fn contention(threads: u64, adds: u64) {
    // What a visit becomes under `coz run`: one SeqCst add on the shared counter.
    let shared = time_threads(threads, || {
        for _ in 0..adds {
            black_box(&SHARED).fetch_add(1, Ordering::SeqCst);
        }
    });
    // The alternative: count in a plain per-thread variable, flush once.
    let per_thread = time_threads(threads, || {
        let mut own = 0_usize;
        for _ in 0..adds {
            own = black_box(own + 1);
        }
        SHARED.fetch_add(own, Ordering::SeqCst);
    });
    #[allow(clippy::cast_precision_loss)]
    let per_add = |elapsed_ns: f64| elapsed_ns / adds as f64;
    println!(
        "{threads} thread(s) x {adds} visits: shared SeqCst counter {:.2} ns/visit, \
         per-thread counter {:.2} ns/visit (wall time per visit per thread)",
        per_add(shared),
        per_add(per_thread)
    );
}

/// Wall-clock ns for `threads` threads running `work` at once.
fn time_threads(threads: u64, work: impl Fn() + Sync) -> f64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(&work);
        }
    });
    #[allow(clippy::cast_precision_loss)]
    let elapsed = start.elapsed().as_nanos() as f64;
    elapsed
}
