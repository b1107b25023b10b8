//! Plain warnings for profiles that cannot say much, with what to do instead.
//!
//! The usual first coz profile of a Rust program is empty or nearly so (coz issues #46,
//! #156, #158): no progress point reached, a run of seconds, or lines chosen inside the
//! standard library. Each case gets a sentence that names the cause and the fix, and where
//! the fix is "run longer" it says how long, from coz's own timing (`docs/profiling.md`,
//! *How long*): experiments last at least 0.5 s (longer while a progress point sees fewer
//! than 5 visits), about 1 in 4 is a 0 % baseline, and the other speedups are drawn from 20
//! steps of 5 %. A line is ranked once it has `min_experiments` experiments above 0 %
//! ([`super::rank`]), so that is what the advice aims at: about 4/3 of it per line, or, for
//! the lines that fell short, the run length at which the closest of them would get there at
//! the rate it got experiments so far (coz picks lines in proportion to their samples, so a
//! rarely sampled line needs a long run).

use std::time::Duration;

use super::analysis::{Analysis, Summary, Warning, WarningKind};
use super::curve::{BaselineMode, Dropped, InFlightSnapshots, MIN_VISITS};
use super::file::CozProfile;
use super::point::PointKind;
use super::rank::{NotRanked, RankedLine, UnrankedLine};

/// coz's shortest experiment (`ExperimentMinTime`).
const MIN_EXPERIMENT: Duration = Duration::from_millis(500);
/// Path fragments of code outside the workspace that coz may select without `-s`.
const OUTSIDE_WORKSPACE: [&str; 4] = [
    "/rustc/",
    "/.cargo/registry/",
    "/library/std/",
    "/library/core/",
];

/// Everything worth warning about in `analysis` of `profile`, most serious first.
#[must_use]
pub fn warnings(profile: &CozProfile, analysis: &Analysis) -> Vec<Warning> {
    let summary = &analysis.summary;
    let mut warnings: Vec<Warning> = truncated_line(profile).into_iter().collect();
    if summary.runs == 0 {
        warnings.push(empty_file());
        return warnings;
    }
    if summary.experiments == 0 {
        warnings.push(no_experiments(summary));
        return warnings;
    }
    let mean_experiment = mean_experiment(summary.experiment_time_ns, summary.experiments);
    let how_long = how_long(
        summary.selected_lines,
        mean_experiment,
        summary.min_experiments,
    );
    let dropped = &analysis.dropped;
    let in_flight = dropped
        .in_flight
        .iter()
        .filter(|snapshots| snapshots.none_in_flight > 0)
        .map(|snapshots| few_in_flight(snapshots, analysis));
    warnings.extend(
        [
            outside_workspace(analysis),
            no_baseline(analysis, &how_long),
            few_experiments(analysis, &how_long),
            few_speedups(analysis, &how_long),
            no_clear_rise(analysis),
            low_visits(dropped),
            uninitialised_latency(dropped),
        ]
        .into_iter()
        .flatten()
        .chain(in_flight)
        .chain(out_of_range(dropped)),
    );
    warnings
}

fn warning(kind: WarningKind, message: String) -> Warning {
    Warning { kind, message }
}

/// Unranked lines that are so for `reason`.
fn unranked(analysis: &Analysis, reason: NotRanked) -> usize {
    analysis
        .unranked
        .iter()
        .filter(|l| l.reason == reason)
        .count()
}

/// [`WarningKind::TruncatedLine`].
fn truncated_line(profile: &CozProfile) -> Option<Warning> {
    let line = profile.truncated_last_line?;
    Some(warning(
        WarningKind::TruncatedLine,
        format!(
            "line {line} is half-written (the profiled program was killed while coz was \
             writing) and was skipped"
        ),
    ))
}

/// [`WarningKind::EmptyFile`].
fn empty_file() -> Warning {
    warning(
        WarningKind::EmptyFile,
        "the profile is empty: coz wrote nothing. Was the program started with \
         `coz run --- PROGRAM`, and did it exit normally (SIGINT/SIGTERM, not SIGKILL)?"
            .to_owned(),
    )
}

