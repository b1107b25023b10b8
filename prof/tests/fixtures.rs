//! The analysis on real profiles written by Debian's coz 0.2.2 (`tests/fixtures/README.md`
//! says how each was made).

use std::path::Path;

use satloc_prof::causal::{
    self, Analysis, BaselineMode, CozProfile, NotRanked, Options, PointKind, WarningKind,
};

fn fixture(name: &str) -> CozProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    CozProfile::parse(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn analyze(name: &str) -> Analysis {
    analyze_with(name, &Options::default())
}

fn analyze_with(name: &str, options: &Options) -> Analysis {
    causal::analyze(&fixture(name), options).unwrap()
}

/// coz's viewer's baseline: each line's own 0 % experiments.
fn per_line_options() -> Options {
    Options {
        baseline: BaselineMode::PerLine,
        ..Options::default()
    }
}

fn kinds(analysis: &Analysis) -> Vec<WarningKind> {
    analysis.warnings.iter().map(|w| w.kind).collect()
}

/// Where the two loops of `profiling/examples/coz_toy.rs` were when `coz_toy.coz` was recorded.
const COSTLY_LINE: &str = "/work/main/profiling/examples/coz_toy.rs:68";
const CHEAP_LINE: &str = "/work/main/profiling/examples/coz_toy.rs:58";

#[test]
fn the_fixture_lines_are_still_the_loops_of_the_toy() {
    let source = include_str!("../../profiling/examples/coz_toy.rs");
    let lines: Vec<&str> = source.lines().collect();
    // 1-based line numbers, as coz writes them.
    assert!(
        lines[57].contains("h = black_box("),
        "line 58: {}",
        lines[57]
    );
    assert!(
        lines[67].contains("h = black_box("),
        "line 68: {}",
        lines[67]
    );
    let costly_fn = lines.iter().position(|l| l.contains("fn costly")).unwrap();
    let cheap_fn = lines.iter().position(|l| l.contains("fn cheap")).unwrap();
    assert!(cheap_fn < 57 && 57 < costly_fn && costly_fn < 67);
}

#[test]
fn the_toy_profile_ranks_the_costly_loop_first() {
    let analysis = analyze("coz_toy.coz");
    let s = &analysis.summary;
    assert_eq!(
        (s.runs, s.experiments, s.baseline_experiments),
        (1, 175, 50)
    );
    assert_eq!(s.selected_lines, 3);
    assert_eq!(s.progress_points.len(), 2);

    let first = &analysis.ranked[0];
    assert_eq!(first.line, COSTLY_LINE);
    assert_eq!(analysis.ranked[1].line, CHEAP_LINE);
    assert!(first.impact > analysis.ranked[1].impact);
    // The costly loop does three times the work of the cheap one: coz's samples agree.
    let costly = first.samples as f64;
    let cheap = analysis.ranked[1].samples as f64;
    assert!((2.5..3.5).contains(&(costly / cheap)), "{costly} / {cheap}");
    assert!(first.sample_share.unwrap() > 0.6);
    // A rising curve: most of the benefit shows at large line speedups.
    assert!(first.max_program_speedup > 0.3);
    assert!(first.max_at_line_speedup_percent >= 80);
    // So does the straight-line fit, well clear of its standard error.
    let fit = first.slope.as_ref().unwrap();
    assert!(fit.slope > 0.3 && fit.standard_error < 0.1, "{fit:?}");
    // The third line, code without a source line (`:0`), got 9 experiments above 0 %: too
    // few to rank with the default of 20 (`--min-experiments 1` ranks it third, at +0.0 %).
    assert_eq!(analysis.ranked.len(), 2);
    let third = &analysis.unranked[0];
    assert!(third.line.ends_with("coz_toy.rs:0"), "{third:?}");
    assert_eq!(
        (third.reason, third.speedup_experiments),
        (NotRanked::FewExperiments, 9)
    );
    assert_eq!(kinds(&analysis), [WarningKind::FewExperiments]);
}

/// The costly loop's throughput curve, recomputed from the file with a few lines of Python
/// (`tests/fixtures/README.md`). The pooled baseline (the default): all 50 experiments at 0 %,
/// whichever of the three lines coz selected, 25 101 354 437 ns and 13 741 visits,
/// 1 826 748.7 ns per visit. At 100 %, 4 experiments, 1 178 448 003 ns and 1 154 visits,
/// 1 021 185.4 ns per visit; program speedup (1 826 748.7 - 1 021 185.4) / 1 826 748.7 =
/// 0.44098. The line's own 38 experiments at 0 % give 1 827 771.7 ns per visit, and 0.44129
/// at 100 % per line (`--baseline per-line`): the toy's baselines agree to 0.06 %, because
/// every line of it had many. And with 8 requests always in
/// flight, latency is 8 periods, so the latency curve gives the same speedups.
#[test]
fn the_costly_loop_curve_matches_a_hand_computation() {
    let analysis = analyze("coz_toy.coz");
    let first = &analysis.ranked[0];
    let curve = |kind| {
        first
            .curves
            .iter()
            .map(|&i| &analysis.curves[i])
            .find(|c| c.kind == kind)
            .unwrap()
    };
    let throughput = curve(PointKind::Throughput);
    let baseline = throughput.baseline.as_ref().unwrap();
    assert_eq!(
        (baseline.experiments, baseline.duration_ns, baseline.visits),
        (50, 25_101_354_437, 13_741)
    );
    assert!((baseline.value_ns - 1_826_748.740).abs() < 0.01);
    // The line's own 0 % row, against the pooled baseline.
    let own = throughput.own_baseline().unwrap();
    assert_eq!(
        (own.experiments, own.duration_ns, own.visits),
        (38, 19_023_447_740, 10_408)
    );
    assert!((own.value_ns - 1_827_771.689).abs() < 0.01);
    assert!(
        (own.program_speedup - (1.0 - 1_827_771.689 / 1_826_748.740)).abs() < 1e-9,
        "{own:?}"
    );
    let full = throughput.measurements.last().unwrap();
    assert_eq!(
        (
            full.line_speedup_percent,
            full.experiments,
            full.duration_ns,
            full.visits
        ),
        (100, 4, 1_178_448_003, 1_154)
    );
    assert!((full.program_speedup - 0.440_98).abs() < 1e-5, "{full:?}");

    // coz's viewer's baseline, the line's own 0 % experiments.
    let per_line = analyze_with("coz_toy.coz", &per_line_options());
    let line = &per_line.ranked[0];
    assert_eq!(line.line, COSTLY_LINE);
    let throughput = &per_line.curves[line.curves[0]];
    let baseline = throughput.baseline.as_ref().unwrap();
    assert_eq!(
        (baseline.experiments, baseline.duration_ns, baseline.visits),
        (38, 19_023_447_740, 10_408)
    );
    let full = throughput.measurements.last().unwrap();
    assert!((full.program_speedup - 0.441_29).abs() < 1e-5, "{full:?}");

    let latency = curve(PointKind::Latency);
    assert_eq!(throughput.measurements.len(), latency.measurements.len());
    for (t, l) in throughput.measurements.iter().zip(&latency.measurements) {
        assert_eq!(t.line_speedup_percent, l.line_speedup_percent);
        assert!(
            (l.value_ns / t.value_ns - 8.0).abs() < 0.01,
            "{l:?} vs {t:?}"
        );
        assert!((l.program_speedup - t.program_speedup).abs() < 0.01);
    }
}

/// Two 10 s runs of the toy, on a machine whose load changed between them: run 1's
/// baseline is 1.16 ms per request (6 experiments at 0 %), run 2's 1.75 ms (1 experiment).
#[test]
fn two_runs_appended_to_one_file_are_pooled() {
    let profile = fixture("coz_toy_two_runs.coz");
    assert_eq!(profile.runs.len(), 2);
    let per_run: Vec<usize> = profile.runs.iter().map(|r| r.experiments.len()).collect();
    let analysis = causal::analyze(&profile, &Options::default()).unwrap();
    assert_eq!(analysis.summary.experiments, per_run.iter().sum::<usize>());
    assert!(per_run.iter().all(|&n| n > 0), "{per_run:?}");
    // Samples: the last dump of each run, added up.
    let total: u64 = profile
        .runs
        .iter()
        .map(|r| r.samples.values().sum::<u64>())
        .sum();
    assert_eq!(analysis.summary.total_samples, total);
    // coz_toy.rs:0 ran once, at 80 % in run 2, and never at 0 %. Against run 2's pooled
    // baseline (one experiment of line 68: 500 105 301 ns / 286 = 1 748 619.9 ns) its
    // 492 919 527 ns / 206 = 2 392 813.2 ns is a program speedup of -36.84 %. One pool for
    // the whole file (7 experiments, 3 501 910 949 ns / 2 877 = 1 217 209.2 ns, mostly the
    // faster run 1) would have said -96.58 %.
    let zero = analysis
        .curves
        .iter()
        .find(|c| c.line.ends_with("coz_toy.rs:0") && c.kind == PointKind::Throughput)
        .unwrap();
    let baseline = zero.baseline.as_ref().unwrap();
    assert_eq!((baseline.experiments, baseline.runs), (1, 1));
    assert_eq!(zero.measurements.len(), 1);
    let at_80 = &zero.measurements[0];
    assert_eq!(at_80.line_speedup_percent, 80);
    assert!(
        (at_80.program_speedup - -0.368_401).abs() < 1e-6,
        "{at_80:?}"
    );
    // The costly loop ran in both: its baseline has both runs' 0 % experiments.
    let costly = analysis
        .curves
        .iter()
        .find(|c| c.line == COSTLY_LINE && c.kind == PointKind::Throughput)
        .unwrap();
    let baseline = costly.baseline.as_ref().unwrap();
    assert_eq!((baseline.experiments, baseline.runs), (7, 2));
    // 20 s is too short: the cheap loop and line 0 have a handful of experiments each, and
    // the report says so and how long to run.
    assert_eq!(analysis.ranked.len(), 1);
    assert!(
        analysis
            .unranked
            .iter()
            .all(|l| l.reason == NotRanked::FewExperiments && l.has_baseline)
    );
    assert!(kinds(&analysis).contains(&WarningKind::FewExperiments));
    assert!(!kinds(&analysis).contains(&WarningKind::NoBaseline));
}

/// Per line, as coz's viewer does it, line 0 of the two-run profile has no baseline at all:
/// the report says so and how long to run.
#[test]
fn per_line_a_line_never_run_at_0_percent_has_no_baseline() {
    let profile = fixture("coz_toy_two_runs.coz");
    let per_line = causal::analyze(&profile, &per_line_options()).unwrap();
    let no_baseline = per_line
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::NoBaseline)
        .expect("a warning about a line without baseline");
    assert!(
        no_baseline
            .message
            .starts_with("1 of 3 line(s) have no 0 % (baseline)"),
        "{}",
        no_baseline.message
    );
    assert!(no_baseline.message.contains("Run for at least 1 minute(s)"));
    let line_0 = per_line
        .unranked
        .iter()
        .find(|l| l.line.ends_with("coz_toy.rs:0"))
        .unwrap();
    assert_eq!(
        (line_0.reason, line_0.has_baseline),
        (NotRanked::NoBaseline, false)
    );
}

