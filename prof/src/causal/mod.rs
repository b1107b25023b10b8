//! Causal profile analysis: from coz's `profile.coz` to ranked lines with speedup curves and
//! plain warnings about what the profile cannot say.
//!
//! [`file`](mod@file) reads the file, [`curve`] turns experiments into speedup curves as coz's
//! viewer does (with the documented exceptions, the main one a baseline pooled over every
//! 0 % experiment of a run, [`BaselineMode`]), [`rank`] orders the lines with enough
//! experiments by coz's "impact" on one progress point ([`RankedBy`]), and [`advice`]
//! explains empty, short or mis-scoped profiles and how long to run instead. [`analyze`]
//! runs all four and returns an [`Analysis`] (the types in [`analysis`]; the progress point
//! kinds they share are in [`point`]); the `satloc-prof coz-report` binary only formats the
//! result. Each module imports only modules earlier in the order `point`, `file`, `curve`,
//! `rank`, `analysis`, `advice`, and this one imports them all: the imports run one way.
//!
//! ```
//! use satloc_prof::causal::{analyze, CozProfile, Options};
//!
//! let profile = CozProfile::parse("startup\ttime=1\nruntime\ttime=2\n").unwrap();
//! let analysis = analyze(&profile, &Options::default()).unwrap();
//! assert!(analysis.ranked.is_empty());
//! assert!(analysis.warnings[0].message.contains("no experiments"));
//! ```

pub mod advice;
pub mod analysis;
pub mod curve;
pub mod file;
pub mod point;
pub mod rank;

use std::collections::{BTreeMap, BTreeSet};

pub use analysis::{Analysis, Summary, Warning, WarningKind};
pub use curve::{
    Baseline, BaselineMode, BaselineScatter, Curve, Dropped, InFlightSnapshots, Measurement, Slope,
};
pub use file::{CozProfile, ParseError};
pub use point::{PointKind, ProgressPoint};
pub use rank::{NotRanked, RankedBy, RankedLine, UnrankedLine};

/// Choices that change what is ranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A curve needs at least this many line speedups (0 % included) to rank its line. coz's
    /// viewer hides curves with fewer than 10 by default; 5 shows shorter runs, with a warning.
    pub min_points: usize,
    /// A curve needs at least this many experiments above 0 % line speedup to rank its line
    /// (20 by default: see [`rank`] for why).
    pub min_experiments: usize,
    /// Rank by this progress point. `None` chooses one (see [`RankedBy`]).
    pub point: Option<String>,
    /// Which 0 % experiments program speedups are measured against.
    pub baseline: BaselineMode,
}

impl Options {
    /// The default [`Options::min_experiments`].
    pub const DEFAULT_MIN_EXPERIMENTS: usize = 20;
}

