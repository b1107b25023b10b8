//! Ordering lines by predicted impact on one progress point.
//!
//! A line's score is the [`impact`](super::curve::impact) of its curve for the ranking point
//! ([`RankedBy`]), when that curve rests on enough data: at least `min_experiments`
//! experiments above 0 % line speedup, spread over at least `min_points` line speedups. coz's
//! viewer takes the largest impact over all progress points instead; with a latency point
//! that is estimated from a snapshot of 0 or 1 requests in flight, that maximum is whichever
//! reading was the wildest, so the ranking here sticks to one point and says which. Ties,
//! common among lines whose curves never rise above zero, fall back to the largest single
//! predicted speedup on that curve, then to the share of samples. The line's other curves are
//! kept for display.
//!
//! Why a minimum number of experiments: one experiment's program speedup scatters by several
//! percent (the report prints it as `noise on POINT`), and the impact averages a line's
//! experiments, so its noise shrinks only with their square root; with 5 or 10, a line can
//! lead the ranking on luck. The figures behind the default of 20 are in `docs/profiling.md`,
//! *How many experiments a line needs*.

use std::collections::BTreeMap;

use serde::Serialize;

use super::curve::{Curve, Slope};
use super::file::CozProfile;
use super::point::PointKind;

/// The progress point whose curves the ranking compares.
///
/// Lines are ranked on one point, not on the best of all points, because the kinds are not
/// equally trustworthy: a throughput point's value is exact (visits counted over the
/// experiment), a latency point's is an estimate (Little's law from one snapshot of the number
/// in flight at the experiment's end, see [`curve`](super::curve)). Left to choose,
/// [`analyze`](super::analyze) takes the
/// throughput point with the most visits, and a latency point (the one with the most
/// arrivals) only when the profile has no throughput point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedBy {
    /// The progress point's name.
    pub point: String,
    /// What it measures.
    pub kind: PointKind,
    /// Whether it was asked for ([`Options::point`](super::Options::point), `--point`) rather
    /// than chosen.
    pub requested: bool,
}

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
    /// The ranking point (the same for every line: [`Analysis::ranked_by`](super::analysis::Analysis::ranked_by)).
    pub impact_point: String,
    /// The largest predicted program speedup on the ranking point's curve.
    pub max_program_speedup: f64,
    /// The line speedup, percent, at which that was predicted.
    pub max_at_line_speedup_percent: u32,
    /// Experiments that selected this line.
    pub experiments: usize,
    /// Experiments above 0 % line speedup on the ranking point's curve.
    pub speedup_experiments: usize,
    /// 0 % experiments in the ranking curve's baseline (the run's, pooled; or the line's own).
    pub baseline_experiments: usize,
    /// Distinct line speedups on the ranking point's curve (0 % included).
    pub speedups_tested: usize,
    /// The straight-line fit through the ranking curve's experiments, with its standard error.
    pub slope: Option<Slope>,
    /// Whether that slope is two standard errors or more above 0 ([`Slope::rises_clearly`]).
    pub rises_clearly: bool,
    /// Samples coz attributed to the line.
    pub samples: u64,
    /// `samples` over all samples in scope (`None` when the profile has no sample counts).
    pub sample_share: Option<f64>,
    /// Indexes into [`Analysis::curves`](super::analysis::Analysis::curves) of the line's curves with
    /// enough points: the ranking point's first, then the others by name.
    pub curves: Vec<usize>,
}

/// Why a line is not ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotRanked {
    /// No 0 % experiment to compare with: none of the line's own (per-line baseline), or none
    /// in its run (pooled); or no reading of the ranking point at all.
    NoBaseline,
    /// Fewer than `min_experiments` experiments above 0 % line speedup.
    FewExperiments,
    /// Fewer than `min_points` distinct line speedups.
    FewSpeedups,
}

impl NotRanked {
    /// A few words for the table.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoBaseline => "no baseline",
            Self::FewExperiments => "few experiments",
            Self::FewSpeedups => "few speedups",
        }
    }
}

/// A line coz experimented on that the data cannot rank yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnrankedLine {
    /// `FILE:LINE`.
    pub line: String,
    /// Why it is not ranked (the first of the reasons, in the order of [`NotRanked`]).
    pub reason: NotRanked,
    /// Experiments that selected this line.
    pub experiments: usize,
    /// Experiments above 0 % line speedup on its curve for the ranking point.
    pub speedup_experiments: usize,
    /// Whether its curve for the ranking point has a baseline.
    pub has_baseline: bool,
    /// Line speedups on its curve for the ranking point (0 % included).
    pub speedups_tested: usize,
    /// The impact its curve would have (0 without a baseline): for reading, not ranking.
    pub impact: f64,
    /// Samples coz attributed to the line.
    pub samples: u64,
    /// `samples` over all samples in scope.
    pub sample_share: Option<f64>,
}

/// How much data a line needs before it is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Distinct line speedups, 0 % included.
    pub min_points: usize,
    /// Experiments above 0 % line speedup.
    pub min_experiments: usize,
}

