//! The text report: a summary, the ranking table, each top line's speedup table, and the
//! warnings.
//!
//! The per-line tables follow the layout of the HTTP/2 causal profiling study: for each
//! tested line speedup, the measured time per operation, its change against the 0 %
//! baseline, and the predicted program speedup, with the number of experiments behind it.
//! Each curve's heading says what its baseline is and how many experiments it pools.

use std::io::{self, Write};
use std::path::Path;

use satloc_prof::causal::{Analysis, BaselineMode, Curve, PointKind, RankedBy, Slope};

use crate::format::{PathDisplay, duration, percent};

/// Unranked lines listed before "… and N more".
const UNRANKED_SHOWN: usize = 10;

pub fn write(
    out: &mut impl Write,
    file: &Path,
    analysis: &Analysis,
    top: usize,
    display: &PathDisplay,
) -> io::Result<()> {
    write_summary(out, file, analysis)?;
    if analysis.ranked.is_empty() {
        writeln!(out, "\nnothing to rank: see the warnings below.")?;
    } else {
        write_ranking(out, analysis, display)?;
        write_top_lines(out, analysis, top, display)?;
    }
    write_unranked(out, analysis, display)?;
    if !analysis.warnings.is_empty() {
        writeln!(out, "\nwarnings:")?;
        for warning in &analysis.warnings {
            writeln!(out, "  - {}", warning.message)?;
        }
    }
    Ok(())
}

/// The profile at a glance, and the noise of one experiment on each point.
fn write_summary(out: &mut impl Write, file: &Path, analysis: &Analysis) -> io::Result<()> {
    let s = &analysis.summary;
    writeln!(out, "coz profile: {}", file.display())?;
    writeln!(
        out,
        "  {} run(s), {} experiment(s) ({} at the 0 % baseline), {:.1} s of experiments",
        s.runs,
        s.experiments,
        s.baseline_experiments,
        seconds(s.experiment_time_ns)
    )?;
    let points: Vec<String> = s
        .progress_points
        .iter()
        .map(|p| format!("{} ({})", p.name, p.kind.as_str()))
        .collect();
    writeln!(
        out,
        "  {} line(s) experimented on; progress points: {}",
        s.selected_lines,
        if points.is_empty() {
            "none".to_owned()
        } else {
            points.join(", ")
        }
    )?;
    for scatter in &analysis.dropped.baseline_scatter {
        writeln!(
            out,
            "  noise on `{}`: a single 0 % experiment lies a median {:.1}% (p90 {:.1}%) from its \
             run's baseline, over {} experiment(s)",
            scatter.point,
            scatter.median * 100.0,
            scatter.p90 * 100.0,
            scatter.experiments
        )?;
    }
    Ok(())
}

/// The `top` ranked lines in detail: every curve shown for each.
fn write_top_lines(
    out: &mut impl Write,
    analysis: &Analysis,
    top: usize,
    display: &PathDisplay,
) -> io::Result<()> {
    for line in analysis.ranked.iter().take(top) {
        writeln!(
            out,
            "\n#{} {} (impact {} on {}, {} experiments, {} above 0 %, {} of samples)",
            line.rank,
            display.short(&line.line),
            percent(line.impact),
            line.impact_point,
            line.experiments,
            line.speedup_experiments,
            share(line.sample_share)
        )?;
        for &index in &line.curves {
            write_curve(out, &analysis.curves[index], analysis.baseline_mode)?;
        }
    }
    Ok(())
}

