//! Speedup curves: for one source line and one progress point, how much faster the program
//! gets when the line is virtually sped up by 0, 5, …, 100 %.
//!
//! The arithmetic follows coz's own viewer (`viewer/ts/profile.ts`), so a curve here matches
//! the one coz would plot from the same file:
//!
//! - experiments at the same (line, point, line speedup) are pooled first: durations and
//!   visit counts are summed; for latency the in-flight count is averaged, weighted by
//!   experiment duration;
//! - a throughput point's value is the *period*, `duration / visits` (ns per visit); a latency
//!   point's value is the mean latency by Little's law, `in_flight / (arrivals / duration)`;
//! - program speedup at line speedup `s` is `(baseline - value(s)) / baseline`, where baseline
//!   is the value at `s = 0`; a curve without a 0 % experiment has no baseline and no points;
//! - values that are not finite are skipped, and so are program speedups outside coz's
//!   plotting range (below -100 % or above +200 %; for latency this range applies to the
//!   value plotted here, whose sign differs from coz's, see below).
//!
//! Three deliberate differences, all documented in `docs/profiling.md`:
//!
//! - A reading with fewer than [`MIN_VISITS`] visits (for latency: fewer arrivals or
//!   departures) is dropped before pooling. Newer coz drops such experiments itself
//!   (`ExperimentTargetDelta`); coz 0.2.2 still writes them, and a handful of visits in
//!   500 ms says more about timing noise than about the line.
//! - For latency, coz's viewer negates the program speedup ("minimise, so negate"), but
//!   `(baseline - value) / baseline` is already positive when latency goes *down*; the
//!   negation makes latency improvements plot as slow-downs (what coz issue #104 reports).
//!   Here both kinds share one orientation: positive means better. The relative change of
//!   the value is kept too ([`Measurement::change_vs_baseline`]), which is exactly the number
//!   coz's viewer plots for a latency point.
//! - A latency reading with more requests in flight than arrived in its whole run is dropped:
//!   coz 0.2.2 starts latency counters uninitialised (coz issue #208), and its in-flight
//!   counts are then pointer-sized garbage that would turn every latency into nonsense.
//! - A latency reading with no request in flight (`difference=0`, or below 0 when an end was
//!   counted between coz's two counter reads) is dropped, and counted per point
//!   ([`InFlightSnapshots`]). Little's law needs the mean number in flight over the
//!   experiment; coz only writes a snapshot of it at the experiment's end. A snapshot of 0
//!   turns the latency into 0 ns and the "program speedup" into +100 %, whatever the line
//!   did. coz's viewer keeps such readings: it averages them into the pool (so a pool of
//!   one zero plots as -100 % in its orientation, and a pool of zeros and ones as a latency
//!   cut by the share of zeros), which is how a first profile of satloc-server was ranked
//!   by "+100 % at 5 %" readings.
//!
//! A snapshot of 1 is kept, deliberately. A server that handles one request at a time per
//! worker can only show 0 or 1; with the zeros gone, every reading says "one in flight", and
//! Little's law becomes `duration / arrivals`, the time between arrivals: the throughput
//! point's period, not an independent latency. That is not wrong (one request is in flight
//! whenever the worker is busy, and a closed-loop load keeps it busy), only redundant, and a
//! 1 is one ordinary value among several for a server that does hold many requests at once
//! (a task per request, several workers), where dropping it would bias the mean upwards
//! again. So 1s stay; the warning names the point and says to read the throughput point,
//! and the ranking uses a throughput point by default ([`super::RankedBy`]).
//!
//! Measurements whose value is not a positive number (0 ns per visit or of latency) are
//! skipped with the out-of-range ones: a period or latency of 0 is never a reading.

use std::collections::BTreeMap;

use serde::Serialize;

use super::file::{CozProfile, PointReading, Run};

/// Readings with fewer visits than this during their experiment are ignored.
pub const MIN_VISITS: u64 = 5;

/// What a progress point measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    /// Visits per unit of time (`progress!`); value is ns per visit.
    Throughput,
    /// A begin/end pair (`latency_begin!`/`latency_end!`); value is mean latency in ns.
    Latency,
}

impl PointKind {
    /// "throughput" or "latency".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throughput => "throughput",
            Self::Latency => "latency",
        }
    }
}

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

/// The speedup curve of one (line, progress point) pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// The selected source line, `FILE:LINE`.
    pub line: String,
    /// The progress point's name.
    pub point: String,
    /// Throughput or latency.
    pub kind: PointKind,
    /// Experiments on this line with a usable reading of this point.
    pub experiments: usize,
    /// Latency readings of this line and point dropped because no request was in flight at
    /// the end of their experiment (always 0 for throughput).
    pub no_in_flight_readings: usize,
    /// Whether there was a usable 0 % experiment.
    pub has_baseline: bool,
    /// The valid measurements by increasing line speedup (empty without a baseline); the
    /// first is the baseline itself when it is valid.
    pub measurements: Vec<Measurement>,
    /// coz's "impact" score of this curve (see [`impact`]).
    pub impact: f64,
}