/// [`WarningKind::NoExperiments`]: no samples in scope (linker, scope, debug info), or
/// samples but no progress point reached.
fn no_experiments(summary: &Summary) -> Warning {
    let cause = if summary.total_samples == 0 {
        "coz mapped no sample to a source line it may select. Most likely the binary was \
         linked by rust-lld (the default since Rust 1.90 on x86_64 Linux), whose segment \
         layout coz 0.2.2 misreads: build with RUSTFLAGS='-C linker-features=-lld'. \
         Otherwise check the source scope (`coz run -s '<workspace>/%'`), that the binary \
         has debug info (DWARF 4 for Debian's coz: the `profiling` Cargo profile), and that \
         a progress point is reached"
    } else {
        "coz sampled code in scope but never started an experiment, which it does only \
         once a progress point has been reached: check that the binary was built with \
         `--features coz` and that load reached the instrumented path"
    };
    warning(
        WarningKind::NoExperiments,
        format!(
            "no experiments in {} run(s): {cause}. Then run for minutes, not seconds: each \
             experiment lasts at least {:.1} s and a line needs about {} of them",
            summary.runs,
            MIN_EXPERIMENT.as_secs_f64(),
            experiments_per_line(summary.min_experiments)
        ),
    )
}

/// [`WarningKind::OutsideWorkspace`].
fn outside_workspace(analysis: &Analysis) -> Option<Warning> {
    let outside: Vec<&str> = analysis
        .ranked
        .iter()
        .map(|l| l.line.as_str())
        .chain(analysis.unranked.iter().map(|l| l.line.as_str()))
        .filter(|line| OUTSIDE_WORKSPACE.iter().any(|p| line.contains(p)))
        .collect();
    let example = outside.first()?;
    Some(warning(
        WarningKind::OutsideWorkspace,
        format!(
            "coz selected {} line(s) outside this workspace (e.g. {example}): limit the \
             source scope with `coz run -s \"$PWD/%\"` so experiments go to lines you can \
             change (coz issues #192, #197)",
            outside.len()
        ),
    ))
}

/// [`WarningKind::NoBaseline`]: for every line (far too short a run), or for some.
fn no_baseline(analysis: &Analysis, how_long: &str) -> Option<Warning> {
    let without_baseline = unranked(analysis, NotRanked::NoBaseline);
    let lines = analysis.summary.selected_lines;
    let whose = match analysis.baseline_mode {
        BaselineMode::Pooled => "in its run (the baseline pools every 0 % experiment of a run)",
        BaselineMode::PerLine => "of its own (--baseline per-line)",
    };
    let message = if without_baseline == lines {
        format!(
            "no line has a 0 % (baseline) experiment {whose}, so no speedup can be \
             computed: {} experiment(s) is far too few. {how_long}",
            analysis.summary.experiments,
        )
    } else if without_baseline > 0 {
        format!(
            "{without_baseline} of {lines} line(s) have no 0 % (baseline) experiment \
             {whose} and cannot be plotted; they are listed as not ranked. {how_long}"
        )
    } else {
        return None;
    };
    Some(warning(WarningKind::NoBaseline, message))
}

/// [`WarningKind::FewExperiments`], with how long a run would give the closest line enough.
fn few_experiments(analysis: &Analysis, how_long: &str) -> Option<Warning> {
    let summary = &analysis.summary;
    let few_experiments = unranked(analysis, NotRanked::FewExperiments);
    if few_experiments == 0 {
        return None;
    }
    let closest = analysis
        .unranked
        .iter()
        .filter(|l| l.reason == NotRanked::FewExperiments)
        .max_by_key(|l| l.speedup_experiments);
    let run_more = closest
        .and_then(|line| at_this_rate(line, summary.experiment_time_ns, summary.min_experiments))
        .unwrap_or_else(|| how_long.to_owned());
    let what = if analysis.ranked.is_empty() {
        format!(
            "nothing can be ranked yet: no line had {} or more experiments above 0 % line \
             speedup",
            summary.min_experiments
        )
    } else {
        format!(
            "{few_experiments} of {} line(s) had fewer than {} experiments above 0 % \
             line speedup and are not ranked",
            summary.selected_lines, summary.min_experiments
        )
    };
    Some(warning(
        WarningKind::FewExperiments,
        format!(
            "{what}: one experiment's program speedup scatters by several percent, and a \
             curve on a handful of them can lead the ranking on luck (--min-experiments N \
             to change the bar). {run_more}"
        ),
    ))
}