#[test]
fn coz_0_2_2_latency_counters_from_coz_h_are_garbage_and_ignored() {
    let profile = fixture("c_latency_uninitialised.coz");
    let analysis = causal::analyze(&profile, &Options::default()).unwrap();
    let latency_readings = profile
        .experiments()
        .flat_map(|e| &e.points)
        .filter(|p| matches!(p, causal::file::PointReading::Latency { .. }))
        .count();
    assert!(latency_readings > 0);
    assert_eq!(
        analysis.dropped.implausible_latency_readings,
        latency_readings
    );
    assert!(kinds(&analysis).contains(&WarningKind::UninitialisedLatency));
    assert!(
        analysis
            .curves
            .iter()
            .all(|c| c.kind == PointKind::Throughput)
    );
}

#[test]
fn a_profile_of_an_lld_linked_binary_is_empty_and_says_why() {
    let analysis = analyze("lld_linked_empty.coz");
    assert_eq!(analysis.summary.runs, 1);
    assert_eq!(analysis.summary.experiments, 0);
    assert!(analysis.ranked.is_empty());
    assert_eq!(kinds(&analysis), [WarningKind::NoExperiments]);
    let message = &analysis.warnings[0].message;
    assert!(message.contains("no experiments"), "{message}");
    assert!(message.contains("debug info"), "{message}");
    assert!(message.contains("minutes"), "{message}");
}

