//! Speedup curves: for one source line and one progress point, how much faster the program
//! gets when the line is virtually sped up by 0, 5, …, 100 %.
//!
//! The arithmetic follows coz's own viewer (`viewer/ts/profile.ts`), so a curve here matches
//! the one coz would plot from the same file: experiments at one line speedup are pooled, a
//! throughput point's value is the period (`duration / visits`), a latency point's is the
//! mean latency by Little's law, and the program speedup is `(baseline - value) / baseline`.
//! The deliberate differences (a [`BaselineMode::Pooled`] baseline by default, one
//! orientation for both kinds, and the readings left out, counted in [`Dropped`]) are listed
//! in `docs/profiling.md`, *What the report computes, and where it differs from coz's viewer*.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::file::{CozProfile, Experiment, PointReading, Run};
use super::point::PointKind;

/// Readings with fewer visits than this during their experiment are ignored.
pub const MIN_VISITS: u64 = 5;

/// The pooled experiments of one line speedup on one curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// The virtual speedup of the line, percent.
    pub line_speedup_percent: u32,
    /// Experiments pooled into this measurement.
    pub experiments: usize,
    /// Their summed duration (virtual time), ns.
    pub duration_ns: u64,
    /// Throughput: visits; latency: arrivals.
    pub visits: u64,
    /// Throughput: ns per visit; latency: mean latency in ns.
    pub value_ns: f64,
    /// `(value - baseline) / baseline`: the relative change in time per visit or latency;
    /// negative is better.
    pub change_vs_baseline: f64,
    /// `(baseline - value) / baseline`: the predicted program speedup; positive is better.
    pub program_speedup: f64,
}

/// Which 0 % experiments a curve's program speedups are measured against (also
/// `satloc-prof coz-report --baseline`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineMode {
    /// Every 0 % experiment of the same run for the progress point, whatever line coz
    /// selected (a 0 % experiment delays nothing, so the selected line makes no difference).
    #[default]
    Pooled,
    /// The line's own 0 % experiments, all runs together: what coz's viewer does.
    PerLine,
}

impl BaselineMode {
    /// "pooled" or "per-line", as `--baseline` takes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pooled => "pooled",
            Self::PerLine => "per-line",
        }
    }
}

/// What one curve's program speedups are measured against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    /// 0 % experiments pooled into it: the line's own ([`BaselineMode::PerLine`]), or every
    /// 0 % experiment of the runs the curve has readings in ([`BaselineMode::Pooled`]).
    pub experiments: usize,
    /// Runs those experiments come from.
    pub runs: usize,
    /// Their summed duration, ns.
    pub duration_ns: u64,
    /// Their visits (throughput) or arrivals (latency).
    pub visits: u64,
    /// ns per visit or mean latency, all of them pooled. With several runs (pooled mode)
    /// each experiment is compared with its own run's value; this one is for display.
    pub value_ns: f64,
}

/// A least-squares line through a curve's individual experiments: a rough size of the
/// effect, with its uncertainty.
///
/// Each usable experiment of the line (0 % included) gives a point (line speedup as a
/// fraction, program speedup of that experiment alone against the curve's baseline; one
/// outside coz's plotting range, -100 % to +200 %, is left out as a measurement would be). The
/// line is fitted with an intercept, weighted by experiment duration (a rate counted for
/// twice as long has half the variance), and its slope is the program speedup per 100 % of
/// line speedup. The standard error is the textbook one for that fit: it assumes the
/// experiments scatter independently around a straight line, so a bent curve widens it, and
/// it does not cover drift over the run. With an intercept, the baseline's own error only
/// rescales the slope. Shown next to the impact as a check on it, never used to rank.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slope {
    /// Program speedup per unit of line speedup (0.2: +20 % at 100 %, if the curve is
    /// straight).
    pub slope: f64,
    /// Its standard error.
    pub standard_error: f64,
    /// Experiments in the fit.
    pub experiments: usize,
}

impl Slope {
    /// How many standard errors above 0 a slope must be to count as a curve that rises
    /// beyond its noise.
    pub const CLEAR_RISE_STANDARD_ERRORS: f64 = 2.0;

    /// Whether the slope is at least [`Slope::CLEAR_RISE_STANDARD_ERRORS`] standard errors
    /// above 0: a line whose speedup really helps, as far as this profile can tell. About 1
    /// in 40 flat curves passes by chance, so with dozens of lines expect one false rise.
    #[must_use]
    pub fn rises_clearly(&self) -> bool {
        self.slope > 0.0 && self.slope >= Self::CLEAR_RISE_STANDARD_ERRORS * self.standard_error
    }
}

/// The speedup curve of one (line, progress point) pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// The selected source line, `FILE:LINE`.
    pub line: String,
    /// The progress point's name.
    pub point: String,
    /// Throughput or latency.
    pub kind: PointKind,
    /// Experiments on this line with a usable reading of this point, at any line speedup.
    pub experiments: usize,
    /// The experiments at line speedups above 0 % behind [`Curve::measurements`]: what the
    /// curve rests on besides its baseline.
    pub speedup_experiments: usize,
    /// Latency readings of this line and point dropped because no request was in flight at
    /// the end of their experiment (always 0 for throughput).
    pub no_in_flight_readings: usize,
    /// What the program speedups are measured against (`None`: no usable 0 % experiment, so
    /// no points).
    pub baseline: Option<Baseline>,
    /// The valid measurements by increasing line speedup (empty without a baseline). The
    /// first is at 0 % when the line has 0 % experiments of its own: with a per-line baseline
    /// that is the baseline itself; with a pooled one, the line's own 0 % experiments against
    /// it (off 0 by the scatter of a few experiments).
    pub measurements: Vec<Measurement>,
    /// A straight line through the individual experiments (`None` with fewer than 3, or all
    /// at one line speedup).
    pub slope: Option<Slope>,
    /// coz's "impact" score of this curve (see [`impact`]).
    pub impact: f64,
}

impl Curve {
    /// Whether the curve has a baseline to measure program speedups against.
    #[must_use]
    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    /// The line's own 0 % experiments, when it has usable ones.
    #[must_use]
    pub fn own_baseline(&self) -> Option<&Measurement> {
        self.measurements
            .first()
            .filter(|m| m.line_speedup_percent == 0)
    }

    /// Distinct line speedups on the curve, 0 % included: the baseline stands for 0 % even
    /// when the line has no 0 % experiment of its own.
    #[must_use]
    pub fn speedups_tested(&self) -> usize {
        if self.baseline.is_none() {
            return 0;
        }
        1 + self
            .measurements
            .iter()
            .filter(|m| m.line_speedup_percent > 0)
            .count()
    }