/// [`WarningKind::FewSpeedups`]: nothing rankable yet, or some lines left out.
fn few_speedups(analysis: &Analysis, how_long: &str) -> Option<Warning> {
    let few = unranked(analysis, NotRanked::FewSpeedups);
    if few == 0 {
        return None;
    }
    let min_points = analysis.summary.min_points;
    let message = if analysis.ranked.is_empty() {
        format!(
            "nothing can be ranked yet: no line was tested at {min_points} or more line \
             speedups (coz tests 0-100 % in 5 % steps; its own viewer wants 10). {how_long}",
        )
    } else {
        format!(
            "{few} of {} line(s) were tested at fewer than {min_points} line speedups and are \
             not ranked. {how_long}",
            analysis.summary.selected_lines,
        )
    };
    Some(warning(WarningKind::FewSpeedups, message))
}

/// [`WarningKind::LowVisits`].
fn low_visits(dropped: &Dropped) -> Option<Warning> {
    (dropped.low_visit_readings > 0).then(|| {
        warning(
            WarningKind::LowVisits,
            format!(
                "{} progress point reading(s) saw fewer than {MIN_VISITS} visits in their \
                 experiment and were ignored: the point is reached fewer than {} times a \
                 second at times. Keep the load steady for the whole run, and start it before \
                 coz's first experiment",
                dropped.low_visit_readings,
                MIN_VISITS * 2
            ),
        )
    })
}

/// [`WarningKind::UninitialisedLatency`], quoting the first impossible reading.
fn uninitialised_latency(dropped: &Dropped) -> Option<Warning> {
    let example = dropped.implausible_latency_example.as_ref()?;
    Some(warning(
        WarningKind::UninitialisedLatency,
        format!(
            "{} latency reading(s) were ignored: coz reported {} request(s) in flight for \
             `{}`, more than the {} that arrived in the whole run. coz 0.2.2 starts latency \
             counters uninitialised (coz issue #208); satloc-profiling's latency macros \
             reset them, so this profile comes from a program that does not use them, or \
             from an older build",
            dropped.implausible_latency_readings,
            example.difference,
            example.point,
            example.run_arrivals
        ),
    ))
}

/// [`WarningKind::OutOfRange`].
fn out_of_range(dropped: &Dropped) -> Option<Warning> {
    (dropped.out_of_range_measurements > 0).then(|| {
        warning(
            WarningKind::OutOfRange,
            format!(
                "{} measurement(s) were not finite or outside coz's plotting range (-100 % to \
                 +200 %) and were skipped, as coz's viewer skips them",
                dropped.out_of_range_measurements
            ),
        )
    })
}