/// satloc-server under coz (60 s, UDP loop engine, closed loop at concurrency 10; see
/// `tests/fixtures/README.md`). Each worker handles one query at a time, so coz's in-flight
/// snapshot is 0 or 1: 26 of 121 latency readings are 0. Read as latencies of 0 ns they would
/// be "+100 %" program speedups (`docs/profiling.md`, *Latency points and the number in
/// flight*); they are skipped and counted, and the ranking uses the throughput point.
#[test]
fn the_first_server_profile_ranks_by_throughput_and_skips_empty_snapshots() {
    // A 60 s run: its lines have 21 experiments above 0 % at most, so the default bar of 20
    // would leave one line to compare curves on. The checks below are about readings, not
    // ranking: every line with a curve takes part.
    let analysis = analyze_with(
        "satloc_server_udp_loop.coz",
        &Options {
            min_experiments: 1,
            ..Options::default()
        },
    );
    assert_eq!(analysis.summary.experiments, 121);
    let by = analysis.ranked_by.as_ref().unwrap();
    assert_eq!(
        (by.point.as_str(), by.kind, by.requested),
        ("response", PointKind::Throughput, false)
    );
    assert!(analysis.ranked.iter().all(|l| l.impact_point == "response"));
    assert_eq!(analysis.dropped.no_in_flight_latency_readings, 26);
    let snapshots = &analysis.dropped.in_flight[0];
    assert_eq!(
        (
            snapshots.point.as_str(),
            snapshots.readings,
            snapshots.none_in_flight,
            snapshots.max_in_flight
        ),
        ("query", 121, 26, 1)
    );
    assert!(kinds(&analysis).contains(&WarningKind::FewInFlight));
    // No reading of 0, so no "+100 %" anywhere, on any curve.
    for curve in &analysis.curves {
        for m in &curve.measurements {
            assert!(m.value_ns > 0.0, "{curve:?}");
            assert!(
                m.program_speedup < 0.9,
                "{} {}: {m:?}",
                curve.line,
                curve.point
            );
        }
    }
    // With at most one in flight, the latency kept is the time between arrivals: at every
    // line speedup where both curves pooled the same experiments, they agree.
    for line in &analysis.ranked {
        let curves: Vec<_> = line.curves.iter().map(|&i| &analysis.curves[i]).collect();
        let (Some(throughput), Some(latency)) = (
            curves.iter().find(|c| c.kind == PointKind::Throughput),
            curves.iter().find(|c| c.kind == PointKind::Latency),
        ) else {
            continue;
        };
        for l in &latency.measurements {
            if let Some(t) = throughput.measurements.iter().find(|t| {
                t.line_speedup_percent == l.line_speedup_percent && t.experiments == l.experiments
            }) {
                assert!(
                    (l.value_ns / t.value_ns - 1.0).abs() < 0.01,
                    "{l:?} vs {t:?}"
                );
            }
        }
    }
}
