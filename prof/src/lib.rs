//! Reports on satloc's profiles: the analysis behind the `satloc-prof` binary.
//!
//! [`causal`] reads coz's legacy `profile.coz` and computes the speedup curves the way coz's
//! own viewer does, so that `satloc-prof coz-report` can rank lines, print a table and draw
//! the curves. The instrumentation that produces such profiles is the `satloc-profiling`
//! crate (`profiling/`); how to take and read them is in `docs/profiling.md`.

pub mod causal;
