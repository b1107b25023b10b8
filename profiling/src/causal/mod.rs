//! Causal profile analysis: from coz's `profile.coz` to ranked lines with speedup curves and
//! plain warnings about what the profile cannot say.
//!
//! [`file`](mod@file) reads the file, [`curve`] turns experiments into speedup curves exactly as coz's
//! viewer does (with the two documented exceptions), [`rank`] orders lines by coz's "impact",
//! and [`advice`] explains empty, short or mis-scoped profiles and how long to run instead.
//! [`analyze`] runs all four; the `satloc-prof coz-report` binary only formats the result.
//!
//! ```
//! use satloc_profiling::causal::{analyze, CozProfile, Options};
//!
//! let profile = CozProfile::parse("startup\ttime=1\nruntime\ttime=2\n").unwrap();
//! let analysis = analyze(&profile, &Options::default());
//! assert!(analysis.ranked.is_empty());
//! assert!(analysis.warnings[0].message.contains("no experiments"));
//! ```

pub mod advice;
pub mod curve;
pub mod file;
pub mod rank;

use std::collections::BTreeSet;

use serde::Serialize;

pub use advice::{Warning, WarningKind};
pub use curve::{Curve, Dropped, Measurement, PointKind};
pub use file::{CozProfile, ParseError};
pub use rank::{RankedLine, UnrankedLine};

/// Choices that change what is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// A curve needs at least this many line speedups (0 % included) to rank its line. coz's
    /// viewer hides curves with fewer than 10 by default; 5 shows shorter runs, with a warning.
    pub min_points: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self { min_points: 5 }
    }
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Counts describing the profile as a whole.
    pub summary: Summary,
    /// Lines with at least one curve of `min_points` points, by decreasing impact.
    pub ranked: Vec<RankedLine>,
    /// Lines that were experimented on but cannot be ranked, by decreasing experiments.
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
}

/// A progress point and what it measures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProgressPoint {
    /// The name given to `progress!` or the latency macros.
    pub name: String,
    /// Throughput or latency.
    pub kind: PointKind,
}

/// Reads, pools, ranks and explains a profile.
#[must_use]
pub fn analyze(profile: &CozProfile, options: &Options) -> Analysis {
    let (curves, dropped) = curve::curves(profile);
    let samples = profile.samples();
    let (ranked, unranked) = rank::rank(profile, &curves, &samples, options.min_points);
    let progress_points: BTreeSet<ProgressPoint> = profile
        .experiments()
        .flat_map(|e| &e.points)
        .map(|reading| ProgressPoint {
            name: reading.name().to_owned(),
            kind: match reading {
                file::PointReading::Throughput { .. } => PointKind::Throughput,
                file::PointReading::Latency { .. } => PointKind::Latency,
            },
        })
        .collect();
    let summary = Summary {
        runs: profile.runs.len(),
        experiments: profile.experiments().count(),
        baseline_experiments: profile
            .experiments()
            .filter(|e| e.speedup_percent == 0)
            .count(),
        experiment_time_ns: profile.experiments().map(|e| e.duration_ns).sum(),
        runtime_ns: profile.runs.iter().filter_map(|r| r.runtime_ns).sum(),
        selected_lines: profile
            .experiments()
            .map(|e| e.selected.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        progress_points: progress_points.into_iter().collect(),
        total_samples: samples.values().sum(),
        min_points: options.min_points,
    };
    let mut analysis = Analysis {
        summary,
        ranked,
        unranked,
        curves,
        dropped,
        warnings: Vec::new(),
    };
    analysis.warnings = advice::warnings(profile, &analysis);
    analysis
}
