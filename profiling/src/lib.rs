//! Profiling for satloc: instrumentation that costs nothing when it is off, and a reader for
//! what the causal profiler coz writes.
//!
//! Three parts, each usable alone:
//!
//! - **Progress points** ([`progress!`], [`latency_begin!`], [`latency_end!`],
//!   [`thread_init`]). With the `coz` feature they call the `coz` crate so that `coz run` can
//!   measure throughput and latency; without it every macro expands to nothing and
//!   `thread_init` is an empty function (`profiling/README.md` has the instruction counts).
//! - **CPU sampling** ([`cpu::CpuProfile`]). With the `pprof` feature it samples the process
//!   with pprof-rs and writes a flamegraph SVG or a pprof protobuf; without it, starting a
//!   profile is an error that says so.
//! - **Causal profile analysis** (`causal`, with the `report` feature). Reads coz's legacy
//!   `profile.coz` and computes the speedup curves the way coz's own viewer does, so that the
//!   `satloc-prof` binary can rank lines, print a table and draw the curves.
//!
//! Features: `coz` and `pprof` switch the instrumentation on; `report` (default) adds the
//! analysis and the `satloc-prof` binary with their dependencies. A program that only wants
//! the instrumentation depends on this crate with `default-features = false`.
//!
//! coz and pprof-rs both drive their samplers with `SIGPROF`: run them as separate passes
//! (`docs/profiling.md`).

#[cfg(feature = "coz")]
mod coz_latency;
mod instrument;

#[cfg(feature = "report")]
pub mod causal;
pub mod cpu;

pub use instrument::thread_init;

/// What the macros expand to; not part of the public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "coz")]
    pub use crate::coz_latency::reset_latency_counters;
    pub use crate::instrument::is_valid_point_name;
    #[cfg(feature = "coz")]
    pub use coz;
}
