//! `satloc-loadgen sweep`: a server's capacity in one command.
//!
//! A sweep is a series of open-loop runs ([`crate::run::run`], the same
//! code path as `--rate`) at rising rates, each with its own warm-up and
//! each judged against a latency objective ([`slo`]), a loss limit, and
//! whether the generator could offer the rate at all ([`step`]). It stops
//! after the first step that misses the objective by far, loses too much,
//! or could not be offered; then it bisects between the last good and the
//! first bad rate ([`SweepConfig::refine`] steps) and reports the highest
//! rate that met everything as the capacity.
//!
//! Settings are checked into [`config`]; rates are planned by [`plan`]; the
//! steps run in [`runner`] and the [`capacity`] is read off them; the
//! results are written by [`output`] (table, JSON, CSV) and [`log`] (one
//! HdrHistogram interval log for the whole sweep, each step's seconds
//! tagged). Nothing here imports this module itself, so the module graph
//! stays acyclic (`cargo-cycles`).

pub mod capacity;
pub mod config;
pub mod log;
pub mod output;
pub mod plan;
pub mod runner;
pub mod slo;
pub mod step;

pub use capacity::{Capacity, CapacityLimit};
pub use config::SweepConfig;
pub use runner::{SweepResult, run_sweep};
