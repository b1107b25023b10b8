//! Instrumentation for profiling satloc that costs nothing when it is off.
//!
//! Two parts, each usable alone:
//!
//! - **Progress points** ([`progress!`], [`latency_begin!`], [`latency_end!`],
//!   [`thread_init`]). With the `coz` feature they call the `coz` crate so that `coz run` can
//!   measure throughput and latency; without it every macro expands to nothing and
//!   `thread_init` is an empty function (`profiling/README.md` has the instruction counts).
//! - **CPU sampling** ([`cpu::CpuProfile`]). With the `pprof` feature it samples the process
//!   with pprof-rs and writes a flamegraph SVG or a pprof protobuf; without it, starting a
//!   profile is an error that says so.
//!
//! No feature is on by default, so a dependent gets the facade alone (`thiserror`, plus
//! whatever `coz` and `pprof` add). What coz writes is read by the report tool, the
//! `satloc-prof` crate (`prof/`).
//!
//! coz and pprof-rs both drive their samplers with `SIGPROF`: run them as separate passes
//! (`docs/profiling.md`).

#[cfg(feature = "coz")]
mod coz_latency;
mod instrument;

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