fn write_ranking(
    out: &mut impl Write,
    analysis: &Analysis,
    display: &PathDisplay,
) -> io::Result<()> {
    writeln!(out, "\n{}", ranking_header(analysis.ranked_by.as_ref()))?;
    writeln!(
        out,
        "(coz's \"impact\" order: the mean predicted program speedup over line speedups 0..x, \
         at its best x; a line needs >= {} experiments above 0 % and >= {} line speedups)",
        analysis.summary.min_experiments, analysis.summary.min_points
    )?;
    writeln!(out, "({})", baseline_note(analysis.baseline_mode))?;
    let width = line_width(analysis.ranked.iter().map(|l| l.line.as_str()), display);
    writeln!(
        out,
        "{:>4}  {:<width$}  {:>7}  {:>15}  {:>20}  {:>11}  {:>8}  {:>8}  {:>7}",
        "rank",
        "line",
        "impact",
        "slope ± s.e.",
        "max program speedup",
        "exps > 0 %",
        "speedups",
        "baseline",
        "samples"
    )?;
    for line in &analysis.ranked {
        writeln!(
            out,
            "{:>4}  {:<width$}  {:>7}  {:>15}  {:>20}  {:>11}  {:>8}  {:>8}  {:>7}",
            line.rank,
            display.short(&line.line),
            percent(line.impact),
            format!(
                "{}{}",
                slope(line.slope.as_ref()),
                if line.rises_clearly { "*" } else { " " }
            ),
            format!(
                "{} at {}%",
                percent(line.max_program_speedup),
                line.max_at_line_speedup_percent
            ),
            line.speedup_experiments,
            line.speedups_tested,
            line.baseline_experiments,
            share(line.sample_share),
        )?;
    }
    writeln!(
        out,
        "(slope: a least-squares line through the experiments, program speedup per 100 % line \
         speedup, ± one standard error; * rises beyond its noise, two standard errors or more \
         above 0; baseline: 0 % experiments compared with)"
    )?;
    if analysis.ranked.iter().any(|l| l.line.ends_with(":0")) {
        writeln!(
            out,
            "(a line number 0 is code the compiler generated without a source line)"
        )?;
    }
    Ok(())
}

/// What the program speedups are measured against, in a sentence.
fn baseline_note(mode: BaselineMode) -> &'static str {
    match mode {
        BaselineMode::Pooled => {
            "baseline: pooled, every 0 % experiment of the run, whatever line coz selected (a \
             0 % experiment delays nothing); --baseline per-line for coz's viewer's choice"
        }
        BaselineMode::PerLine => {
            "baseline: per line, each line's own 0 % experiments, as coz's viewer does; the \
             default, --baseline pooled, uses every 0 % experiment of the run"
        }
    }
}

/// "lines by impact on `response` (throughput point, …)": which point, and why that one.
fn ranking_header(ranked_by: Option<&RankedBy>) -> String {
    let Some(by) = ranked_by else {
        return "lines by impact (no progress point to rank by)".to_owned();
    };
    let why = match (by.requested, by.kind) {
        (true, _) => "as --point asked".to_owned(),
        (false, PointKind::Throughput) => {
            "the default: coz counts its visits exactly, a latency point is estimated from \
             a snapshot; --point NAME for another"
                .to_owned()
        }
        (false, PointKind::Latency) => {
            "the profile has no throughput point; --point NAME for another".to_owned()
        }
    };
    format!(
        "lines by impact on `{}` ({} point, {why})",
        by.point,
        by.kind.as_str()
    )
}