    /// The largest predicted program speedup on the curve and the line speedup it was seen
    /// at. The curve starts at (0 %, 0) by definition of the baseline, so a curve that only
    /// falls gives `(0.0, 0)`; a line's own 0 % row (off 0 only by scatter) is not a
    /// prediction and is left out.
    #[must_use]
    pub fn max_program_speedup(&self) -> Option<(f64, u32)> {
        self.baseline.as_ref()?;
        let predictions = self
            .measurements
            .iter()
            .filter(|m| m.line_speedup_percent > 0)
            .map(|m| (m.program_speedup, m.line_speedup_percent));
        // `max_by` keeps the last of equals: reversed, that is the lowest line speedup.
        std::iter::once((0.0, 0))
            .chain(predictions)
            .rev()
            .max_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// Counts of what pooling left out, for the warnings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dropped {
    /// Readings ignored for having fewer than [`MIN_VISITS`] visits.
    pub low_visit_readings: usize,
    /// Latency readings ignored because their in-flight count is impossible.
    pub implausible_latency_readings: usize,
    /// The first such reading, to quote in the warning.
    pub implausible_latency_example: Option<ImplausibleLatency>,
    /// Latency readings ignored because no request was in flight at the end of their
    /// experiment (`difference` 0 or below), over all latency points.
    pub no_in_flight_latency_readings: usize,
    /// The in-flight snapshots of each latency point, by name.
    pub in_flight: Vec<InFlightSnapshots>,
    /// Pooled measurements skipped as not finite, not positive, or outside coz's plotting
    /// range.
    pub out_of_range_measurements: usize,
    /// How far single 0 % experiments lie from their run's pooled baseline, by point: the
    /// noise floor of one experiment (computed in either baseline mode).
    pub baseline_scatter: Vec<BaselineScatter>,
}

/// How far a single 0 % experiment's value lies from the pooled 0 % value of its run, over
/// every usable 0 % experiment of one progress point.
///
/// Every 0 % experiment measures the same program, so this spread is what one experiment's
/// program speedup scatters by when nothing changes: the noise a curve point resting on one
/// or two experiments carries. It is what `--min-experiments` guards against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineScatter {
    /// The progress point.
    pub point: String,
    /// Throughput or latency.
    pub kind: PointKind,
    /// 0 % experiments compared (those with a finite value).
    pub experiments: usize,
    /// The median of `|value / run baseline - 1|`, as a fraction (0.05: 5 %).
    pub median: f64,
    /// The 90th percentile of the same (nearest rank).
    pub p90: f64,
}

/// What coz's in-flight snapshots (`difference=`) of one latency point looked like, over the
/// readings with plausible counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InFlightSnapshots {
    /// The latency point.
    pub point: String,
    /// Readings with a plausible in-flight count.
    pub readings: usize,
    /// Of those, readings with no request in flight (`difference` 0 or below); the ones with
    /// enough visits were dropped and are counted in [`Dropped::no_in_flight_latency_readings`].
    pub none_in_flight: usize,
    /// The largest snapshot.
    pub max_in_flight: i64,
    /// The mean snapshot, every plausible reading counted once.
    pub mean_in_flight: f64,
}

/// A latency reading whose in-flight count exceeds every arrival of its run: what coz 0.2.2's
/// uninitialised counters produce (`docs/profiling.md`, *coz 0.2.2's latency counters*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImplausibleLatency {
    /// The latency point.
    pub point: String,
    /// The in-flight count coz wrote.
    pub difference: i64,
    /// All arrivals of the point in that run's experiments.
    pub run_arrivals: u64,
}

/// Builds every curve in the profile, ordered by line, then point, against the baselines
/// `mode` chooses.
#[must_use]
pub fn curves(profile: &CozProfile, mode: BaselineMode) -> (Vec<Curve>, Dropped) {
    let mut dropped = Dropped::default();
    let readings = Readings::from_profile(profile, &mut dropped);
    dropped.in_flight = readings
        .snapshots
        .iter()
        .map(|(point, tally)| tally.summary(point))
        .collect();
    dropped.baseline_scatter = readings
        .zeros
        .iter()
        .filter_map(|(&(point, kind), zeros)| {
            baseline_scatter(
                point,
                kind,
                zeros,
                readings.run_baselines.get(&(point, kind))?,
            )
        })
        .collect();
    // Ordered by (line, point, kind), as the map is.
    let curves = readings
        .by_curve
        .iter()
        .map(|(&key, line_readings)| readings.curve(key, line_readings, mode, &mut dropped))
        .collect();
    (curves, dropped)
}

