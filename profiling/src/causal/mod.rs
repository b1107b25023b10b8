//! Causal profile analysis: from coz's `profile.coz` to ranked lines with speedup curves and
//! plain warnings about what the profile cannot say.
//!
//! [`file`](mod@file) reads the file, [`curve`] turns experiments into speedup curves as coz's
//! viewer does (with the documented exceptions), [`rank`] orders lines by coz's "impact" on
//! one progress point ([`RankedBy`]), and [`advice`] explains empty, short or mis-scoped
//! profiles and how long to run instead. [`analyze`] runs all four; the
//! `satloc-prof coz-report` binary only formats the result.
//!
//! Built with the `report` feature (on by default).
//!
//! ```
//! use satloc_profiling::causal::{analyze, CozProfile, Options};
//!
//! let profile = CozProfile::parse("startup\ttime=1\nruntime\ttime=2\n").unwrap();
//! let analysis = analyze(&profile, &Options::default()).unwrap();
//! assert!(analysis.ranked.is_empty());
//! assert!(analysis.warnings[0].message.contains("no experiments"));
//! ```

pub mod advice;
pub mod curve;
pub mod file;
pub mod rank;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use advice::{Warning, WarningKind};
pub use curve::{Curve, Dropped, InFlightSnapshots, Measurement, PointKind};
pub use file::{CozProfile, ParseError};
pub use rank::{RankedLine, UnrankedLine};

/// Choices that change what is ranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A curve needs at least this many line speedups (0 % included) to rank its line. coz's
    /// viewer hides curves with fewer than 10 by default; 5 shows shorter runs, with a warning.
    pub min_points: usize,
    /// Rank by this progress point. `None` chooses one (see [`RankedBy`]).
    pub point: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            min_points: 5,
            point: None,
        }
    }
}

/// The progress point whose curves the ranking compares.
///
/// Lines are ranked on one point, not on the best of all points, because the kinds are not
/// equally trustworthy: a throughput point's value is exact (visits counted over the
/// experiment), a latency point's is an estimate (Little's law from one snapshot of the number
/// in flight at the experiment's end, see [`curve`]). Left to choose, [`analyze`] takes the
/// throughput point with the most visits, and a latency point (the one with the most
/// arrivals) only when the profile has no throughput point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedBy {
    /// The progress point's name.
    pub point: String,
    /// What it measures.
    pub kind: PointKind,
    /// Whether it was asked for ([`Options::point`], `--point`) rather than chosen.
    pub requested: bool,
}

/// [`Options::point`] names no progress point of the profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no progress point named `{requested}` in this profile; its points are: {}",
    available.iter().map(|p| format!("{} ({})", p.name, p.kind.as_str())).collect::<Vec<_>>().join(", ")
)]
pub struct UnknownPoint {
    /// The name asked for.
    pub requested: String,
    /// The points the profile has.
    pub available: Vec<ProgressPoint>,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Counts describing the profile as a whole.
    pub summary: Summary,
    /// The progress point the ranking used (`None` when the profile has no progress point
    /// readings at all).
    pub ranked_by: Option<RankedBy>,
    /// Lines whose curve for the ranking point has `min_points` points, by decreasing
    /// impact.
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
///
/// # Errors
/// [`UnknownPoint`] when [`Options::point`] names no progress point of a profile that has
/// some. A profile without any (no experiments) is analysed anyway: its warnings say why.
pub fn analyze(profile: &CozProfile, options: &Options) -> Result<Analysis, UnknownPoint> {
    let (curves, dropped) = curve::curves(profile);
    let samples = profile.samples();
    let mut visits: BTreeMap<ProgressPoint, u64> = BTreeMap::new();
    for reading in profile.experiments().flat_map(|e| &e.points) {
        let (kind, count) = match reading {
            file::PointReading::Throughput { delta, .. } => (PointKind::Throughput, *delta),
            file::PointReading::Latency { arrivals, .. } => (PointKind::Latency, *arrivals),
        };
        let total = visits
            .entry(ProgressPoint {
                name: reading.name().to_owned(),
                kind,
            })
            .or_default();
        *total = total.saturating_add(count);
    }
    let ranked_by = choose_point(&visits, options.point.as_deref())?;
    let (ranked, unranked) = rank::rank(
        profile,
        &curves,
        &samples,
        options.min_points,
        ranked_by.as_ref(),
    );
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
        progress_points: visits.keys().cloned().collect(),
        total_samples: samples.values().sum(),
        min_points: options.min_points,
    };
    let mut analysis = Analysis {
        summary,
        ranked_by,
        ranked,
        unranked,
        curves,
        dropped,
        warnings: Vec::new(),
    };
    analysis.warnings = advice::warnings(profile, &analysis);
    Ok(analysis)
}