impl Curve {
    /// The baseline measurement (line speedup 0 %), if the curve has points.
    #[must_use]
    pub fn baseline(&self) -> Option<&Measurement> {
        self.measurements
            .first()
            .filter(|m| m.line_speedup_percent == 0)
    }

    /// The largest predicted program speedup on the curve and the line speedup it was seen at.
    #[must_use]
    pub fn max_program_speedup(&self) -> Option<(f64, u32)> {
        self.measurements
            .iter()
            .map(|m| (m.program_speedup, m.line_speedup_percent))
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
/// uninitialised counters produce (coz issue #208; `src/coz_latency.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImplausibleLatency {
    /// The latency point.
    pub point: String,
    /// The in-flight count coz wrote.
    pub difference: i64,
    /// All arrivals of the point in that run's experiments.
    pub run_arrivals: u64,
}

/// Builds every curve in the profile, ordered by line, then point.
#[must_use]
pub fn curves(profile: &CozProfile) -> (Vec<Curve>, Dropped) {
    let mut dropped = Dropped::default();
    let mut pools: BTreeMap<(&str, &str, PointKind), BTreeMap<u32, Pool>> = BTreeMap::new();
    let mut no_in_flight: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut snapshots: BTreeMap<&str, SnapshotTally> = BTreeMap::new();
    for run in &profile.runs {
        let run_arrivals = arrivals_by_point(run);
        for experiment in &run.experiments {
            for reading in &experiment.points {
                if let PointReading::Latency {
                    name, difference, ..
                } = reading
                {
                    let arrivals = run_arrivals.get(name.as_str()).copied().unwrap_or(0);
                    // More in flight than ever arrived: the counters did not start at 0.
                    if difference.unsigned_abs() > arrivals {
                        dropped.implausible_latency_readings += 1;
                        dropped.implausible_latency_example.get_or_insert_with(|| {
                            ImplausibleLatency {
                                point: name.clone(),
                                difference: *difference,
                                run_arrivals: arrivals,
                            }
                        });
                        continue;
                    }
                    snapshots.entry(name.as_str()).or_default().add(*difference);
                }
                let kind = match reading {
                    PointReading::Throughput { delta, .. } if *delta < MIN_VISITS => None,
                    PointReading::Latency {
                        arrivals,
                        departures,
                        ..
                    } if *arrivals < MIN_VISITS || *departures < MIN_VISITS => None,
                    PointReading::Throughput { .. } => Some(PointKind::Throughput),
                    PointReading::Latency { .. } => Some(PointKind::Latency),
                };
                let Some(kind) = kind else {
                    dropped.low_visit_readings += 1;
                    continue;
                };
                // Nothing in flight at the experiment's end: Little's law would say 0 ns.
                if matches!(reading, PointReading::Latency { difference, .. } if *difference <= 0) {
                    dropped.no_in_flight_latency_readings += 1;
                    *no_in_flight
                        .entry((experiment.selected.as_str(), reading.name()))
                        .or_default() += 1;
                    continue;
                }
                pools
                    .entry((experiment.selected.as_str(), reading.name(), kind))
                    .or_default()
                    .entry(experiment.speedup_percent)
                    .or_default()
                    .add(experiment.duration_ns, reading);
            }
        }
    }
    dropped.in_flight = snapshots
        .into_iter()
        .map(|(point, tally)| tally.summary(point))
        .collect();
    let mut curves: Vec<Curve> = pools
        .into_iter()
        .map(|((line, point, kind), by_speedup)| {
            let mut curve = build_curve(line, point, kind, &by_speedup, &mut dropped);
            if kind == PointKind::Latency {
                curve.no_in_flight_readings =
                    no_in_flight.remove(&(line, point)).unwrap_or_default();
            }
            curve
        })
        .collect();
    // Lines whose every reading of a latency point had nothing in flight still get a curve,
    // an empty one, so that the report can say what happened to them.
    for ((line, point), count) in no_in_flight {
        curves.push(Curve {
            line: line.to_owned(),
            point: point.to_owned(),
            kind: PointKind::Latency,
            experiments: 0,
            no_in_flight_readings: count,
            has_baseline: false,
            measurements: Vec::new(),
            impact: 0.0,
        });
    }
    curves.sort_by(|a, b| (&a.line, &a.point, a.kind).cmp(&(&b.line, &b.point, b.kind)));
    (curves, dropped)
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

fn build_curve(
    line: &str,
    point: &str,
    kind: PointKind,
    by_speedup: &BTreeMap<u32, Pool>,
    dropped: &mut Dropped,
) -> Curve {
    let experiments = by_speedup.values().map(|pool| pool.experiments).sum();
    let baseline = by_speedup.get(&0).map(|pool| pool.value_ns(kind));
    let mut measurements = Vec::new();
    if let Some(baseline) = baseline.filter(|b| b.is_finite() && *b > 0.0) {
        for (&speedup, pool) in by_speedup {
            let value = pool.value_ns(kind);
            let program_speedup = (baseline - value) / baseline;
            // A period or latency of 0 is no reading (and `value > 0.0` is false for NaN).
            let valid = value.is_finite() && value > 0.0;
            if !(valid && (-1.0..=2.0).contains(&program_speedup)) {
                dropped.out_of_range_measurements += 1;
                continue;
            }
            measurements.push(Measurement {
                line_speedup_percent: speedup,
                experiments: pool.experiments,
                duration_ns: pool.duration_ns,
                visits: pool.visits,
                value_ns: value,
                change_vs_baseline: -program_speedup,
                program_speedup,
            });
        }
    }
    let impact = impact(&measurements);
    Curve {
        line: line.to_owned(),
        point: point.to_owned(),
        kind,
        experiments,
        no_in_flight_readings: 0,
        has_baseline: baseline.is_some(),
        measurements,
        impact,
    }
}

/// coz's "impact" score (its viewer's default sort): walk the curve from the lowest line
/// speedup, accumulating the area under it by trapezoids, and take the largest
/// `area / line_speedup` seen — the mean predicted program speedup over line speedups
/// `0..=x`, maximised over `x`. Never below 0.
///
/// Unlike the single largest point it is not carried by one noisy experiment, and unlike the
/// value at 100 % it credits lines whose benefit saturates early.
#[must_use]
pub fn impact(measurements: &[Measurement]) -> f64 {
    let mut best: f64 = 0.0;
    let mut area = 0.0;
    for pair in measurements.windows(2) {
        let (previous, current) = (&pair[0], &pair[1]);
        let width = f64::from(current.line_speedup_percent - previous.line_speedup_percent) / 100.0;
        area += (previous.program_speedup + current.program_speedup) / 2.0 * width;
        let x = f64::from(current.line_speedup_percent) / 100.0;
        if x > 0.0 {
            best = best.max(area / x);
        }
    }
    best
}

/// Experiments of one (line, point, line speedup), pooled as coz's viewer pools them.
#[derive(Debug, Default)]
struct Pool {
    experiments: usize,
    duration_ns: u64,
    /// Throughput delta or latency arrivals.
    visits: u64,
    /// Σ in_flight × duration, for the duration-weighted mean in-flight count.
    in_flight_ns: f64,
}

impl Pool {
    fn add(&mut self, duration_ns: u64, reading: &PointReading) {
        self.experiments += 1;
        self.duration_ns = self.duration_ns.saturating_add(duration_ns);
        match reading {
            PointReading::Throughput { delta, .. } => {
                self.visits = self.visits.saturating_add(*delta);
            }
            PointReading::Latency {
                arrivals,
                difference,
                ..
            } => {
                self.visits = self.visits.saturating_add(*arrivals);
                self.in_flight_ns += as_f64_i(*difference) * as_f64(duration_ns);
            }
        }
    }

    /// ns per visit (throughput) or mean latency in ns (latency); may be NaN or infinite.
    fn value_ns(&self, kind: PointKind) -> f64 {
        let duration = as_f64(self.duration_ns);
        let visits = as_f64(self.visits);
        match kind {
            PointKind::Throughput => duration / visits,
            PointKind::Latency => {
                let in_flight = self.in_flight_ns / duration;
                let arrival_rate = visits / duration;
                in_flight / arrival_rate
            }
        }
    }
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
        let (curves, dropped) = curves(&p);
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
        let (curves, _) = curves(&p);
        let curve = &curves[0];
        assert_eq!(curve.kind, PointKind::Latency);
        let baseline = curve.baseline().unwrap();
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
        let (curves, dropped) = curves(&p);
        assert_eq!(dropped.implausible_latency_readings, 1);
        let example = dropped.implausible_latency_example.unwrap();
        assert_eq!(
            (example.difference, example.run_arrivals),
            (570_483_625_747_086_032, 300)
        );
        assert_eq!(curves[0].experiments, 1);
        // 3 in flight, 200 arrivals in 1000 ns: 3 * 1000 / 200 = 15 ns.
        assert!(close(curves[0].baseline().unwrap().value_ns, 15.0));
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
        let (curves, dropped) = curves(&p);
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
        assert!(e.measurements.is_empty() && !e.has_baseline);
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
        let (curves, dropped) = curves(&p);
        assert_eq!(curves[0].measurements.len(), 1);
        assert_eq!(dropped.out_of_range_measurements, 1);
    }

    #[test]
    fn a_curve_without_a_zero_speedup_experiment_has_no_points() {
        let p = profile(
            "experiment\tselected=c.rs:3\tspeedup=0.30\tduration=1000\tselected-samples=0\n\
             throughput-point\tname=ops\tdelta=10\n",
        );
        let (curves, _) = curves(&p);
        assert!(!curves[0].has_baseline);
        assert!(curves[0].measurements.is_empty());
        assert!(close(curves[0].impact, 0.0));
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
