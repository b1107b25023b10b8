//! Ordering lines by predicted impact.
//!
//! A line's score is the largest [`impact`](super::curve::impact) among its curves that have
//! enough points (coz's viewer also takes the maximum over progress points). Ties, common
//! among lines whose curves never rise above zero, fall back to the largest single predicted
//! speedup, then to the share of samples.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::curve::Curve;
use super::file::CozProfile;

/// A line with a usable speedup curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedLine {
    /// 1 for the line with the highest impact.
    pub rank: usize,
    /// `FILE:LINE`.
    pub line: String,
    /// The best curve's impact (mean predicted program speedup, see `curve::impact`).
    pub impact: f64,
    /// The progress point of that curve.
    pub impact_point: String,
    /// The largest predicted program speedup on any ranked curve of the line.
    pub max_program_speedup: f64,
    /// The line speedup, percent, at which that was predicted.
    pub max_at_line_speedup_percent: u32,
    /// Experiments that selected this line.
    pub experiments: usize,
    /// Distinct line speedups on the best curve (0 % included).
    pub speedups_tested: usize,
    /// Samples coz attributed to the line.
    pub samples: u64,
    /// `samples` over all samples in scope (`None` when the profile has no sample counts).
    pub sample_share: Option<f64>,
    /// Indexes into [`Analysis::curves`](super::Analysis::curves) of the curves with enough
    /// points, by progress point name.
    pub curves: Vec<usize>,
}

/// A line coz experimented on that the data cannot rank yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnrankedLine {
    /// `FILE:LINE`.
    pub line: String,
    /// Experiments that selected this line.
    pub experiments: usize,
    /// Whether any of its curves has a 0 % baseline.
    pub has_baseline: bool,
    /// The most line speedups on any of its curves (0 % included).
    pub speedups_tested: usize,
    /// Samples coz attributed to the line.
    pub samples: u64,
    /// `samples` over all samples in scope.
    pub sample_share: Option<f64>,
}

/// Splits the experimented lines into ranked and unranked.
#[must_use]
pub fn rank(
    profile: &CozProfile,
    curves: &[Curve],
    samples: &BTreeMap<&str, u64>,
    min_points: usize,
) -> (Vec<RankedLine>, Vec<UnrankedLine>) {
    let mut experiments: BTreeMap<&str, usize> = BTreeMap::new();
    for experiment in profile.experiments() {
        *experiments.entry(experiment.selected.as_str()).or_default() += 1;
    }
    let total_samples: u64 = samples.values().sum();
    let share = |count: u64| {
        (total_samples > 0).then(|| {
            #[allow(clippy::cast_precision_loss)]
            let share = count as f64 / total_samples as f64;
            share
        })
    };

    let mut ranked = Vec::new();
    let mut unranked = Vec::new();
    let lines: BTreeSet<&str> = experiments.keys().copied().collect();
    for line in lines {
        let line_samples = samples.get(line).copied().unwrap_or(0);
        let mine: Vec<usize> = (0..curves.len())
            .filter(|&i| curves[i].line == line)
            .collect();
        let eligible: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|&i| curves[i].measurements.len() >= min_points.max(1))
            .collect();
        let best = eligible
            .iter()
            .copied()
            .max_by(|&a, &b| curves[a].impact.total_cmp(&curves[b].impact));
        let Some(best) = best else {
            unranked.push(UnrankedLine {
                line: line.to_owned(),
                experiments: experiments[line],
                has_baseline: mine.iter().any(|&i| curves[i].has_baseline),
                speedups_tested: mine
                    .iter()
                    .map(|&i| curves[i].measurements.len())
                    .max()
                    .unwrap_or(0),
                samples: line_samples,
                sample_share: share(line_samples),
            });
            continue;
        };
        let (max_program_speedup, max_at_line_speedup_percent) = eligible
            .iter()
            .filter_map(|&i| curves[i].max_program_speedup())
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((0.0, 0));
        ranked.push(RankedLine {
            rank: 0,
            line: line.to_owned(),
            impact: curves[best].impact,
            impact_point: curves[best].point.clone(),
            max_program_speedup,
            max_at_line_speedup_percent,
            experiments: experiments[line],
            speedups_tested: curves[best].measurements.len(),
            samples: line_samples,
            sample_share: share(line_samples),
            curves: eligible,
        });
    }
    ranked.sort_by(|a, b| {
        b.impact
            .total_cmp(&a.impact)
            .then(b.max_program_speedup.total_cmp(&a.max_program_speedup))
            .then(b.samples.cmp(&a.samples))
            .then(a.line.cmp(&b.line))
    });
    for (i, line) in ranked.iter_mut().enumerate() {
        line.rank = i + 1;
    }
    unranked.sort_by(|a, b| b.experiments.cmp(&a.experiments).then(a.line.cmp(&b.line)));
    (ranked, unranked)
}