/// Every reading of a profile, sorted into what the curves are built from; what is dropped
/// on the way is counted in [`Dropped`].
#[derive(Default)]
struct Readings<'a> {
    /// Usable readings by (line, point, kind). A curve stays, empty, when every reading of it
    /// went for having nothing in flight, so that the report can say what happened to it.
    by_curve: BTreeMap<(&'a str, &'a str, PointKind), Vec<Reading>>,
    /// Pooled baselines: every usable 0 % reading of a run, by (point, run).
    run_baselines: BTreeMap<(&'a str, PointKind), BTreeMap<usize, Pool>>,
    /// The same 0 % readings one by one, for their scatter around the pool.
    zeros: BTreeMap<(&'a str, PointKind), Vec<Reading>>,
    /// Latency readings dropped for having nothing in flight, by (line, point).
    no_in_flight: BTreeMap<(&'a str, &'a str), usize>,
    /// The plausible in-flight snapshots of each latency point.
    snapshots: BTreeMap<&'a str, SnapshotTally>,
}

impl<'a> Readings<'a> {
    fn from_profile(profile: &'a CozProfile, dropped: &mut Dropped) -> Self {
        let mut readings = Self::default();
        for (run, profile_run) in profile.runs.iter().enumerate() {
            let run_arrivals = arrivals_by_point(profile_run);
            for experiment in &profile_run.experiments {
                for reading in &experiment.points {
                    readings.add(run, &run_arrivals, experiment, reading, dropped);
                }
            }
        }
        readings
    }

    /// Keeps one reading of run `run`, or drops it and counts why.
    fn add(
        &mut self,
        run: usize,
        run_arrivals: &BTreeMap<&str, u64>,
        experiment: &'a Experiment,
        reading: &'a PointReading,
        dropped: &mut Dropped,
    ) {
        if let PointReading::Latency {
            name, difference, ..
        } = reading
        {
            let arrivals = run_arrivals.get(name.as_str()).copied().unwrap_or(0);
            // More in flight than ever arrived: the counters did not start at 0.
            if difference.unsigned_abs() > arrivals {
                dropped.implausible_latency_readings += 1;
                dropped
                    .implausible_latency_example
                    .get_or_insert_with(|| ImplausibleLatency {
                        point: name.clone(),
                        difference: *difference,
                        run_arrivals: arrivals,
                    });
                return;
            }
            self.snapshots
                .entry(name.as_str())
                .or_default()
                .add(*difference);
        }
        if has_few_visits(reading) {
            dropped.low_visit_readings += 1;
            return;
        }
        let kind = reading.kind();
        let key = (experiment.selected.as_str(), reading.name(), kind);
        // Nothing in flight at the experiment's end: Little's law would say 0 ns.
        if matches!(reading, PointReading::Latency { difference, .. } if *difference <= 0) {
            dropped.no_in_flight_latency_readings += 1;
            *self.no_in_flight.entry((key.0, key.1)).or_default() += 1;
            self.by_curve.entry(key).or_default();
            return;
        }
        let usable = Reading::new(run, experiment, reading);
        if usable.speedup_percent == 0 {
            self.run_baselines
                .entry((reading.name(), kind))
                .or_default()
                .entry(run)
                .or_default()
                .add(&usable);
            self.zeros
                .entry((reading.name(), kind))
                .or_default()
                .push(usable.clone());
        }
        self.by_curve.entry(key).or_default().push(usable);
    }

    /// The curve of `(line, point, kind)` through `line_readings`, against the baselines
    /// `mode` chooses.
    fn curve(
        &self,
        (line, point, kind): (&str, &str, PointKind),
        line_readings: &[Reading],
        mode: BaselineMode,
        dropped: &mut Dropped,
    ) -> Curve {
        let no_runs = BTreeMap::new();
        let baselines = match mode {
            BaselineMode::Pooled => {
                Baselines::Runs(self.run_baselines.get(&(point, kind)).unwrap_or(&no_runs))
            }
            BaselineMode::PerLine => Baselines::Own(
                line_readings
                    .iter()
                    .filter(|r| r.speedup_percent == 0)
                    .fold(Pool::default(), |mut pool, r| {
                        pool.add(r);
                        pool
                    }),
            ),
        };
        let mut curve = build_curve(line, point, kind, line_readings, &baselines, dropped);
        if kind == PointKind::Latency {
            curve.no_in_flight_readings = self
                .no_in_flight
                .get(&(line, point))
                .copied()
                .unwrap_or_default();
        }
        curve
    }
}

/// Whether a reading saw fewer than [`MIN_VISITS`] visits (for latency: arrivals or
/// departures) during its experiment.
fn has_few_visits(reading: &PointReading) -> bool {
    match reading {
        PointReading::Throughput { delta, .. } => *delta < MIN_VISITS,
        PointReading::Latency {
            arrivals,
            departures,
            ..
        } => *arrivals < MIN_VISITS || *departures < MIN_VISITS,
    }
}

/// The scatter of `zeros` (one point's usable 0 % readings) around their runs' pools;
/// `None` when no reading has a finite value.
fn baseline_scatter(
    point: &str,
    kind: PointKind,
    zeros: &[Reading],
    pools: &BTreeMap<usize, Pool>,
) -> Option<BaselineScatter> {
    let mut distances: Vec<f64> = zeros
        .iter()
        .filter_map(|reading| {
            let pool = pools.get(&reading.run)?.value_ns();
            let distance = (reading.value_ns() / pool - 1.0).abs();
            distance.is_finite().then_some(distance)
        })
        .collect();
    if distances.is_empty() {
        return None;
    }
    distances.sort_by(f64::total_cmp);
    let n = distances.len();
    let median = if n % 2 == 1 {
        distances[n / 2]
    } else {
        f64::midpoint(distances[n / 2 - 1], distances[n / 2])
    };
    // Nearest rank: the smallest value with at least 90 % of them at or below it.
    let p90 = distances[(n * 9).div_ceil(10) - 1];
    Some(BaselineScatter {
        point: point.to_owned(),
        kind,
        experiments: n,
        median,
        p90,
    })
}

/// In-flight snapshots of one latency point, as they are read.
#[derive(Debug, Default)]
struct SnapshotTally {
    readings: usize,
    none_in_flight: usize,
    max_in_flight: i64,
    sum: i128,
}

impl SnapshotTally {
    fn add(&mut self, difference: i64) {
        if self.readings == 0 {
            self.max_in_flight = i64::MIN;
        }
        self.readings += 1;
        if difference <= 0 {
            self.none_in_flight += 1;
        }
        self.max_in_flight = self.max_in_flight.max(difference);
        self.sum += i128::from(difference);
    }

    fn summary(&self, point: &str) -> InFlightSnapshots {
        // Snapshots are bounded by a run's arrivals (implausible ones never get here), so
        // the sum and the count are far inside f64's exact range.
        #[allow(clippy::cast_precision_loss)]
        let mean_in_flight = if self.readings == 0 {
            0.0
        } else {
            self.sum as f64 / self.readings as f64
        };
        InFlightSnapshots {
            point: point.to_owned(),
            readings: self.readings,
            none_in_flight: self.none_in_flight,
            max_in_flight: self.max_in_flight,
            mean_in_flight,
        }
    }
}

/// Arrivals of each latency point summed over the run's experiments.
fn arrivals_by_point(run: &Run) -> BTreeMap<&str, u64> {
    let mut totals = BTreeMap::new();
    for reading in run.experiments.iter().flat_map(|e| &e.points) {
        if let PointReading::Latency { name, arrivals, .. } = reading {
            let total: &mut u64 = totals.entry(name.as_str()).or_default();
            *total = total.saturating_add(*arrivals);
        }
    }
    totals
}

/// The 0 % pools one curve is measured against.
enum Baselines<'a> {
    /// [`BaselineMode::Pooled`]: each run's pool of every 0 % reading of the point.
    Runs(&'a BTreeMap<usize, Pool>),
    /// [`BaselineMode::PerLine`]: the line's own 0 % readings, all runs together.
    Own(Pool),
}

impl Baselines<'_> {
    /// The pool a reading of run `run` is compared with, if it is usable.
    fn pool(&self, run: usize) -> Option<&Pool> {
        match self {
            Self::Runs(runs) => runs.get(&run)?.usable(),
            Self::Own(pool) => pool.usable(),
        }
    }

    /// What the readings of `runs` are measured against, pooled for display.
    fn describe(&self, runs: &BTreeSet<usize>) -> Option<Baseline> {
        let mut total = Pool::default();
        match self {
            Self::Runs(_) => {
                for pool in runs.iter().filter_map(|&run| self.pool(run)) {
                    total.merge(pool);
                }
            }
            Self::Own(pool) => {
                if let Some(pool) = pool.usable() {
                    total.merge(pool);
                }
            }
        }
        (total.experiments > 0).then(|| Baseline {
            experiments: total.experiments,
            runs: total.runs.len(),
            duration_ns: total.duration_ns,
            visits: total.visits,
            value_ns: total.value_ns(),
        })
    }
}

fn build_curve(
    line: &str,
    point: &str,
    kind: PointKind,
    readings: &[Reading],
    baselines: &Baselines<'_>,
    dropped: &mut Dropped,
) -> Curve {
    let runs = readings.iter().map(|r| r.run).collect();
    let baseline = baselines.describe(&runs);
    // Per line speedup: the readings pooled, and Σ visits × their run's baseline, ns: how
    // long the same visits take at the baseline.
    let mut by_speedup: BTreeMap<u32, (Pool, f64)> = BTreeMap::new();
    let mut fit = Vec::new();
    for reading in readings {
        let Some(base) = baselines.pool(reading.run).map(Pool::value_ns) else {
            continue;
        };
        let (pool, at_baseline_ns) = by_speedup.entry(reading.speedup_percent).or_default();
        pool.add(reading);
        *at_baseline_ns += as_f64(reading.visits) * base;
        // The fit takes the experiments the plot could show, as the curve takes measurements.
        let program_speedup = 1.0 - reading.value_ns() / base;
        if plottable(program_speedup) {
            fit.push((
                f64::from(reading.speedup_percent) / 100.0,
                program_speedup,
                as_f64(reading.duration_ns),
            ));
        }
    }
    let mut measurements = Vec::new();
    for (&speedup, (pool, at_baseline_ns)) in &by_speedup {
        let value = pool.value_ns();
        // `value / baseline` for one run; each run against its own baseline for several.
        let relative = pool.numerator / at_baseline_ns;
        let program_speedup = 1.0 - relative;
        if !(is_value(value) && plottable(program_speedup)) {
            dropped.out_of_range_measurements += 1;
            continue;
        }
        measurements.push(Measurement {
            line_speedup_percent: speedup,
            experiments: pool.experiments,
            duration_ns: pool.duration_ns,
            visits: pool.visits,
            value_ns: value,
            change_vs_baseline: relative - 1.0,
            program_speedup,
        });
    }
    let speedup_experiments = measurements
        .iter()
        .filter(|m| m.line_speedup_percent > 0)
        .map(|m| m.experiments)
        .sum();
    Curve {
        line: line.to_owned(),
        point: point.to_owned(),
        kind,
        experiments: readings.len(),
        speedup_experiments,
        no_in_flight_readings: 0,
        impact: impact(&measurements),
        baseline,
        measurements,
        slope: slope(&fit),
    }
}