fn write_curve(out: &mut impl Write, curve: &Curve, mode: BaselineMode) -> io::Result<()> {
    let (what, value_header) = match curve.kind {
        PointKind::Throughput => ("time per visit", "time/visit"),
        PointKind::Latency => ("mean latency (Little's law)", "latency"),
    };
    let baseline = curve.baseline.as_ref().map_or_else(String::new, |b| {
        let runs = if b.runs > 1 {
            format!(" in {} runs, each run against its own", b.runs)
        } else {
            String::new()
        };
        let whose = match mode {
            BaselineMode::Pooled => "every 0 % experiment of the run",
            BaselineMode::PerLine => "this line's own",
        };
        format!(
            ", baseline {} over {} experiment(s){runs} ({whose})",
            duration(b.value_ns),
            b.experiments
        )
    });
    writeln!(
        out,
        "  {} ({}): {what} vs the 0 % baseline{baseline}",
        curve.point,
        curve.kind.as_str()
    )?;
    writeln!(
        out,
        "    {:>12}  {:>11}  {:>11}  {:>18}  {:>17}",
        "line speedup", "experiments", value_header, "change vs baseline", "program speedup"
    )?;
    for m in &curve.measurements {
        writeln!(
            out,
            "    {:>11}%  {:>11}  {:>11}  {:>18}  {:>17}",
            m.line_speedup_percent,
            m.experiments,
            duration(m.value_ns),
            percent(m.change_vs_baseline),
            percent(m.program_speedup)
        )?;
    }
    if let (BaselineMode::Pooled, Some(own)) = (mode, curve.own_baseline()) {
        writeln!(
            out,
            "    (the 0 % row: this line's own {} experiment(s) at 0 %, part of the baseline; \
             off 0 only by their scatter)",
            own.experiments
        )?;
    }
    if curve.no_in_flight_readings > 0 {
        writeln!(
            out,
            "    ({} reading(s) with no request in flight at the end of their experiment \
             skipped: see the warnings)",
            curve.no_in_flight_readings
        )?;
    }
    Ok(())
}

fn write_unranked(
    out: &mut impl Write,
    analysis: &Analysis,
    display: &PathDisplay,
) -> io::Result<()> {
    if analysis.unranked.is_empty() {
        return Ok(());
    }
    let point = analysis
        .ranked_by
        .as_ref()
        .map_or_else(String::new, |by| format!(" for `{}`", by.point));
    let whose = match analysis.baseline_mode {
        BaselineMode::Pooled => "in its run",
        BaselineMode::PerLine => "of its own",
    };
    writeln!(
        out,
        "\nnot ranked ({} line(s); no baseline: no 0 % experiment {whose}{point}; few \
         experiments: fewer than {} above 0 %; few speedups: fewer than {} line speedups):",
        analysis.unranked.len(),
        analysis.summary.min_experiments,
        analysis.summary.min_points
    )?;
    let width = line_width(
        analysis
            .unranked
            .iter()
            .take(UNRANKED_SHOWN)
            .map(|l| l.line.as_str()),
        display,
    );
    writeln!(
        out,
        "  {:<width$}  {:<15}  {:>11}  {:>10}  {:>8}  {:>7}",
        "line", "reason", "experiments", "exps > 0 %", "speedups", "samples"
    )?;
    for line in analysis.unranked.iter().take(UNRANKED_SHOWN) {
        writeln!(
            out,
            "  {:<width$}  {:<15}  {:>11}  {:>10}  {:>8}  {:>7}",
            display.short(&line.line),
            line.reason.as_str(),
            line.experiments,
            line.speedup_experiments,
            line.speedups_tested,
            share(line.sample_share)
        )?;
    }
    if analysis.unranked.len() > UNRANKED_SHOWN {
        writeln!(
            out,
            "  … and {} more (--json lists all)",
            analysis.unranked.len() - UNRANKED_SHOWN
        )?;
    }
    Ok(())
}

/// Width of a `line` column: the longest shortened location, at least the header's 4.
fn line_width<'a>(lines: impl Iterator<Item = &'a str>, display: &PathDisplay) -> usize {
    lines
        .map(|line| display.short(line).len())
        .max()
        .unwrap_or(4)
        .max(4)
}

/// `+12.3 ± 4.5%`, or `-` without a fit.
fn slope(slope: Option<&Slope>) -> String {
    slope.map_or_else(
        || "-".to_owned(),
        |s| {
            format!(
                "{:+.1} ± {:.1}%",
                s.slope * 100.0 + 0.0,
                s.standard_error * 100.0
            )
        },
    )
}

fn share(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "-".to_owned(), |f| format!("{:.1}%", f * 100.0))
}

#[allow(clippy::cast_precision_loss)]
fn seconds(ns: u64) -> f64 {
    ns as f64 / 1e9
}
