//! `satloc-prof`: reports on profiles taken with satloc's profiling tools.
//!
//! `satloc-prof coz-report FILE` reads coz's `profile.coz`, ranks the source lines by
//! predicted impact, prints a table, and optionally draws the speedup curves as SVG or writes
//! the whole analysis as JSON. The analysis itself lives in the library
//! (`satloc_prof::causal`); this binary only parses arguments and formats.
//! `satloc-prof pprof-top FILE.pb` lists the top functions of a CPU profile.
//!
//! Exit status: 0 when at least one line could be ranked, 2 when the profile was read but
//! says nothing yet (empty, no baseline, too few speedups: the warnings say why), 1 on errors.

mod format;
mod plot;
mod pprof_top;
mod table;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use satloc_prof::causal::{self, Analysis, BaselineMode, CozProfile, Options};
use serde::Serialize;

use crate::format::PathDisplay;

/// Reports on satloc profiles.
#[derive(Debug, Parser)]
#[command(name = "satloc-prof", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rank source lines by predicted impact from a coz profile (profile.coz).
    ///
    /// Reads the tab-separated profile of coz 0.2.2 (all runs appended to the file), computes
    /// each line's program speedup at each line speedup against the 0 % baseline (by default
    /// every 0 % experiment of the run; --baseline per-line for coz's viewer's choice), and
    /// prints the lines with enough experiments by coz's "impact" order on one progress point
    /// (a throughput point unless --point names another). Warnings (stderr and output) say
    /// when the profile is too short to mean anything and how long to run.
    CozReport(CozReportArgs),
    /// Print the top functions of a pprof protobuf (`--cpu-profile profile.pb`), by self and
    /// by total CPU time, without needing Go's pprof.
    PprofTop(PprofTopArgs),
}

#[derive(Debug, clap::Args)]
struct PprofTopArgs {
    /// The profile, gzip-compressed or not.
    file: PathBuf,
    /// How many functions to list in each table.
    #[arg(long, value_name = "N", default_value_t = 15)]
    top: usize,
}

#[derive(Debug, clap::Args)]
struct CozReportArgs {
    /// The profile written by `coz run` (default name: profile.coz).
    file: PathBuf,
    /// Also draw the speedup curves of the top lines into this SVG file.
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
    /// How many ranked lines to show in detail and plot.
    #[arg(long, value_name = "N", default_value_t = 5)]
    top: usize,
    /// Print the whole analysis as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Line speedups (0 % included) a curve needs before its line is ranked.
    #[arg(long, value_name = "N", default_value_t = Options::default().min_points)]
    min_points: usize,
    /// Experiments above 0 % line speedup a curve needs before its line is ranked (one
    /// experiment scatters by several percent; fewer than this can rank a line on luck).
    #[arg(long, value_name = "N", default_value_t = Options::DEFAULT_MIN_EXPERIMENTS)]
    min_experiments: usize,
    /// What program speedups are measured against: `pooled`, every 0 % experiment of the run
    /// (a 0 % experiment delays nothing, so the selected line does not matter), or
    /// `per-line`, the line's own 0 % experiments, as coz's viewer does.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = BaselineMode::Pooled)]
    baseline: BaselineMode,
    /// Rank by this progress point (default: the most visited throughput point, which coz
    /// counts exactly; a latency point is estimated from a snapshot of the number in flight).
    #[arg(long, value_name = "NAME")]
    point: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        // `satloc-prof coz-report … | head`: the reader left; nothing is wrong.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("satloc-prof: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

fn run(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::CozReport(args) => coz_report(args),
        Command::PprofTop(args) => pprof_top(args),
    }
}

fn pprof_top(args: &PprofTopArgs) -> Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    pprof_top::write(&mut out, &args.file, args.top.max(1))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn coz_report(args: &CozReportArgs) -> Result<ExitCode> {
    if args.top == 0 {
        bail!("--top must be at least 1");
    }
    let text = fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let profile =
        CozProfile::parse(&text).with_context(|| format!("reading {}", args.file.display()))?;
    let analysis = causal::analyze(
        &profile,
        &Options {
            min_points: args.min_points.max(1),
            min_experiments: args.min_experiments,
            point: args.point.clone(),
            baseline: args.baseline,
        },
    )
    .with_context(|| args.file.display().to_string())?;
    let display = PathDisplay::from_current_dir();

    for warning in &analysis.warnings {
        eprintln!("satloc-prof: warning: {}", warning.message);
    }
    // The file first, so that a reader who stops reading stdout early still gets it.
    if let Some(svg) = &args.svg {
        plot::write_svg(svg, &args.file, &analysis, args.top, &display)
            .with_context(|| format!("drawing {}", svg.display()))?;
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let report = JsonReport {
            file: &args.file,
            analysis: &analysis,
        };
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .context("writing JSON")?;
        writeln!(out)?;
    } else {
        table::write(&mut out, &args.file, &analysis, args.top, &display)
            .context("writing the report")?;
        if let Some(svg) = &args.svg {
            writeln!(out, "\nspeedup curves: {}", svg.display())?;
        }
    }
    out.flush()?;
    Ok(if analysis.ranked.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--json` output: the analysis and where it came from.
#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a Path,
    #[serde(flatten)]
    analysis: &'a Analysis,
}