/// The weighted least-squares line of [`Slope`] through `(x, y, weight)` points, with an
/// intercept; `None` with fewer than 3 points, no spread in x, or a result that is not
/// finite.
#[must_use]
pub fn slope(points: &[(f64, f64, f64)]) -> Option<Slope> {
    let points: Vec<_> = points
        .iter()
        .copied()
        .filter(|&(x, y, w)| x.is_finite() && y.is_finite() && w.is_finite() && w > 0.0)
        .collect();
    let n = points.len();
    if n < 3 {
        return None;
    }
    let total: f64 = points.iter().map(|p| p.2).sum();
    let mean_x = points.iter().map(|&(x, _, w)| w * x).sum::<f64>() / total;
    let mean_y = points.iter().map(|&(_, y, w)| w * y).sum::<f64>() / total;
    let sxx: f64 = points
        .iter()
        .map(|&(x, _, w)| w * (x - mean_x).powi(2))
        .sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points
        .iter()
        .map(|&(x, y, w)| w * (x - mean_x) * (y - mean_y))
        .sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let residuals: f64 = points
        .iter()
        .map(|&(x, y, w)| w * (y - intercept - slope * x).powi(2))
        .sum();
    // Var(slope) = σ² / Σ w (x - x̄)², with σ² estimated on n - 2 degrees of freedom. The
    // scale of the weights cancels: it multiplies the residuals and `sxx` alike.
    let degrees_of_freedom = as_f64(u64::try_from(n - 2).unwrap_or(u64::MAX));
    let standard_error = (residuals / degrees_of_freedom / sxx).sqrt();
    (slope.is_finite() && standard_error.is_finite()).then_some(Slope {
        slope,
        standard_error,
        experiments: n,
    })
}

/// coz's "impact" score (its viewer's default sort): walk the curve from (0 %, 0),
/// accumulating the area under it by trapezoids, and take the largest `area / line_speedup`
/// seen — the mean predicted program speedup over line speedups `0..=x`, maximised over `x`.
/// Never below 0.
///
/// The curve starts at (0 %, 0) by definition of the baseline, so measurements at 0 % are
/// passed over: with a per-line baseline the line's 0 % row is that point exactly; with a
/// pooled one it is a few of the baseline's experiments, off 0 only by their scatter.
///
/// Unlike the single largest point it is not carried by one noisy experiment, and unlike the
/// value at 100 % it credits lines whose benefit saturates early.
#[must_use]
pub fn impact(measurements: &[Measurement]) -> f64 {
    let mut best: f64 = 0.0;
    let mut area = 0.0;
    let (mut previous_x, mut previous_y) = (0.0, 0.0);
    for m in measurements.iter().filter(|m| m.line_speedup_percent > 0) {
        let x = f64::from(m.line_speedup_percent) / 100.0;
        area += (previous_y + m.program_speedup) / 2.0 * (x - previous_x);
        best = best.max(area / x);
        (previous_x, previous_y) = (x, m.program_speedup);
    }
    best
}

/// One usable reading of one progress point in one experiment.
#[derive(Debug, Clone)]
struct Reading {
    /// Index of the run in the file.
    run: usize,
    speedup_percent: u32,
    duration_ns: u64,
    /// Throughput delta or latency arrivals.
    visits: u64,
    /// Throughput: the duration; latency: in flight × duration (Little's law's numerator).
    /// ns; `numerator / visits` is the reading's value.
    numerator: f64,
}

impl Reading {
    fn new(run: usize, experiment: &Experiment, reading: &PointReading) -> Self {
        let duration = as_f64(experiment.duration_ns);
        let numerator = match reading {
            PointReading::Throughput { .. } => duration,
            PointReading::Latency { difference, .. } => as_f64_i(*difference) * duration,
        };
        Self {
            run,
            speedup_percent: experiment.speedup_percent,
            duration_ns: experiment.duration_ns,
            visits: reading.visits(),
            numerator,
        }
    }

    /// ns per visit, or mean latency in ns.
    fn value_ns(&self) -> f64 {
        self.numerator / as_f64(self.visits)
    }
}

/// Readings pooled as coz's viewer pools them: durations, visits and (for latency)
/// in-flight × duration summed before dividing.
///
/// For throughput the value is `Σ duration / Σ visits`; for latency, Little's law with the
/// duration-weighted mean in flight, `(Σ in_flight × duration / Σ duration) / (Σ arrivals
/// / Σ duration)`, which is `Σ in_flight × duration / Σ arrivals`: `numerator / visits` in
/// both cases.
#[derive(Debug, Default)]
struct Pool {
    experiments: usize,
    duration_ns: u64,
    /// Throughput delta or latency arrivals.
    visits: u64,
    /// Σ duration (throughput) or Σ in_flight × duration (latency), ns.
    numerator: f64,
    /// The runs the readings come from.
    runs: BTreeSet<usize>,
}

impl Pool {
    fn add(&mut self, reading: &Reading) {
        self.experiments += 1;
        self.duration_ns = self.duration_ns.saturating_add(reading.duration_ns);
        self.visits = self.visits.saturating_add(reading.visits);
        self.numerator += reading.numerator;
        self.runs.insert(reading.run);
    }

    fn merge(&mut self, other: &Self) {
        self.experiments += other.experiments;
        self.duration_ns = self.duration_ns.saturating_add(other.duration_ns);
        self.visits = self.visits.saturating_add(other.visits);
        self.numerator += other.numerator;
        self.runs.extend(&other.runs);
    }

    /// ns per visit (throughput) or mean latency in ns (latency); may be NaN or infinite.
    fn value_ns(&self) -> f64 {
        self.numerator / as_f64(self.visits)
    }

    /// The pool, if its value can be compared with: a baseline of 0 ns, infinity or NaN
    /// compares nothing.
    fn usable(&self) -> Option<&Self> {
        is_value(self.value_ns()).then_some(self)
    }
}

/// Whether a period or latency is a reading: finite and above 0 (`value > 0.0` is false for
/// NaN; a period or latency of 0 is never a reading).
fn is_value(value_ns: f64) -> bool {
    value_ns.is_finite() && value_ns > 0.0
}

