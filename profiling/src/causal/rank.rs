//! Ordering lines by predicted impact on one progress point.
//!
//! A line's score is the [`impact`](super::curve::impact) of its curve for the ranking point
//! ([`RankedBy`]), when that curve has enough points. coz's viewer takes the largest impact
//! over all progress points instead; with a latency point that is estimated from a snapshot
//! of 0 or 1 requests in flight, that maximum is whichever reading was the wildest, so the
//! ranking here sticks to one point and says which. Ties, common among lines whose curves
//! never rise above zero, fall back to the largest single predicted speedup on that curve,
//! then to the share of samples. The line's other curves are kept for display.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::RankedBy;
use super::curve::Curve;
use super::file::CozProfile;

/// A line with a usable speedup curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedLine {
    /// 1 for the line with the highest impact.
    pub rank: usize,
    /// `FILE:LINE`.
    pub line: String,
    /// The impact of the ranking point's curve (mean predicted program speedup, see
    /// `curve::impact`).
    pub impact: f64,
    /// The ranking point (the same for every line: [`Analysis::ranked_by`](super::Analysis::ranked_by)).
    pub impact_point: String,
    /// The largest predicted program speedup on the ranking point's curve.
    pub max_program_speedup: f64,
    /// The line speedup, percent, at which that was predicted.
    pub max_at_line_speedup_percent: u32,
    /// Experiments that selected this line.
    pub experiments: usize,
    /// Distinct line speedups on the ranking point's curve (0 % included).
    pub speedups_tested: usize,
    /// Samples coz attributed to the line.
    pub samples: u64,
    /// `samples` over all samples in scope (`None` when the profile has no sample counts).
    pub sample_share: Option<f64>,
    /// Indexes into [`Analysis::curves`](super::Analysis::curves) of the line's curves with
    /// enough points: the ranking point's first, then the others by name.
    pub curves: Vec<usize>,
}

/// A line coz experimented on that the data cannot rank yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnrankedLine {
    /// `FILE:LINE`.
    pub line: String,
    /// Experiments that selected this line.
    pub experiments: usize,
    /// Whether its curve for the ranking point has a 0 % baseline.
    pub has_baseline: bool,
    /// Line speedups on its curve for the ranking point (0 % included).
    pub speedups_tested: usize,
    /// Samples coz attributed to the line.
    pub samples: u64,
    /// `samples` over all samples in scope.
    pub sample_share: Option<f64>,
}

/// Splits the experimented lines into ranked and unranked, comparing the curves of
/// `ranked_by` (with no point, nothing can be ranked).
#[must_use]
pub fn rank(
    profile: &CozProfile,
    curves: &[Curve],
    samples: &BTreeMap<&str, u64>,
    min_points: usize,
    ranked_by: Option<&RankedBy>,
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
    let min_points = min_points.max(1);
    let is_ranking_curve = |curve: &Curve| {
        ranked_by.is_some_and(|by| curve.point == by.point && curve.kind == by.kind)
    };

    let mut ranked = Vec::new();
    let mut unranked = Vec::new();
    let lines: BTreeSet<&str> = experiments.keys().copied().collect();
    for line in lines {
        let line_samples = samples.get(line).copied().unwrap_or(0);
        let mine: Vec<usize> = (0..curves.len())
            .filter(|&i| curves[i].line == line)
            .collect();
        let ranking = mine.iter().copied().find(|&i| is_ranking_curve(&curves[i]));
        let Some(ranking) = ranking.filter(|&i| curves[i].measurements.len() >= min_points) else {
            unranked.push(UnrankedLine {
                line: line.to_owned(),
                experiments: experiments[line],
                has_baseline: ranking.is_some_and(|i| curves[i].has_baseline),
                speedups_tested: ranking.map_or(0, |i| curves[i].measurements.len()),
                samples: line_samples,
                sample_share: share(line_samples),
            });
            continue;
        };
        let curve = &curves[ranking];
        let (max_program_speedup, max_at_line_speedup_percent) =
            curve.max_program_speedup().unwrap_or((0.0, 0));
        let shown = std::iter::once(ranking)
            .chain(
                mine.iter()
                    .copied()
                    .filter(|&i| i != ranking && curves[i].measurements.len() >= min_points),
            )
            .collect();
        ranked.push(RankedLine {
            rank: 0,
            line: line.to_owned(),
            impact: curve.impact,
            impact_point: curve.point.clone(),
            max_program_speedup,
            max_at_line_speedup_percent,
            experiments: experiments[line],
            speedups_tested: curve.measurements.len(),
            samples: line_samples,
            sample_share: share(line_samples),
            curves: shown,
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