/// [`WarningKind::NoClearRise`], when the impact order leads with a line whose curve does
/// not rise beyond its noise.
fn no_clear_rise(analysis: &Analysis) -> Option<Warning> {
    let first = analysis.ranked.first()?;
    if first.rises_clearly {
        return None;
    }
    let slope_of = |line: &RankedLine| {
        line.slope.as_ref().map_or_else(
            || "no slope".to_owned(),
            |s| {
                format!(
                    "slope {:+.1} ± {:.1} %",
                    s.slope * 100.0,
                    s.standard_error * 100.0
                )
            },
        )
    };
    let advice = "run longer, or put every experiment on a suspect line with coz's \
                  --fixed-line (scripts/coz.sh --fixed-line FILE:LINE)";
    let message = match analysis.ranked.iter().find(|l| l.rises_clearly) {
        None => format!(
            "none of the {} ranked line(s) has a curve that rises beyond its noise (a slope \
             two standard errors above 0; marked * in the table): the impact order is not to \
             be trusted yet. #1 {} has {}. To tell them apart, {advice}",
            analysis.ranked.len(),
            first.line,
            slope_of(first)
        ),
        Some(clear) => format!(
            "#1 {} leads on impact, but its curve does not rise beyond its noise ({}, under \
             two standard errors); the first line whose curve does is #{} {} ({}). Read the \
             impact order with the slope beside it; to settle a close call, {advice}",
            first.line,
            slope_of(first),
            clear.rank,
            clear.line,
            slope_of(clear)
        ),
    };
    Some(warning(WarningKind::NoClearRise, message))
}

/// [`WarningKind::FewInFlight`] for one latency point.
fn few_in_flight(snapshots: &InFlightSnapshots, analysis: &Analysis) -> Warning {
    let point = &snapshots.point;
    let mut message = format!(
        "latency point `{point}`: {} of {} reading(s) had no request in flight when their \
         experiment ended (the largest snapshot was {}, the mean {:.2}). Too few requests are \
         in flight at experiment ends for Little's law, which needs the number in flight: \
         coz writes one snapshot of it per experiment, and a snapshot of 0 would make the \
         latency 0 and the program speedup +100 %, so those readings were skipped",
        snapshots.none_in_flight,
        snapshots.readings,
        snapshots.max_in_flight,
        snapshots.mean_in_flight
    );
    if snapshots.max_in_flight <= 1 {
        message.push_str(
            ". With at most one in flight, the readings kept make the latency the time between \
             arrivals: its curves are the throughput curves again, on fewer experiments, and add nothing",
        );
    }
    let ranked_by = analysis.ranked_by.as_ref();
    let ranking_throughput = ranked_by
        .filter(|by| by.kind == PointKind::Throughput)
        .map(|by| by.point.as_str());
    let any_throughput = analysis
        .summary
        .progress_points
        .iter()
        .find(|p| p.kind == PointKind::Throughput)
        .map(|p| p.name.as_str());
    let ranked_by_this =
        ranked_by.is_some_and(|by| by.kind == PointKind::Latency && &by.point == point);
    match (ranking_throughput, any_throughput) {
        (Some(throughput), _) => message.push_str(&format!(
            ". Read the throughput point `{throughput}` instead (the ranking uses it)"
        )),
        (None, Some(throughput)) if ranked_by_this => message.push_str(&format!(
            ". Read the throughput point `{throughput}` instead: the ranking uses `{point}` \
             only because --point asked for it"
        )),
        (None, Some(throughput)) => message.push_str(&format!(
            ". Read the throughput point `{throughput}` instead (--point {throughput})"
        )),
        (None, None) => message.push_str(
            ". Read a throughput point instead: add one where each request is finished \
             (satloc_profiling::progress!)",
        ),
    }
    warning(WarningKind::FewInFlight, message)
}

fn mean_experiment(total_ns: u64, experiments: usize) -> Option<Duration> {
    let experiments = u64::try_from(experiments).ok().filter(|&n| n > 0)?;
    Some(Duration::from_nanos(total_ns / experiments))
}

/// Experiments coz must run on a line for it to get `min_experiments` above 0 %: about 1 in
/// 4 of a line's experiments is a baseline (`docs/profiling.md`, *How long*).
fn experiments_per_line(min_experiments: usize) -> u32 {
    let wanted = u32::try_from(min_experiments.max(1)).unwrap_or(u32::MAX);
    wanted.saturating_mul(4).div_ceil(3)
}