/// Whether a program speedup is inside coz's plotting range, -100 % to +200 %.
fn plottable(program_speedup: f64) -> bool {
    (-1.0..=2.0).contains(&program_speedup)
}

/// Counts and durations fit f64's 53-bit mantissa for any profile a person can collect
/// (2^53 ns is 104 days).
#[allow(clippy::cast_precision_loss)]
fn as_f64(value: u64) -> f64 {
    value as f64
}

#[allow(clippy::cast_precision_loss)]
fn as_f64_i(value: i64) -> f64 {
    value as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(text: &str) -> CozProfile {
        CozProfile::parse(text).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Throughput, worked by hand:
    /// - 0 %: two experiments, 1.0 s with 100 visits and 1.0 s with 300 visits, pool to
    ///   2.0 s / 400 = 5 ms per visit (the baseline). Averaging the two periods (10 ms and
    ///   3.33 ms) would give 6.67 ms: pooling is what coz does, and what this pins.
    /// - 50 %: 1.0 s / 250 visits = 4 ms: speedup (5 - 4) / 5 = +20 %, change -20 %.
    /// - 100 %: 0.5 s / 50 visits = 10 ms: (5 - 10) / 5 = -100 %, kept (coz keeps >= -100 %).
    /// - 25 %: 4 visits only, below MIN_VISITS: dropped before pooling.
    #[test]
    fn throughput_speedups_pool_experiments_before_dividing() {
        let p = profile(
            "startup\ttime=0\n\
             experiment\tselected=a.rs:1\tspeedup=0.00\tduration=1000000000\tselected-samples=1\n\
             throughput-point\tname=ops\tdelta=100\n\
             experiment\tselected=a.rs:1\tspeedup=0.50\tduration=1000000000\tselected-samples=1\n\
             throughput-point\tname=ops\tdelta=250\n\
             experiment\tselected=a.rs:1\tspeedup=0.00\tduration=1000000000\tselected-samples=1\n\
             throughput-point\tname=ops\tdelta=300\n\
             experiment\tselected=a.rs:1\tspeedup=0.25\tduration=1000000000\tselected-samples=1\n\
             throughput-point\tname=ops\tdelta=4\n\
             experiment\tselected=a.rs:1\tspeedup=1.00\tduration=500000000\tselected-samples=1\n\
             throughput-point\tname=ops\tdelta=50\n",
        );
        let (curves, dropped) = curves(&p, BaselineMode::Pooled);
        assert_eq!(dropped.low_visit_readings, 1);
        assert_eq!(curves.len(), 1);
        let curve = &curves[0];
        assert_eq!((curve.kind, curve.experiments), (PointKind::Throughput, 4));
        let got: Vec<_> = curve
            .measurements
            .iter()
            .map(|m| {
                (
                    m.line_speedup_percent,
                    m.experiments,
                    m.value_ns,
                    m.program_speedup,
                )
            })
            .collect();
        assert_eq!(got.len(), 3);
        assert_eq!((got[0].0, got[0].1), (0, 2));
        assert!(close(got[0].2, 5_000_000.0) && close(got[0].3, 0.0));
        assert!(close(got[1].2, 4_000_000.0) && close(got[1].3, 0.2));
        assert!(close(curve.measurements[1].change_vs_baseline, -0.2));
        assert!(close(got[2].2, 10_000_000.0) && close(got[2].3, -1.0));
    }

    #[test]
    fn a_clear_rise_is_two_standard_errors_above_zero() {
        let slope = |slope, standard_error| Slope {
            slope,
            standard_error,
            experiments: 20,
        };
        assert!(slope(0.10, 0.05).rises_clearly());
        assert!(slope(0.10, 0.0).rises_clearly());
        assert!(!slope(0.099, 0.05).rises_clearly());
        assert!(!slope(-0.2, 0.01).rises_clearly());
        assert!(!slope(0.0, 0.0).rises_clearly());
    }

    /// The scatter of single 0 % experiments, worked by hand. Run 1 has four 0 % experiments
    /// of 1 s each, with 100, 100, 125 and 175 visits (on two lines): the pool is 4 s / 500 =
    /// 8 ms per visit; the experiments' periods are 10, 10, 8 and 5.714 ms, distances 0.25,
    /// 0.25, 0 and 0.2857 from the pool. A second run, twice as fast, has one 0 % experiment,
    /// which is its own pool: distance 0. The 50 % experiment is not a baseline and does not
    /// count. Sorted: 0, 0, 0.25, 0.25, 0.2857: median 0.25, p90 (nearest rank 5 of 5) 0.2857.
    #[test]
    fn baseline_scatter_is_the_distance_of_single_zero_experiments_from_their_runs_pool() {
        let zero = |line: &str, delta: u32| {
            format!(
                "experiment\tselected={line}\tspeedup=0.00\tduration=1000000000\t\
                 selected-samples=1\nthroughput-point\tname=ops\tdelta={delta}\n"
            )
        };
        let mut text = String::from("startup\ttime=0\n");
        text += &zero("a.rs:1", 100);
        text += &zero("b.rs:2", 100);
        text += &zero("a.rs:1", 125);
        text += &zero("b.rs:2", 175);
        text += "experiment\tselected=a.rs:1\tspeedup=0.50\tduration=1000000000\t\
                 selected-samples=1\nthroughput-point\tname=ops\tdelta=900\n";
        text += "startup\ttime=0\n";
        text += &zero("a.rs:1", 1000);
        for mode in [BaselineMode::Pooled, BaselineMode::PerLine] {
            let (_, dropped) = curves(&profile(&text), mode);
            let [scatter] = dropped.baseline_scatter.as_slice() else {
                panic!("one point, one scatter: {:?}", dropped.baseline_scatter);
            };
            assert_eq!(scatter.point, "ops");
            assert_eq!(
                (scatter.kind, scatter.experiments),
                (PointKind::Throughput, 5)
            );
            assert!(close(scatter.median, 0.25), "{scatter:?}");
            // 1000 ms / 175 = 5.714 ms against 8 ms: 1 - 1000 / 1400 = 2 / 7.
            assert!(close(scatter.p90, 2.0 / 7.0), "{scatter:?}");
        }
    }

    /// Latency, worked by hand (Little's law, latency = in_flight * duration / arrivals):
    /// - 0 %: 1.0 s, 100 arrivals, 10 in flight, and 3.0 s, 300 arrivals, 2 in flight.
    ///   Pooled: 4.0 s, 400 arrivals, in flight (10*1 + 2*3) / 4 = 4 (duration-weighted),
    ///   latency 4 * 4.0 s / 400 = 40 ms.
    /// - 20 %: 2.0 s, 400 arrivals, 6 in flight: 6 * 2 s / 400 = 30 ms, 25 % lower:
    ///   program speedup +0.25 here (coz's viewer would plot -0.25).
    #[test]
    fn latency_uses_littles_law_with_a_duration_weighted_in_flight_count() {
        let p = profile(
            "experiment\tselected=b.rs:2\tspeedup=0.00\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=100\tdepartures=100\tdifference=10\n\
             experiment\tselected=b.rs:2\tspeedup=0.00\tduration=3000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=300\tdepartures=300\tdifference=2\n\
             experiment\tselected=b.rs:2\tspeedup=0.20\tduration=2000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=400\tdepartures=399\tdifference=6\n",
        );
        let (curves, _) = curves(&p, BaselineMode::Pooled);
        let curve = &curves[0];
        assert_eq!(curve.kind, PointKind::Latency);
        let baseline = curve.baseline.as_ref().unwrap();
        assert!(
            close(baseline.value_ns, 40_000_000.0),
            "{}",
            baseline.value_ns
        );
        let at_20 = &curve.measurements[1];
        assert_eq!(at_20.line_speedup_percent, 20);
        assert!(close(at_20.value_ns, 30_000_000.0));
        assert!(close(at_20.program_speedup, 0.25));
        assert!(close(at_20.change_vs_baseline, -0.25));
    }

    /// coz 0.2.2 with uninitialised counters: 8 in flight plus a garbage offset. Those
    /// readings go; a plausible run in the same file (difference 3 <= 200 arrivals) stays.
    #[test]
    fn latency_readings_with_impossible_in_flight_counts_are_dropped() {
        let p = profile(
            "startup\ttime=0\n\
             experiment\tselected=b.rs:2\tspeedup=0.00\tduration=1000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=300\tdepartures=300\tdifference=570483625747086032\n\
             startup\ttime=0\n\
             experiment\tselected=b.rs:2\tspeedup=0.00\tduration=1000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=200\tdepartures=200\tdifference=3\n",
        );
        let (curves, dropped) = curves(&p, BaselineMode::Pooled);
        assert_eq!(dropped.implausible_latency_readings, 1);
        let example = dropped.implausible_latency_example.unwrap();
        assert_eq!(
            (example.difference, example.run_arrivals),
            (570_483_625_747_086_032, 300)
        );
        assert_eq!(curves[0].experiments, 1);
        // 3 in flight, 200 arrivals in 1000 ns: 3 * 1000 / 200 = 15 ns.
        assert!(close(curves[0].baseline.as_ref().unwrap().value_ns, 15.0));
    }

    /// A one-at-a-time server: snapshots of 0 or 1. Worked by hand:
    /// - 0 %: 1.0 s, 100 arrivals, 1 in flight -> 1 * 1.0 s / 100 = 10 ms; a second 0 %
    ///   experiment with 0 in flight is skipped (pooled, it would halve the latency).
    /// - 50 %: 0 in flight only -> skipped; coz's viewer would plot a latency of 0.
    /// - 100 %: 1.0 s, 125 arrivals, 1 in flight -> 8 ms: +20 %, the throughput period's.
    /// - -1 (an end counted between coz's two reads) counts as none in flight.
    #[test]
    fn latency_readings_with_nothing_in_flight_are_skipped_and_counted() {
        let p = profile(
            "experiment\tselected=d.rs:4\tspeedup=0.00\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=100\tdepartures=100\tdifference=1\n\
             experiment\tselected=d.rs:4\tspeedup=0.00\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=100\tdepartures=100\tdifference=0\n\
             experiment\tselected=d.rs:4\tspeedup=0.50\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=110\tdepartures=110\tdifference=0\n\
             experiment\tselected=d.rs:4\tspeedup=1.00\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=125\tdepartures=125\tdifference=1\n\
             experiment\tselected=e.rs:5\tspeedup=0.00\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=100\tdepartures=101\tdifference=18446744073709551615\n\
             experiment\tselected=e.rs:5\tspeedup=0.05\tduration=1000000000\tselected-samples=0\n\
             latency-point\tname=q\tarrivals=3\tdepartures=3\tdifference=0\n",
        );
        let (curves, dropped) = curves(&p, BaselineMode::Pooled);
        // Three readings with enough visits and nothing in flight; the one with 3 arrivals
        // is a low-visit reading (counted there, once).
        assert_eq!(dropped.no_in_flight_latency_readings, 3);
        assert_eq!(dropped.low_visit_readings, 1);
        assert_eq!(dropped.out_of_range_measurements, 0);
        assert_eq!(
            dropped.in_flight,
            [InFlightSnapshots {
                point: "q".into(),
                readings: 6,
                none_in_flight: 4,
                max_in_flight: 1,
                mean_in_flight: 1.0 / 6.0,
            }]
        );

        let d = curves.iter().find(|c| c.line == "d.rs:4").unwrap();
        assert_eq!((d.experiments, d.no_in_flight_readings), (2, 2));
        let got: Vec<(u32, f64)> = d
            .measurements
            .iter()
            .map(|m| (m.line_speedup_percent, m.value_ns))
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 0);
        assert!(close(got[0].1, 10_000_000.0), "{got:?}");
        assert_eq!(got[1].0, 100);
        assert!(close(got[1].1, 8_000_000.0), "{got:?}");
        assert!(close(d.measurements[1].program_speedup, 0.2));

        // Every reading of e.rs:5 went: an empty curve that still says why.
        let e = curves.iter().find(|c| c.line == "e.rs:5").unwrap();
        assert_eq!(e.kind, PointKind::Latency);
        assert_eq!((e.experiments, e.no_in_flight_readings), (0, 1));
        assert!(e.measurements.is_empty() && !e.has_baseline());
        // No latency of 0 anywhere.
        assert!(
            curves
                .iter()
                .flat_map(|c| &c.measurements)
                .all(|m| m.value_ns > 0.0)
        );
    }

    /// Zero-length experiments make a period of 0 ns: skipped, never a reading.
    #[test]
    fn a_value_of_zero_is_never_a_measurement() {
        let p = profile(
            "experiment\tselected=f.rs:6\tspeedup=0.00\tduration=1000\tselected-samples=0\n\
             throughput-point\tname=ops\tdelta=10\n\
             experiment\tselected=f.rs:6\tspeedup=0.50\tduration=0\tselected-samples=0\n\
             throughput-point\tname=ops\tdelta=10\n",
        );
        let (curves, dropped) = curves(&p, BaselineMode::Pooled);
        assert_eq!(curves[0].measurements.len(), 1);
        assert_eq!(dropped.out_of_range_measurements, 1);
    }

    #[test]
    fn a_curve_without_a_zero_speedup_experiment_has_no_points() {
        let p = profile(
            "experiment\tselected=c.rs:3\tspeedup=0.30\tduration=1000\tselected-samples=0\n\
             throughput-point\tname=ops\tdelta=10\n",
        );
        let (curves, _) = curves(&p, BaselineMode::Pooled);
        assert!(!curves[0].has_baseline());
        assert!(curves[0].measurements.is_empty());
        assert!(close(curves[0].impact, 0.0));
    }

    /// One run, throughput point `ops`, every experiment 1 s: `(line, speedup %, visits)`.
    fn one_second_experiments(rows: &[(&str, u32, u64)]) -> String {
        rows.iter()
            .map(|&(line, speedup, visits)| {
                format!(
                    "experiment\tselected={line}\tspeedup={:.2}\tduration=1000000000\tselected-samples=0\n\
                     throughput-point\tname=ops\tdelta={visits}\n",
                    f64::from(speedup) / 100.0
                )
            })
            .collect()
    }

    fn curve<'a>(curves: &'a [Curve], line: &str) -> &'a Curve {
        curves.iter().find(|c| c.line == line).unwrap()
    }

    fn speedups(curve: &Curve) -> Vec<(u32, f64)> {
        curve
            .measurements
            .iter()
            .map(|m| (m.line_speedup_percent, m.program_speedup))
            .collect()
    }

    fn same(got: &[(u32, f64)], expected: &[(u32, f64)]) -> bool {
        got.len() == expected.len()
            && got
                .iter()
                .zip(expected)
                .all(|(g, e)| g.0 == e.0 && (g.1 - e.1).abs() < 1e-9)
    }

    /// The same profile against both baselines, worked by hand. One run:
    /// - a.rs:1 at 0 %: one slow experiment, 800 visits (1.25 ms per visit);
    /// - b.rs:2 at 0 %: 1000, 1000 and 1200 visits;
    /// - pooled, all four: 4 s / 4000 visits = 1 ms. b.rs:2's own: 3 s / 3200 = 0.9375 ms
    ///   (its 0 % row against the pooled baseline: 1 - 0.9375 = +6.25 %).
    /// - a.rs:1 at 50 %: 1000 visits, 1 ms. Per line: 1 - 1 / 1.25 = +20 %; pooled: 0 %.
    /// - a.rs:1 at 100 %: 1000 and 1250 visits, 2 s / 2250 = 0.8889 ms. Per line:
    ///   1 - 0.8889 / 1.25 = +28.89 %; pooled: 1 - 0.8889 = +11.11 %.
    /// - b.rs:2 at 50 %: 1100 visits, 0.90909 ms. Per line: 1 - 0.90909 / 0.9375 = +3.03 %;
    ///   pooled: +9.09 %.
    /// - c.rs:3 at 50 %: 1250 visits, 0.8 ms. Per line: no baseline, no curve; pooled: +20 %.
    ///
    /// Impact of a.rs:1, per line: to 50 %, (0 + 0.2) / 2 * 0.5 = 0.05, / 0.5 = 0.1; to
    /// 100 %, 0.05 + (0.2 + 0.28889) / 2 * 0.5 = 0.17222, / 1 = 0.17222. Pooled: to 50 %, 0;
    /// to 100 %, (0 + 0.11111) / 2 * 0.5 = 0.02778. The single slow baseline made most of
    /// the per-line impact.
    fn one_slow_baseline() -> CozProfile {
        profile(&one_second_experiments(&[
            ("a.rs:1", 0, 800),
            ("b.rs:2", 0, 1000),
            ("b.rs:2", 0, 1000),
            ("b.rs:2", 0, 1200),
            ("a.rs:1", 50, 1000),
            ("a.rs:1", 100, 1000),
            ("a.rs:1", 100, 1250),
            ("b.rs:2", 50, 1100),
            ("c.rs:3", 50, 1250),
        ]))
    }

    /// [`one_slow_baseline`] as coz's viewer computes it.
    #[test]
    fn a_per_line_baseline_uses_the_lines_own_zero_speedup_experiments() {
        let (per_line, _) = curves(&one_slow_baseline(), BaselineMode::PerLine);
        let a = curve(&per_line, "a.rs:1");
        let baseline = a.baseline.as_ref().unwrap();
        assert_eq!((baseline.experiments, baseline.runs), (1, 1));
        assert!(close(baseline.value_ns, 1_250_000.0));
        assert!(same(
            &speedups(a),
            &[(0, 0.0), (50, 0.2), (100, 1.0 - 2.0 / 2.25 / 1.25)]
        ));
        assert!(close(
            a.impact,
            0.05 + (0.2 + 1.0 - 2.0 / 2.25 / 1.25) / 4.0
        ));
        let b = curve(&per_line, "b.rs:2");
        assert!(same(
            &speedups(b),
            &[(0, 0.0), (50, 1.0 - (1.0 / 1.1) / 0.9375)]
        ));
        let c = curve(&per_line, "c.rs:3");
        assert!(!c.has_baseline() && c.measurements.is_empty());
        assert_eq!(c.speedups_tested(), 0);
    }

    /// [`one_slow_baseline`] against the pool of every 0 % experiment.
    #[test]
    fn a_pooled_baseline_uses_every_zero_speedup_experiment_of_the_run() {
        let (pooled, _) = curves(&one_slow_baseline(), BaselineMode::Pooled);
        let a = curve(&pooled, "a.rs:1");
        let baseline = a.baseline.as_ref().unwrap();
        assert_eq!(
            (
                baseline.experiments,
                baseline.runs,
                baseline.duration_ns,
                baseline.visits
            ),
            (4, 1, 4_000_000_000, 4000)
        );
        assert!(close(baseline.value_ns, 1_000_000.0));
        // The line's own 0 % row stays, against the pooled baseline: 1 - 1.25 = -25 %.
        assert!(same(
            &speedups(a),
            &[(0, -0.25), (50, 0.0), (100, 1.0 - 2.0 / 2.25)]
        ));
        assert_eq!(a.own_baseline().unwrap().experiments, 1);
        assert!(close(a.impact, (1.0 - 2.0 / 2.25) / 4.0));
        // The own 0 % row is no prediction: the best is the 100 % point, not the -25 %.
        let (best, at) = a.max_program_speedup().unwrap();
        assert!(close(best, 1.0 - 2.0 / 2.25) && at == 100);
        assert_eq!((a.speedup_experiments, a.speedups_tested()), (3, 3));
        let b = curve(&pooled, "b.rs:2");
        assert!(same(
            &speedups(b),
            &[(0, 1.0 - 3.0 / 3.2), (50, 1.0 - 1.0 / 1.1)]
        ));
        // c.rs:3 never ran at 0 %, and has a curve all the same.
        let c = curve(&pooled, "c.rs:3");
        assert_eq!(c.baseline.as_ref().unwrap().experiments, 4);
        assert!(same(&speedups(c), &[(50, 0.2)]));
        assert!(c.own_baseline().is_none());
        assert_eq!((c.speedup_experiments, c.speedups_tested()), (1, 2));
        assert!(close(c.impact, 0.2 / 2.0));
    }

    /// Two runs in one file, as `coz run` appends them: run 1 twice as fast as run 2 (another
    /// build, another load). Worked by hand:
    /// - run 1: b.rs:2 at 0 %, 1000 visits (1 ms); a.rs:1 at 50 %, 1250 visits (0.8 ms).
    /// - run 2: b.rs:2 at 0 %, 500 visits (2 ms); a.rs:1 at 50 %, 625 visits (1.6 ms);
    ///   a.rs:1 at 100 %, 800 visits (1.25 ms).
    /// - Each run against its own baseline: at 50 %, 2 s over the time the same visits take
    ///   at baseline, 1250 * 1 ms + 625 * 2 ms = 2.5 s: 0.8, so +20 % (both runs said +20 %);
    ///   at 100 %, 1 - 1.25 / 2 = +37.5 %.
    /// - One pool for the whole file would compare both with 2 s / 1500 = 1.333 ms: +20 % at
    ///   50 % by luck (equal shares of both runs), but 1 - 1.25 / 1.333 = +6.25 % at 100 %.
    /// - Per line, a.rs:1 has no 0 % experiment at all.
    #[test]
    fn runs_appended_to_one_file_are_each_measured_against_their_own_baseline() {
        let p = profile(&format!(
            "startup\ttime=0\n{}startup\ttime=0\n{}",
            one_second_experiments(&[("b.rs:2", 0, 1000), ("a.rs:1", 50, 1250)]),
            one_second_experiments(&[
                ("b.rs:2", 0, 500),
                ("a.rs:1", 50, 625),
                ("a.rs:1", 100, 800)
            ]),
        ));
        assert_eq!(p.runs.len(), 2);
        let (pooled, _) = curves(&p, BaselineMode::Pooled);
        let a = curve(&pooled, "a.rs:1");
        let baseline = a.baseline.as_ref().unwrap();
        assert_eq!(
            (baseline.experiments, baseline.runs, baseline.visits),
            (2, 2, 1500)
        );
        assert!(same(&speedups(a), &[(50, 0.2), (100, 0.375)]));
        // The values shown are the experiments pooled as they are: 2 s / 1875 at 50 %.
        assert!(close(a.measurements[0].value_ns, 2e9 / 1875.0));
        assert!(close(a.measurements[0].change_vs_baseline, -0.2));

        let (per_line, _) = curves(&p, BaselineMode::PerLine);
        assert!(!curve(&per_line, "a.rs:1").has_baseline());
        // b.rs:2's own baseline spans both runs, as coz's viewer pools them.
        let b = curve(&per_line, "b.rs:2").baseline.as_ref().unwrap();
        assert_eq!((b.experiments, b.runs, b.visits), (2, 2, 1500));
    }

    /// A run without a usable 0 % reading leaves its experiments out of the pooled curve.
    #[test]
    fn a_run_without_a_baseline_compares_nothing() {
        let p = profile(&format!(
            "startup\ttime=0\n{}startup\ttime=0\n{}",
            one_second_experiments(&[("b.rs:2", 0, 1000), ("a.rs:1", 50, 1250)]),
            one_second_experiments(&[("a.rs:1", 50, 100), ("a.rs:1", 100, 800)]),
        ));
        let (pooled, _) = curves(&p, BaselineMode::Pooled);
        let a = curve(&pooled, "a.rs:1");
        assert_eq!(a.baseline.as_ref().unwrap().runs, 1);
        assert_eq!(a.experiments, 3);
        assert_eq!(a.speedup_experiments, 1);
        assert!(same(&speedups(a), &[(50, 0.2)]));
    }

    /// The fit, by hand, four experiments of 1 s (equal weights): x = 0, 0.5, 0.5, 1 and
    /// y = 0, 0.2, 0.5, 0.5. Means 0.5 and 0.3; Σ(x - x̄)(y - ȳ) = 0.15 + 0 + 0 + 0.1 = 0.25;
    /// Σ(x - x̄)² = 0.5; slope 0.5, intercept 0.05. Residuals -0.05, -0.1, 0.2, -0.05, squares
    /// summing to 0.055; σ² = 0.055 / 2 = 0.0275; standard error √(0.0275 / 0.5) = 0.2345.
    #[test]
    fn the_slope_is_a_least_squares_line_with_its_standard_error() {
        let fit = slope(&[
            (0.0, 0.0, 1.0),
            (0.5, 0.2, 1.0),
            (0.5, 0.5, 1.0),
            (1.0, 0.5, 1.0),
        ])
        .unwrap();
        assert!(close(fit.slope, 0.5), "{fit:?}");
        assert!(close(fit.standard_error, 0.055_f64.sqrt()), "{fit:?}");
        assert_eq!(fit.experiments, 4);
        // Weights count like repeated points: doubling the weight of (0.5, 0.5) moves the
        // slope exactly as a second copy of it would.
        let weighted = slope(&[
            (0.0, 0.0, 1.0),
            (0.5, 0.2, 1.0),
            (0.5, 0.5, 2.0),
            (1.0, 0.5, 1.0),
        ])
        .unwrap();
        let copied = slope(&[
            (0.0, 0.0, 1.0),
            (0.5, 0.2, 1.0),
            (0.5, 0.5, 1.0),
            (0.5, 0.5, 1.0),
            (1.0, 0.5, 1.0),
        ])
        .unwrap();
        assert!(close(weighted.slope, copied.slope));
        // Too few points, or no spread in x: no fit.
        assert_eq!(slope(&[(0.0, 0.0, 1.0), (1.0, 0.5, 1.0)]), None);
        assert_eq!(
            slope(&[(0.5, 0.0, 1.0), (0.5, 0.5, 1.0), (0.5, 0.2, 1.0)]),
            None
        );
    }

    /// The fit on a curve uses each experiment against the curve's baseline. One run, 1 s
    /// experiments, baseline 1000 visits (1 ms): at 50 %, 1250 and 2000 visits (+20 %,
    /// +50 %), at 100 %, 2000 (+50 %): the points of the hand-worked fit above.
    #[test]
    fn a_curve_carries_the_fit_through_its_experiments() {
        let p = profile(&one_second_experiments(&[
            ("a.rs:1", 0, 1000),
            ("a.rs:1", 50, 1250),
            ("a.rs:1", 50, 2000),
            ("a.rs:1", 100, 2000),
        ]));
        let (curves, _) = curves(&p, BaselineMode::Pooled);
        let fit = curves[0].slope.as_ref().unwrap();
        assert!(close(fit.slope, 0.5) && close(fit.standard_error, 0.055_f64.sqrt()));
    }

    /// Points at 0 %, 50 %, 100 % with speedups 0, 0.4, 0.5:
    /// area to 50 % = (0 + 0.4) / 2 * 0.5 = 0.1, normalised 0.1 / 0.5 = 0.2;
    /// area to 100 % = 0.1 + (0.4 + 0.5) / 2 * 0.5 = 0.325, normalised 0.325.
    /// Impact = max(0.2, 0.325) = 0.325.
    #[test]
    fn impact_is_the_largest_normalised_area_under_the_curve() {
        let point = |speedup: u32, program_speedup: f64| Measurement {
            line_speedup_percent: speedup,
            experiments: 1,
            duration_ns: 1,
            visits: 1,
            value_ns: 1.0,
            change_vs_baseline: -program_speedup,
            program_speedup,
        };
        let rising = [point(0, 0.0), point(50, 0.4), point(100, 0.5)];
        assert!(close(impact(&rising), 0.325));
        // A curve that peaks early keeps its early, higher normalised area:
        // to 20 %: (0 + 0.2) / 2 * 0.2 = 0.02, / 0.2 = 0.1; to 100 %: 0.02 + 0 = 0.02, / 1.
        let early = [point(0, 0.0), point(20, 0.2), point(100, -0.2)];
        assert!(close(impact(&early), 0.1));
        // Only slow-downs: impact 0.
        let falling = [point(0, 0.0), point(50, -0.3)];
        assert!(close(impact(&falling), 0.0));
        assert!(close(impact(&[point(0, 0.0)]), 0.0));
    }
}
