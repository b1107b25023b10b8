//! A sweep's settings after checking: the run settings every step shares,
//! the planned rates, what each step is held to, and where the results go.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, JsonTarget};
use crate::sweep::step::Limits;

/// A checked sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Everything but the rate and the stop: server, transport, queries,
    /// threads, warm-up per step, timeout.
    pub base: Config,
    /// The planned rates, lowest first.
    pub rates: Vec<f64>,
    /// How long each step measures, after its warm-up.
    pub step_duration: Duration,
    /// What each step is held to.
    pub limits: Limits,
    /// Bisection steps between the last good and the first bad rate.
    pub refine: usize,
    /// Times a failing rate is run again before its failure counts.
    pub confirm: u8,
    /// Where the JSON summary goes.
    pub json: Option<JsonTarget>,
    /// Where the CSV table goes.
    pub csv: Option<PathBuf>,
    /// Where the interval log of the whole sweep goes.
    pub hdr_log: Option<PathBuf>,
    /// The directory the HTML report goes to.
    pub report: Option<PathBuf>,
    /// The command line, for the outputs to say how they were made.
    pub command_line: String,
}