/// Splits the experimented lines into ranked and unranked, comparing the curves of
/// `ranked_by` (with no point, nothing can be ranked).
#[must_use]
pub fn rank(
    profile: &CozProfile,
    curves: &[Curve],
    samples: &BTreeMap<&str, u64>,
    thresholds: Thresholds,
    ranked_by: Option<&RankedBy>,
) -> (Vec<RankedLine>, Vec<UnrankedLine>) {
    let mut experiments: BTreeMap<&str, usize> = BTreeMap::new();
    for experiment in profile.experiments() {
        *experiments.entry(experiment.selected.as_str()).or_default() += 1;
    }
    let mut curves_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, curve) in curves.iter().enumerate() {
        curves_of.entry(curve.line.as_str()).or_default().push(i);
    }
    let judge = Judge {
        curves,
        samples,
        total_samples: samples.values().sum(),
        min_points: thresholds.min_points.max(1),
        min_experiments: thresholds.min_experiments,
        ranked_by,
    };
    let mut ranked = Vec::new();
    let mut unranked = Vec::new();
    for (&line, &line_experiments) in &experiments {
        let mine = curves_of.get(line).map_or(&[][..], Vec::as_slice);
        let ranking = judge.ranking_curve(mine);
        match judge.rankable(ranking) {
            Ok(ranking) => ranked.push(judge.ranked_line(line, line_experiments, ranking, mine)),
            Err(reason) => {
                unranked.push(judge.unranked_line(line, line_experiments, reason, ranking));
            }
        }
    }
    sort(&mut ranked, &mut unranked);
    (ranked, unranked)
}

/// What every line is measured against: the curves, the samples and the thresholds.
struct Judge<'a> {
    curves: &'a [Curve],
    samples: &'a BTreeMap<&'a str, u64>,
    total_samples: u64,
    /// At least 1.
    min_points: usize,
    min_experiments: usize,
    ranked_by: Option<&'a RankedBy>,
}

impl Judge<'_> {
    /// Of the line's curves (`mine`, indexes into `curves`), the one of the ranking point.
    fn ranking_curve(&self, mine: &[usize]) -> Option<usize> {
        let by = self.ranked_by?;
        mine.iter()
            .copied()
            .find(|&i| self.curves[i].point == by.point && self.curves[i].kind == by.kind)
    }

    /// The ranking curve, if its line can be ranked on it; otherwise why not.
    fn rankable(&self, ranking: Option<usize>) -> Result<usize, NotRanked> {
        let Some(index) = ranking else {
            return Err(NotRanked::NoBaseline);
        };
        let curve = &self.curves[index];
        if !curve.has_baseline() {
            Err(NotRanked::NoBaseline)
        } else if curve.speedup_experiments < self.min_experiments {
            Err(NotRanked::FewExperiments)
        } else if curve.speedups_tested() < self.min_points {
            Err(NotRanked::FewSpeedups)
        } else {
            Ok(index)
        }
    }

    fn samples(&self, line: &str) -> u64 {
        self.samples.get(line).copied().unwrap_or(0)
    }

    /// `count` over all samples in scope; `None` without sample counts.
    fn share(&self, count: u64) -> Option<f64> {
        (self.total_samples > 0).then(|| {
            #[allow(clippy::cast_precision_loss)]
            let share = count as f64 / self.total_samples as f64;
            share
        })
    }

    fn unranked_line(
        &self,
        line: &str,
        experiments: usize,
        reason: NotRanked,
        ranking: Option<usize>,
    ) -> UnrankedLine {
        let curve = ranking.map(|i| &self.curves[i]);
        let samples = self.samples(line);
        UnrankedLine {
            line: line.to_owned(),
            reason,
            experiments,
            speedup_experiments: curve.map_or(0, |c| c.speedup_experiments),
            has_baseline: curve.is_some_and(Curve::has_baseline),
            speedups_tested: curve.map_or(0, Curve::speedups_tested),
            impact: curve.map_or(0.0, |c| c.impact),
            samples,
            sample_share: self.share(samples),
        }
    }

    /// The line ranked by its `ranking` curve (`rank` is set once all lines are sorted).
    fn ranked_line(
        &self,
        line: &str,
        experiments: usize,
        ranking: usize,
        mine: &[usize],
    ) -> RankedLine {
        let curve = &self.curves[ranking];
        let (max_program_speedup, max_at_line_speedup_percent) =
            curve.max_program_speedup().unwrap_or((0.0, 0));
        // The line's other curves are shown when they have as many points as ranking needs.
        let shown = std::iter::once(ranking)
            .chain(mine.iter().copied().filter(|&i| {
                i != ranking
                    && self.curves[i].has_baseline()
                    && self.curves[i].speedups_tested() >= self.min_points
            }))
            .collect();
        let samples = self.samples(line);
        RankedLine {
            rank: 0,
            line: line.to_owned(),
            impact: curve.impact,
            impact_point: curve.point.clone(),
            max_program_speedup,
            max_at_line_speedup_percent,
            experiments,
            speedup_experiments: curve.speedup_experiments,
            baseline_experiments: curve.baseline.as_ref().map_or(0, |b| b.experiments),
            speedups_tested: curve.speedups_tested(),
            slope: curve.slope.clone(),
            rises_clearly: curve.slope.as_ref().is_some_and(Slope::rises_clearly),
            samples,
            sample_share: self.share(samples),
            curves: shown,
        }
    }
}

/// Ranked lines by decreasing impact (ties: largest single speedup, then samples, then
/// name), numbered from 1; unranked ones by decreasing experiments above 0 %.
fn sort(ranked: &mut [RankedLine], unranked: &mut [UnrankedLine]) {
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
    unranked.sort_by(|a, b| {
        b.speedup_experiments
            .cmp(&a.speedup_experiments)
            .then(b.experiments.cmp(&a.experiments))
            .then(a.line.cmp(&b.line))
    });
}