/// "Run for at least N minutes …" for `lines` lines at the observed experiment length, if
/// coz spread its experiments evenly (it does not: the advice is a floor).
fn how_long(lines: usize, mean_experiment: Option<Duration>, min_experiments: usize) -> String {
    let per_experiment = mean_experiment.map_or(MIN_EXPERIMENT, |m| m.max(MIN_EXPERIMENT));
    let per_line = experiments_per_line(min_experiments);
    let lines = u32::try_from(lines.max(1)).unwrap_or(u32::MAX);
    let total = per_experiment
        .saturating_mul(per_line)
        .saturating_mul(lines);
    let minutes = total.as_secs().div_ceil(60).max(1);
    format!(
        "Run for at least {minutes} minute(s) under steady load: coz needs about {per_line} \
         experiments per line ({min_experiments} above 0 %) for {lines} line(s), and each \
         lasts at least {:.1} s",
        per_experiment.as_secs_f64()
    )
}

/// How long a run would get `line` to `min_experiments` experiments above 0 % at the rate it
/// got them in `experiment_time_ns` of experiments; `None` if it got none.
fn at_this_rate(
    line: &UnrankedLine,
    experiment_time_ns: u64,
    min_experiments: usize,
) -> Option<String> {
    let got = u64::try_from(line.speedup_experiments)
        .ok()
        .filter(|&n| n > 0)?;
    let needed = Duration::from_nanos(experiment_time_ns)
        .checked_mul(u32::try_from(min_experiments).unwrap_or(u32::MAX))?
        / u32::try_from(got).unwrap_or(u32::MAX);
    let minutes = needed.as_secs().div_ceil(60).max(1);
    Some(format!(
        "The closest, {}, got {got} in {:.0} s of experiments: at that rate it needs a run of \
         about {minutes} minute(s) under steady load (coz picks lines by their samples, so \
         the others need longer)",
        line.line,
        Duration::from_nanos(experiment_time_ns).as_secs_f64()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_length_advice_scales_with_lines_and_experiment_length() {
        // 15 above 0 % needs 20 experiments per line (1 in 4 is a baseline):
        // 3 lines x 20 experiments x 0.5 s = 30 s: rounds up to 1 minute.
        assert!(how_long(3, None, 15).starts_with("Run for at least 1 minute(s)"));
        // 30 lines x 20 x 1.2 s = 720 s = 12 minutes.
        let advice = how_long(30, Some(Duration::from_millis(1200)), 15);
        assert!(
            advice.starts_with("Run for at least 12 minute(s)"),
            "{advice}"
        );
        assert!(advice.contains("1.2 s"));
        assert!(advice.contains("about 20 experiments per line (15 above 0 %)"));
        // Experiments shorter than coz's minimum are not believed: 60 x 20 x 0.5 s = 10 min.
        assert!(how_long(60, Some(Duration::from_millis(10)), 15).contains("10 minute(s)"));
        // The default bar, 20 above 0 %: 27 per line; 51 lines x 27 x 0.5 s = 688.5 s, 12 min.
        assert_eq!(experiments_per_line(20), 27);
        assert!(how_long(51, None, 20).starts_with("Run for at least 12 minute(s)"));
    }

    #[test]
    fn the_rate_advice_extrapolates_from_the_closest_line() {
        let line = UnrankedLine {
            line: "a.rs:1".into(),
            reason: NotRanked::FewExperiments,
            experiments: 14,
            speedup_experiments: 10,
            has_baseline: true,
            speedups_tested: 8,
            impact: 0.1,
            samples: 1,
            sample_share: None,
        };
        // 10 of 20 in 405 s of experiments: 810 s, 13.5 minutes, rounded up to 14.
        let advice = at_this_rate(&line, 405_000_000_000, 20).unwrap();
        assert!(
            advice.starts_with(
                "The closest, a.rs:1, got 10 in 405 s of experiments: at that \
                 rate it needs a run of about 14 minute(s)"
            ),
            "{advice}"
        );
        let none = UnrankedLine {
            speedup_experiments: 0,
            ..line
        };
        assert_eq!(at_this_rate(&none, 405_000_000_000, 20), None);
    }
}