/// The requested point, or the default of [`RankedBy`]: the most visited throughput point,
/// else the latency point with the most arrivals. Ties go to the first name.
fn choose_point(
    visits: &BTreeMap<ProgressPoint, u64>,
    requested: Option<&str>,
) -> Result<Option<RankedBy>, UnknownPoint> {
    if let Some(name) = requested {
        if visits.is_empty() {
            return Ok(None);
        }
        // A name used for both kinds means its throughput point: the exact one.
        return [PointKind::Throughput, PointKind::Latency]
            .into_iter()
            .find(|&kind| {
                visits.contains_key(&ProgressPoint {
                    name: name.to_owned(),
                    kind,
                })
            })
            .map(|kind| {
                Some(RankedBy {
                    point: name.to_owned(),
                    kind,
                    requested: true,
                })
            })
            .ok_or_else(|| UnknownPoint {
                requested: name.to_owned(),
                available: visits.keys().cloned().collect(),
            });
    }
    let most_visited = |kind: PointKind| {
        visits
            .iter()
            .filter(|(point, _)| point.kind == kind)
            // `max_by_key` keeps the last of equals; iterate backwards to keep the first name.
            .rev()
            .max_by_key(|&(_, &count)| count)
            .map(|(point, _)| point)
    };
    Ok(most_visited(PointKind::Throughput)
        .or_else(|| most_visited(PointKind::Latency))
        .map(|point| RankedBy {
            point: point.name.clone(),
            kind: point.kind,
            requested: false,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One experiment of 1 s: `(line, speedup %, response visits, query in flight)`; query
    /// arrivals equal the visits, as in a server that answers every query it receives.
    fn experiments(rows: &[(&str, u32, u64, i64)]) -> CozProfile {
        let mut text = String::from("startup\ttime=0\n");
        for &(line, speedup, visits, in_flight) in rows {
            text.push_str(&format!(
                "experiment\tselected={line}\tspeedup={:.2}\tduration=1000000000\tselected-samples=1\n\
                 throughput-point\tname=response\tdelta={visits}\n\
                 latency-point\tname=query\tarrivals={visits}\tdepartures={visits}\tdifference={in_flight}\n",
                f64::from(speedup) / 100.0
            ));
        }
        CozProfile::parse(&text).unwrap()
    }

    /// The shape of satloc-server's first profile: `good.rs:1` really speeds the program up
    /// (visits rise with its speedup); `noise.rs:2` does nothing, but three of its latency
    /// readings caught no query in flight. Counted as readings, those would be latencies of
    /// 0 and "+100 %" program speedups that outrank everything.
    fn one_at_a_time_server() -> CozProfile {
        let mut rows = Vec::new();
        for (speedup, visits) in [
            (0, 1000),
            (20, 1100),
            (40, 1200),
            (60, 1300),
            (80, 1400),
            (100, 1500),
        ] {
            rows.push(("good.rs:1", speedup, visits, 1));
        }
        for (speedup, in_flight) in [(0, 1), (20, 0), (40, 0), (60, 0), (80, 1), (100, 1)] {
            rows.push(("noise.rs:2", speedup, 1000, in_flight));
        }
        experiments(&rows)
    }

    fn ranked_lines(analysis: &Analysis) -> Vec<&str> {
        analysis.ranked.iter().map(|l| l.line.as_str()).collect()
    }

    #[test]
    fn the_throughput_point_ranks_by_default() {
        let analysis = analyze(&one_at_a_time_server(), &Options::default()).unwrap();
        assert_eq!(
            analysis.ranked_by,
            Some(RankedBy {
                point: "response".into(),
                kind: PointKind::Throughput,
                requested: false
            })
        );
        assert_eq!(ranked_lines(&analysis), ["good.rs:1", "noise.rs:2"]);
        let good = &analysis.ranked[0];
        assert_eq!(good.impact_point, "response");
        // 1000 -> 1500 visits: period 1 ms -> 0.667 ms, +33.3 % at 100 %.
        assert!((good.max_program_speedup - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(good.max_at_line_speedup_percent, 100);
        // The ranking curve comes first; the latency curve is shown after it.
        let shown: Vec<&str> = good
            .curves
            .iter()
            .map(|&i| analysis.curves[i].point.as_str())
            .collect();
        assert_eq!(shown, ["response", "query"]);
        assert!(analysis.ranked[1].max_program_speedup.abs() < 1e-9);

        // The skipped readings are counted and explained.
        assert_eq!(analysis.dropped.no_in_flight_latency_readings, 3);
        let warning = analysis
            .warnings
            .iter()
            .find(|w| w.kind == WarningKind::FewInFlight)
            .expect("a few-in-flight warning");
        assert!(
            warning
                .message
                .starts_with("latency point `query`: 3 of 12 reading(s) had no request in flight"),
            "{}",
            warning.message
        );
        assert!(warning.message.contains("Little's law"));
        assert!(warning.message.contains("at most one in flight"));
        assert!(
            warning
                .message
                .ends_with("Read the throughput point `response` instead (the ranking uses it)"),
            "{}",
            warning.message
        );
    }

    #[test]
    fn a_requested_point_ranks_and_says_so() {
        let options = Options {
            point: Some("query".into()),
            ..Options::default()
        };
        let analysis = analyze(&one_at_a_time_server(), &options).unwrap();
        let by = analysis.ranked_by.as_ref().unwrap();
        assert_eq!(
            (by.point.as_str(), by.kind, by.requested),
            ("query", PointKind::Latency, true)
        );
        // noise.rs:2 kept 3 latency speedups (0, 80, 100 %): too few to rank on `query`.
        assert_eq!(ranked_lines(&analysis), ["good.rs:1"]);
        assert_eq!(analysis.unranked[0].line, "noise.rs:2");
        assert_eq!(analysis.unranked[0].speedups_tested, 3);
        let good = &analysis.ranked[0];
        assert_eq!(good.impact_point, "query");
        // With one in flight, latency is the period: the same +33.3 %.
        assert!((good.max_program_speedup - 1.0 / 3.0).abs() < 1e-9);
        let warning = analysis
            .warnings
            .iter()
            .find(|w| w.kind == WarningKind::FewInFlight)
            .unwrap();
        assert!(
            warning
                .message
                .contains("only because --point asked for it"),
            "{}",
            warning.message
        );

        // With a lower bar noise.rs:2 ranks on `query` too, at no gain: its zeros are gone.
        let options = Options {
            min_points: 3,
            point: Some("query".into()),
        };
        let analysis = analyze(&one_at_a_time_server(), &options).unwrap();
        assert_eq!(ranked_lines(&analysis), ["good.rs:1", "noise.rs:2"]);
        assert!(analysis.ranked[1].max_program_speedup.abs() < 1e-9);
    }

    #[test]
    fn an_unknown_point_is_an_error_that_lists_the_points() {
        let options = Options {
            point: Some("responses".into()),
            ..Options::default()
        };
        let err = analyze(&one_at_a_time_server(), &options).unwrap_err();
        assert_eq!(err.requested, "responses");
        assert_eq!(
            err.to_string(),
            "no progress point named `responses` in this profile; its points are: \
             query (latency), response (throughput)"
        );
        // A profile without any point cannot be checked: it gets its warnings instead.
        let empty = CozProfile::parse("startup\ttime=1\nruntime\ttime=2\n").unwrap();
        let analysis = analyze(&empty, &options).unwrap();
        assert_eq!(analysis.ranked_by, None);
        assert_eq!(analysis.warnings[0].kind, WarningKind::NoExperiments);
    }

    #[test]
    fn the_default_point_is_the_most_visited_throughput_point_else_a_latency_point() {
        let point = |name: &str, kind| ProgressPoint {
            name: name.into(),
            kind,
        };
        let visits: BTreeMap<ProgressPoint, u64> = [
            (point("a", PointKind::Throughput), 10),
            (point("b", PointKind::Throughput), 30),
            (point("c", PointKind::Throughput), 30),
            (point("q", PointKind::Latency), 99),
        ]
        .into_iter()
        .collect();
        let by = choose_point(&visits, None).unwrap().unwrap();
        assert_eq!((by.point.as_str(), by.kind), ("b", PointKind::Throughput));

        let latency_only: BTreeMap<ProgressPoint, u64> = [
            (point("p", PointKind::Latency), 5),
            (point("q", PointKind::Latency), 7),
        ]
        .into_iter()
        .collect();
        let by = choose_point(&latency_only, None).unwrap().unwrap();
        assert_eq!((by.point.as_str(), by.kind), ("q", PointKind::Latency));

        // A name used by both kinds means its throughput point.
        let both: BTreeMap<ProgressPoint, u64> = [
            (point("x", PointKind::Throughput), 1),
            (point("x", PointKind::Latency), 1),
        ]
        .into_iter()
        .collect();
        let by = choose_point(&both, Some("x")).unwrap().unwrap();
        assert_eq!((by.kind, by.requested), (PointKind::Throughput, true));
        assert_eq!(choose_point(&BTreeMap::new(), None).unwrap(), None);
    }
}
