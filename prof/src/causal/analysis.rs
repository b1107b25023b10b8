//! What the report shows: the [`Analysis`] of a profile, its [`Summary`], and the
//! [`Warning`]s about what the profile cannot say.
//!
//! Plain data, built by [`analyze`](super::analyze) from the other modules' results (the
//! warnings by [`advice`](super::advice)), serialised as they are by `satloc-prof
//! coz-report --json`.

use serde::Serialize;

use super::curve::{BaselineMode, Curve, Dropped};
use super::point::ProgressPoint;
use super::rank::{RankedBy, RankedLine, UnrankedLine};

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Counts describing the profile as a whole.
    pub summary: Summary,
    /// Which 0 % experiments the program speedups are measured against.
    pub baseline_mode: BaselineMode,
    /// The progress point the ranking used (`None` when the profile has no progress point
    /// readings at all).
    pub ranked_by: Option<RankedBy>,
    /// Lines whose curve for the ranking point has a baseline, `min_experiments`
    /// experiments above 0 % and `min_points` line speedups, by decreasing impact.
    pub ranked: Vec<RankedLine>,
    /// Lines that were experimented on but cannot be ranked, with the reason, by decreasing
    /// experiments above 0 %.
    pub unranked: Vec<UnrankedLine>,
    /// Every (line, progress point) curve; [`RankedLine::curves`] indexes into it.
    pub curves: Vec<Curve>,
    /// What pooling left out.
    pub dropped: Dropped,
    /// What the profile cannot say, and what to do about it.
    pub warnings: Vec<Warning>,
}

/// The profile at a glance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Runs appended to the file.
    pub runs: usize,
    /// Experiments in all runs.
    pub experiments: usize,
    /// Of those, experiments at 0 % line speedup.
    pub baseline_experiments: usize,
    /// Summed experiment durations (virtual time), ns.
    pub experiment_time_ns: u64,
    /// Summed run times up to each run's last sample dump, ns.
    pub runtime_ns: u64,
    /// Distinct source lines coz experimented on.
    pub selected_lines: usize,
    /// Progress points seen in any experiment.
    pub progress_points: Vec<ProgressPoint>,
    /// Samples in source scope, all runs.
    pub total_samples: u64,
    /// The `min_points` the ranking used.
    pub min_points: usize,
    /// The `min_experiments` the ranking used.
    pub min_experiments: usize,
}

/// Something the reader of the report must know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Which case this is (stable, for scripts).
    pub kind: WarningKind,
    /// The sentence to show.
    pub message: String,
}

/// The cases [`warnings`](super::advice::warnings) recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// Not one record in the file.
    EmptyFile,
    /// Runs, but no experiment.
    NoExperiments,
    /// Experiments, but lines without a 0 % baseline.
    NoBaseline,
    /// Lines with too few experiments above 0 % to rank.
    FewExperiments,
    /// Lines tested at too few speedups to rank.
    FewSpeedups,
    /// Ranked lines whose curves do not rise beyond their noise (the first, or all of them).
    NoClearRise,
    /// Point readings dropped for having fewer than 5 visits.
    LowVisits,
    /// Pooled measurements outside coz's plotting range.
    OutOfRange,
    /// Latency readings with impossible in-flight counts (coz 0.2.2's uninitialised counters).
    UninitialisedLatency,
    /// Latency readings with no request in flight at the end of their experiment: too few in
    /// flight for Little's law; read the throughput point.
    FewInFlight,
    /// coz selected lines in the standard library or dependencies.
    OutsideWorkspace,
    /// A half-written last line was skipped.
    TruncatedLine,
}
