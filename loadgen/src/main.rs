//! The `satloc-loadgen` command: parse the arguments, run (or merge), print
//! the report, exit non-zero with one line on stderr if anything went wrong.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Parser;
use nix::sys::signal::{SigSet, Signal};
use satloc_loadgen::cli::{Cli, Command, CompareArgs, MergeArgs, SweepArgs, json_target};
use satloc_loadgen::compare::{compare_files, output as compare_output};
use satloc_loadgen::config::JsonTarget;
use satloc_loadgen::hdrlog::merge_logs_within;
use satloc_loadgen::page::{write_run_report, write_sweep_report};
use satloc_loadgen::report::Report;
use satloc_loadgen::run::run;
use satloc_loadgen::sweep::{SweepConfig, SweepResult, output, run_sweep};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Merge(args)) => merge(args),
        Some(Command::Sweep(args)) => sweep(*args),
        Some(Command::Compare(args)) => return compare(&args),
        None => run_load(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("satloc-loadgen: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the load, prints the report, and returns the run's error if any.
fn run_load(cli: Cli) -> anyhow::Result<()> {
    let config = cli.run.into_config()?;
    let abort = Arc::new(AtomicBool::new(false));
    stop_on_interrupt(Arc::clone(&abort));
    let result = run(&config, abort)?;
    emit(&result.report, config.json.as_ref())?;
    if let Some(dir) = &config.report {
        let path = write_run_report(dir, &config, &result, &command_line())?;
        eprintln!("report: {}", path.display());
    }
    match result.error {
        Some(err) => Err(err.into()),
        None => Ok(()),
    }
}

/// Compares two documents: exit 0 if nothing regressed, 1 if something
/// did, 2 if they cannot be compared (diff's convention, so a CI step can
/// tell a regression from a broken input).
fn compare(args: &CompareArgs) -> ExitCode {
    let judged = compare_files(&args.baseline, &args.current, args.threshold)
        .map_err(anyhow::Error::from)
        .and_then(|(current, comparison)| {
            let to_stdout = args.bmf.as_deref() == Some("-");
            let table = compare_output::to_text(&comparison);
            if to_stdout {
                eprint!("{table}");
            } else {
                print!("{table}");
            }
            if let Some(target) = &args.bmf {
                let bmf = compare_output::to_bmf(&current, &args.name);
                if to_stdout {
                    print!("{bmf}");
                } else {
                    std::fs::write(target, bmf)
                        .with_context(|| format!("cannot write --bmf {target}"))?;
                }
            }
            Ok(comparison.regressed())
        });
    match judged {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(err) => {
            eprintln!("satloc-loadgen: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Merges interval logs and prints the merged summary.
fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let merged = merge_logs_within(&args.logs, args.tolerance)?;
    if !args.allow_unaligned {
        merged.alignment.enforce()?;
    }
    let report = Report::from_merge(&merged);
    emit(&report, args.json.as_deref().map(json_target).as_ref())
}

/// Runs a sweep, printing each step as it ends, then the table, and writes
/// the files asked for.
fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let quiet = args.run.quiet;
    let sweep = args.into_sweep_config(command_line())?;
    let abort = Arc::new(AtomicBool::new(false));
    stop_on_interrupt(Arc::clone(&abort));
    if !quiet {
        eprint!("{}", output::header(&sweep));
    }
    let result = run_sweep(&sweep, &abort, |step| {
        if !quiet {
            eprintln!("{}", output::step_line(step));
        }
    })?;
    write_sweep_outputs(&sweep, &result)?;
    match result.error {
        Some(err) => Err(err.into()),
        None => Ok(()),
    }
}

/// The table (to stderr when JSON goes to stdout), JSON, CSV and log.
fn write_sweep_outputs(sweep: &SweepConfig, result: &SweepResult) -> anyhow::Result<()> {
    let text = output::to_text(sweep, result);
    match &sweep.json {
        Some(JsonTarget::Stdout) => {
            eprint!("{text}");
            std::io::stdout()
                .write_all(output::to_json(sweep, result).as_bytes())
                .context("cannot write JSON to stdout")?;
        }
        Some(JsonTarget::File(path)) => {
            print!("{text}");
            std::fs::write(path, output::to_json(sweep, result))
                .with_context(|| format!("cannot write the sweep's JSON to {}", path.display()))?;
        }
        None => print!("{text}"),
    }
    if let Some(path) = &sweep.csv {
        std::fs::write(path, output::to_csv(result))
            .with_context(|| format!("cannot write the sweep's CSV to {}", path.display()))?;
    }
    if let Some(dir) = &sweep.report {
        let path = write_sweep_report(dir, sweep, result)?;
        eprintln!("report: {}", path.display());
    }
    Ok(())
}

/// The command line as typed, quoted where a shell would need it, for the
/// outputs to say how they were made.
fn command_line() -> String {
    // The program by its name alone: a report is shared, and the directory
    // the binary sat in on the measuring machine means nothing elsewhere.
    let program = std::env::args().next().map(|arg0| {
        std::path::Path::new(&arg0)
            .file_name()
            .map_or(arg0.clone(), |name| name.to_string_lossy().into_owned())
    });
    program
        .into_iter()
        .chain(std::env::args().skip(1))
        .map(|arg| {
            if !arg.is_empty()
                && arg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b))
            {
                arg
            } else {
                format!("'{}'", arg.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints the text report (to stderr when JSON goes to stdout) and writes
/// the JSON summary if asked.
fn emit(report: &Report, json: Option<&JsonTarget>) -> anyhow::Result<()> {
    let text = report.to_text();
    match json {
        Some(JsonTarget::Stdout) => {
            eprint!("{text}");
            std::io::stdout()
                .write_all(report.to_json().as_bytes())
                .context("cannot write JSON to stdout")?;
        }
        Some(JsonTarget::File(path)) => {
            print!("{text}");
            std::fs::write(path, report.to_json())
                .with_context(|| format!("cannot write JSON summary to {}", path.display()))?;
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Turns the first Ctrl-C (or SIGTERM) into a graceful stop: sending ends,
/// in-flight queries drain, the report is printed. A second one kills as
/// usual, since the handler thread stops listening after the first.
fn stop_on_interrupt(abort: Arc<AtomicBool>) {
    let mut signals = SigSet::empty();
    signals.add(Signal::SIGINT);
    signals.add(Signal::SIGTERM);
    // Block the signals here so every thread started later inherits the
    // mask and only the waiting thread receives them.
    if signals.thread_block().is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            if signals.wait().is_ok() {
                abort.store(true, Ordering::Relaxed);
                eprintln!("satloc-loadgen: interrupted, finishing in-flight queries");
                let _ = signals.thread_unblock();
            }
        });
    if spawned.is_err() {
        let _ = signals.thread_unblock();
    }
}
