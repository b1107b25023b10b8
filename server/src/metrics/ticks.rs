//! The clock that times each query for the duration histogram: the CPU's
//! time-stamp counter where the kernel trusts it, the monotonic clock
//! elsewhere.
//!
//! Why not `Instant::now()`: timed by it, the metrics cost 356 instructions
//! per LOC answer (5.0 %); timed by `rdtsc`, 159 (2.3 %), of which the two
//! readings are 13 (`scripts/bench-icount.sh`, the `loc_iss_edns_service*`
//! workloads; `docs/metrics.md`). Readings are raw ticks; they become seconds
//! only at scrape time, through a rate calibrated once against the monotonic
//! clock.
//!
//! The counter is trusted only when the kernel uses it as its own clock
//! source (`/sys/devices/system/clocksource/clocksource0/current_clocksource`
//! says `tsc`): the kernel has then checked that it is invariant and agrees
//! across CPUs, which a per-query timing needs.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where the kernel names its clock source.
const CLOCKSOURCE: &str = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
/// How long the counter's rate is measured for; the error of the two clock
/// readings around it is far below the histogram's factor-of-two buckets.
const CALIBRATION: Duration = Duration::from_millis(20);

/// Which counter [`Ticks::now`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickSource {
    /// The time-stamp counter (`rdtsc`).
    Tsc,
    /// Nanoseconds of the monotonic clock since the clock was made.
    Monotonic,
}

/// A cheap monotonic tick counter and its rate.
#[derive(Debug, Clone, Copy)]
pub struct Ticks {
    source: TickSource,
    /// Ticks per second.
    per_second: f64,
    /// The zero of [`TickSource::Monotonic`].
    base: Instant,
}

impl Ticks {
    /// The process's clock: the time-stamp counter when usable (calibrated
    /// once per process), else the monotonic clock.
    pub fn shared() -> Ticks {
        static SHARED: OnceLock<Ticks> = OnceLock::new();
        *SHARED.get_or_init(|| match tsc_rate() {
            Some(per_second) => Ticks {
                source: TickSource::Tsc,
                per_second,
                base: Instant::now(),
            },
            None => Ticks::monotonic(),
        })
    }

    /// The monotonic clock in nanoseconds (the fallback; also for tests).
    pub fn monotonic() -> Ticks {
        Ticks {
            source: TickSource::Monotonic,
            per_second: 1e9,
            base: Instant::now(),
        }
    }

    /// Which counter this clock reads.
    pub fn source(&self) -> TickSource {
        self.source
    }

    /// Ticks per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// The count now.
    #[inline]
    pub fn now(&self) -> u64 {
        match self.source {
            TickSource::Tsc => read_tsc(),
            TickSource::Monotonic => {
                u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
            }
        }
    }

    /// `seconds` in ticks, rounded to the nearest.
    pub fn from_seconds(&self, seconds: f64) -> u64 {
        // Saturating float-to-int conversion; bucket bounds are far below 2^64 ticks.
        (seconds * self.per_second).round() as u64
    }

    /// `ticks` in seconds.
    pub fn to_seconds(&self, ticks: u64) -> f64 {
        ticks as f64 / self.per_second
    }
}

/// The time-stamp counter's rate in ticks per second, measured against the
/// monotonic clock; `None` where it is not to be trusted.
fn tsc_rate() -> Option<f64> {
    if !cfg!(target_arch = "x86_64") {
        return None;
    }
    let clocksource = std::fs::read_to_string(CLOCKSOURCE).ok()?;
    if clocksource.trim() != "tsc" {
        return None;
    }
    // A sleep rather than a spin: the instructions spent here must not depend
    // on how busy the machine is (`scripts/bench-icount.sh` subtracts start-up).
    let (t0, i0) = (read_tsc(), Instant::now());
    std::thread::sleep(CALIBRATION);
    let (t1, i1) = (read_tsc(), Instant::now());
    let seconds = (i1 - i0).as_secs_f64();
    let rate = t1.wrapping_sub(t0) as f64 / seconds;
    // Anything outside 1 MHz..100 GHz is not a time-stamp counter.
    (1e6..1e11).contains(&rate).then_some(rate)
}

#[cfg(target_arch = "x86_64")]
#[inline]
#[allow(unsafe_code)]
fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` reads a register; every x86_64 CPU has it and it has no
    // preconditions. (The intrinsic is `unsafe` only as all of them are.)
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn read_tsc() -> u64 {
    // Never called: `tsc_rate` chooses the monotonic clock off x86_64.
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_advance_at_the_calibrated_rate() {
        for clock in [Ticks::shared(), Ticks::monotonic()] {
            let start = clock.now();
            let wall = Instant::now();
            std::thread::sleep(Duration::from_millis(50));
            let ticks = clock.now() - start;
            let measured = clock.to_seconds(ticks);
            let expected = wall.elapsed().as_secs_f64();
            assert!(
                (measured - expected).abs() < expected * 0.05,
                "{:?}: {measured} s by ticks, {expected} s by the monotonic clock",
                clock.source()
            );
        }
    }

    #[test]
    fn seconds_and_ticks_convert_both_ways() {
        let clock = Ticks::monotonic();
        assert_eq!(clock.from_seconds(0.00025), 250_000);
        assert!((clock.to_seconds(250_000) - 0.00025).abs() < 1e-12);
    }
}