impl Default for Options {
    fn default() -> Self {
        Self {
            min_points: 5,
            min_experiments: Self::DEFAULT_MIN_EXPERIMENTS,
            point: None,
            baseline: BaselineMode::default(),
        }
    }
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

/// Reads, pools, ranks and explains a profile.
///
/// # Errors
/// [`UnknownPoint`] when [`Options::point`] names no progress point of a profile that has
/// some. A profile without any (no experiments) is analysed anyway: its warnings say why.
pub fn analyze(profile: &CozProfile, options: &Options) -> Result<Analysis, UnknownPoint> {
    let (curves, dropped) = curve::curves(profile, options.baseline);
    let samples = profile.samples();
    let mut visits: BTreeMap<ProgressPoint, u64> = BTreeMap::new();
    for reading in profile.experiments().flat_map(|e| &e.points) {
        let total = visits
            .entry(ProgressPoint {
                name: reading.name().to_owned(),
                kind: reading.kind(),
            })
            .or_default();
        *total = total.saturating_add(reading.visits());
    }
    let ranked_by = choose_point(&visits, options.point.as_deref())?;
    let (ranked, unranked) = rank::rank(
        profile,
        &curves,
        &samples,
        rank::Thresholds {
            min_points: options.min_points,
            min_experiments: options.min_experiments,
        },
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
        min_experiments: options.min_experiments,
    };
    let mut analysis = Analysis {
        summary,
        baseline_mode: options.baseline,
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

    /// The hand-made profiles here have 5 experiments above 0 % per line, below the default
    /// `min_experiments` (which has tests of its own): these tests are about other things.
    fn few_experiments_ok() -> Options {
        Options {
            min_experiments: 1,
            ..Options::default()
        }
    }

    fn ranked_lines(analysis: &Analysis) -> Vec<&str> {
        analysis.ranked.iter().map(|l| l.line.as_str()).collect()
    }

    fn find_warning(analysis: &Analysis, kind: WarningKind) -> Option<&Warning> {
        analysis.warnings.iter().find(|w| w.kind == kind)
    }

    #[test]
    fn the_throughput_point_ranks_by_default() {
        let analysis = analyze(&one_at_a_time_server(), &few_experiments_ok()).unwrap();
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
        let warning =
            find_warning(&analysis, WarningKind::FewInFlight).expect("a few-in-flight warning");
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
            ..few_experiments_ok()
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
        let warning = find_warning(&analysis, WarningKind::FewInFlight).unwrap();
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
            ..few_experiments_ok()
        };
        let analysis = analyze(&one_at_a_time_server(), &options).unwrap();
        assert_eq!(ranked_lines(&analysis), ["good.rs:1", "noise.rs:2"]);
        assert!(analysis.ranked[1].max_program_speedup.abs() < 1e-9);
    }

    /// a.rs:1 has 19 experiments above 0 %, b.rs:2 has 20, c.rs:3 has 20 all at 50 %; each
    /// speeds the program up a little. Only b.rs:2 clears both bars by default.
    fn threshold_profile() -> CozProfile {
        let mut rows = vec![("a.rs:1", 0, 1000, 1), ("b.rs:2", 0, 1000, 1)];
        for i in 0..20u32 {
            let speedup = 5 * (i % 19 + 1);
            let visits = 1000 + u64::from(speedup);
            if i < 19 {
                rows.push(("a.rs:1", speedup, visits, 1));
            }
            rows.push(("b.rs:2", speedup, visits, 1));
            rows.push(("c.rs:3", 50, 1050, 1));
        }
        experiments(&rows)
    }

    #[test]
    fn lines_with_fewer_than_min_experiments_are_listed_with_the_reason() {
        let analysis = analyze(&threshold_profile(), &Options::default()).unwrap();
        assert_eq!(analysis.summary.min_experiments, 20);
        assert_eq!(analysis.baseline_mode, BaselineMode::Pooled);
        assert_eq!(ranked_lines(&analysis), ["b.rs:2"]);
        let b = &analysis.ranked[0];
        assert_eq!((b.speedup_experiments, b.speedups_tested), (20, 20));
        // The pooled baseline: both 0 % experiments.
        assert_eq!(b.baseline_experiments, 2);
        let unranked: Vec<(&str, NotRanked, usize, usize)> = analysis
            .unranked
            .iter()
            .map(|l| {
                (
                    l.line.as_str(),
                    l.reason,
                    l.speedup_experiments,
                    l.speedups_tested,
                )
            })
            .collect();
        assert_eq!(
            unranked,
            [
                ("c.rs:3", NotRanked::FewSpeedups, 20, 2),
                ("a.rs:1", NotRanked::FewExperiments, 19, 20),
            ]
        );
        let warning = find_warning(&analysis, WarningKind::FewExperiments)
            .expect("a few-experiments warning");
        assert!(
            warning.message.starts_with(
                "1 of 3 line(s) had fewer than 20 experiments above 0 % line speedup and are \
                 not ranked"
            ),
            "{}",
            warning.message
        );
        // 19 of them in 61 s of experiments: 20 take 64.2 s, 2 minutes.
        assert!(
            warning.message.contains(
                "The closest, a.rs:1, got 19 in 61 s of experiments: at that rate it \
                           needs a run of about 2 minute(s)"
            ),
            "{}",
            warning.message
        );
        assert!(
            analysis
                .warnings
                .iter()
                .any(|w| w.kind == WarningKind::FewSpeedups)
        );
    }

    /// One experiment less asked for than the default, and a.rs:1 of [`threshold_profile`]
    /// joins.
    #[test]
    fn a_lower_min_experiments_ranks_the_line_just_under_the_bar() {
        let options = Options {
            min_experiments: 19,
            ..Options::default()
        };
        let analysis = analyze(&threshold_profile(), &options).unwrap();
        assert_eq!(ranked_lines(&analysis).len(), 2);
        assert!(
            analysis
                .warnings
                .iter()
                .all(|w| w.kind != WarningKind::FewExperiments)
        );
    }

    /// With nothing above the bar, the warning says that nothing can be ranked yet.
    #[test]
    fn nothing_ranked_for_want_of_experiments_says_so() {
        let analysis = analyze(&one_at_a_time_server(), &Options::default()).unwrap();
        assert!(analysis.ranked.is_empty());
        assert!(
            analysis
                .unranked
                .iter()
                .all(|l| l.reason == NotRanked::FewExperiments)
        );
        let warning = find_warning(&analysis, WarningKind::FewExperiments).unwrap();
        assert!(
            warning.message.starts_with(
                "nothing can be ranked yet: no line had 20 or more experiments above 0 % line \
                 speedup"
            ),
            "{}",
            warning.message
        );
    }

    /// The mode reaches the curves: a line with no 0 % experiment of its own is plotted
    /// against the pooled baseline, and not per line.
    #[test]
    fn the_baseline_mode_decides_whether_a_line_without_its_own_baseline_ranks() {
        let mut rows = vec![("a.rs:1", 0, 1000, 1)];
        for i in 0..20u32 {
            rows.push(("b.rs:2", 5 * (i + 1), 1100, 1));
        }
        let profile = experiments(&rows);
        let pooled = analyze(&profile, &Options::default()).unwrap();
        assert_eq!(ranked_lines(&pooled), ["b.rs:2"]);
        // 1000 -> 1100 visits: p = +9.09 % at every line speedup from 5 % to 100 %. The curve
        // starts at (0 %, 0), so the area to 100 % is p / 2 * 0.05 + p * 0.95 = 0.975 p, the
        // largest area / x.
        assert!((pooled.ranked[0].impact - 0.975 * (1.0 - 1.0 / 1.1)).abs() < 1e-9);
        assert!(
            pooled
                .warnings
                .iter()
                .all(|w| w.kind != WarningKind::NoBaseline)
        );

        let options = Options {
            baseline: BaselineMode::PerLine,
            ..Options::default()
        };
        let per_line = analyze(&profile, &options).unwrap();
        assert_eq!(per_line.baseline_mode, BaselineMode::PerLine);
        assert!(per_line.ranked.is_empty());
        let b = per_line
            .unranked
            .iter()
            .find(|l| l.line == "b.rs:2")
            .unwrap();
        assert_eq!((b.reason, b.has_baseline), (NotRanked::NoBaseline, false));
        let warning = find_warning(&per_line, WarningKind::NoBaseline).unwrap();
        assert!(
            warning.message.starts_with(
                "1 of 2 line(s) have no 0 % (baseline) experiment of its own (--baseline \
                 per-line) and cannot be plotted"
            ),
            "{}",
            warning.message
        );
    }

    /// `lucky.rs:1` got two fast experiments at 5 % and 10 % and noise after them: the
    /// highest impact, a falling slope. `steady.rs:2` speeds the program up a little more at
    /// each line speedup (up to +9 % at 100 %, with ±0.2 % jitter): a lower impact, a slope
    /// many standard errors above 0.
    fn lucky_and_steady(with_steady: bool) -> CozProfile {
        let mut rows = vec![("lucky.rs:1", 0, 1000, 1), ("steady.rs:2", 0, 1000, 1)];
        for i in 0..20u32 {
            let speedup = 5 * (i + 1);
            let lucky = match i {
                0 => 1300,
                1 => 1250,
                _ if i % 2 == 0 => 1060,
                _ => 940,
            };
            rows.push(("lucky.rs:1", speedup, lucky, 1));
            if with_steady {
                let jitter = if i % 2 == 0 { 2 } else { 0 };
                rows.push((
                    "steady.rs:2",
                    speedup,
                    1000 + u64::from(speedup) + jitter,
                    1,
                ));
            }
        }
        experiments(&rows)
    }

    #[test]
    fn a_leader_whose_curve_does_not_rise_beyond_its_noise_is_called_out() {
        let analysis = analyze(&lucky_and_steady(true), &Options::default()).unwrap();
        assert_eq!(ranked_lines(&analysis), ["lucky.rs:1", "steady.rs:2"]);
        let [lucky, steady] = analysis.ranked.as_slice() else {
            unreachable!()
        };
        assert!(lucky.impact > steady.impact);
        assert!(!lucky.rises_clearly, "{:?}", lucky.slope);
        assert!(steady.rises_clearly, "{:?}", steady.slope);
        let slope = steady.slope.as_ref().unwrap();
        assert!((0.07..0.11).contains(&slope.slope), "{slope:?}");
        let warning =
            find_warning(&analysis, WarningKind::NoClearRise).expect("a no-clear-rise warning");
        assert!(
            warning
                .message
                .starts_with("#1 lucky.rs:1 leads on impact, but its curve does not rise"),
            "{}",
            warning.message
        );
        assert!(
            warning
                .message
                .contains("the first line whose curve does is #2 steady.rs:2 (slope +"),
            "{}",
            warning.message
        );

        // Without the steady line nothing rises, and the warning says the order means
        // nothing yet.
        let analysis = analyze(&lucky_and_steady(false), &Options::default()).unwrap();
        let warning = find_warning(&analysis, WarningKind::NoClearRise).unwrap();
        assert!(
            warning
                .message
                .starts_with("none of the 1 ranked line(s) has a curve that rises beyond"),
            "{}",
            warning.message
        );

        // A leader that does rise draws no such warning.
        let analysis = analyze(&one_at_a_time_server(), &few_experiments_ok()).unwrap();
        assert!(analysis.ranked[0].rises_clearly);
        assert!(
            analysis
                .warnings
                .iter()
                .all(|w| w.kind != WarningKind::NoClearRise)
        );
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
        let points = |points: &[(&str, PointKind, u64)]| -> BTreeMap<ProgressPoint, u64> {
            points
                .iter()
                .map(|&(name, kind, count)| {
                    let point = ProgressPoint {
                        name: name.into(),
                        kind,
                    };
                    (point, count)
                })
                .collect()
        };
        let visits = points(&[
            ("a", PointKind::Throughput, 10),
            ("b", PointKind::Throughput, 30),
            ("c", PointKind::Throughput, 30),
            ("q", PointKind::Latency, 99),
        ]);
        let by = choose_point(&visits, None).unwrap().unwrap();
        assert_eq!((by.point.as_str(), by.kind), ("b", PointKind::Throughput));

        let latency_only = points(&[("p", PointKind::Latency, 5), ("q", PointKind::Latency, 7)]);
        let by = choose_point(&latency_only, None).unwrap().unwrap();
        assert_eq!((by.point.as_str(), by.kind), ("q", PointKind::Latency));

        // A name used by both kinds means its throughput point.
        let both = points(&[
            ("x", PointKind::Throughput, 1),
            ("x", PointKind::Latency, 1),
        ]);
        let by = choose_point(&both, Some("x")).unwrap().unwrap();
        assert_eq!((by.kind, by.requested), (PointKind::Throughput, true));
        assert_eq!(choose_point(&BTreeMap::new(), None).unwrap(), None);
    }
}
