//! `--report DIR`: a report people would rather look at than read, of a
//! sweep or of a single run, as one self-contained `report.html` (styles and SVG plots inline, nothing
//! fetched, so it opens offline and can be attached to a ticket).
//!
//! The plots come from [`plots`]; the numbers in the table are the ones the
//! text table and the JSON hold.

pub mod plots;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::Histogram;
use satloc_plot::PlotError;

use crate::config::Config;
use crate::error::LoadgenError;
use crate::run::RunResult;
use crate::sweep::capacity::failed_rate;
use crate::sweep::output::{by_rate, capacity_line, step_cells};
use crate::sweep::step::Step;
use crate::sweep::{SweepConfig, SweepResult};
use plots::TimedSecond;

/// The report's file name inside `--report DIR`.
pub const REPORT_FILE: &str = "report.html";

/// The page's styles: readable without any external sheet.
const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:900px;color:#222}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}\
.capacity{font-size:1.2em;font-weight:bold;padding:.6em;background:#eef5ee;border-left:4px solid #393}\
table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .5em;border-bottom:1px solid #ddd;text-align:right}\
td.verdict,th.verdict{text-align:left}tr.bad{color:#a22}pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}";

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `DIR/report.html` for a sweep; returns its path.
pub fn write_sweep_report(
    dir: &Path,
    sweep: &SweepConfig,
    result: &SweepResult,
) -> Result<PathBuf, LoadgenError> {
    write_page(dir, sweep_page(sweep, result))
}

/// Writes `DIR/report.html` for a single run made by `command_line`;
/// returns its path.
pub fn write_run_report(
    dir: &Path,
    config: &Config,
    result: &RunResult,
    command_line: &str,
) -> Result<PathBuf, LoadgenError> {
    write_page(dir, run_page(config, result, command_line))
}

/// Writes `page` (or the error drawing it) to `DIR/report.html`.
fn write_page(dir: &Path, page: Result<String, PlotError>) -> Result<PathBuf, LoadgenError> {
    let path = dir.join(REPORT_FILE);
    let output = |source| LoadgenError::Output {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(output)?;
    let page = page.map_err(|err| output(std::io::Error::other(err)))?;
    std::fs::write(&path, page).map_err(output)?;
    Ok(path)
}

/// The report of a single run as an HTML document: its summary, the
/// percentile distribution, and answers and p99 per second.
pub fn run_page(
    config: &Config,
    result: &RunResult,
    command_line: &str,
) -> Result<String, PlotError> {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Run against {server}</title><style>{STYLE}</style></head><body>\n\
<h1>Run against {server} over {transport}</h1>\n<pre id=\"summary\">{summary}</pre>\n",
        server = escape(&config.server.to_string()),
        transport = config.transport.name().to_ascii_uppercase(),
        summary = escape(&result.report.to_text()),
    );
    let all = [("all answers".to_owned(), &result.histogram)];
    if !result.histogram.is_empty() {
        let svg = plots::percentile_distribution("Latency by percentile", &all, &[])?;
        figure(&mut html, "distribution", "Percentile distribution", &svg);
    }
    let seconds: Vec<TimedSecond> = result
        .report
        .seconds
        .iter()
        .flatten()
        .filter(|second| second.is_whole())
        .map(|second| (second.start.as_secs_f64(), *second))
        .collect();
    per_second_figures(&mut html, &seconds, &[])?;
    closing(&mut html, command_line);
    Ok(html)
}

/// Appends the answers and p99 per second plots, if there are seconds.
fn per_second_figures(
    html: &mut String,
    seconds: &[TimedSecond],
    slos: &[crate::sweep::slo::Slo],
) -> Result<(), PlotError> {
    if !seconds.is_empty() {
        let answers = plots::answers_per_second(seconds)?;
        figure(html, "qps", "Answers per second", &answers);
        let p99 = plots::p99_per_second(seconds, slos)?;
        figure(html, "p99", "p99 per second", &p99);
    }
    Ok(())
}

/// Appends the command line and the tool, and ends the document.
fn closing(html: &mut String, command_line: &str) {
    let _ = write!(
        html,
        "<h2>How it was made</h2>\n<pre id=\"command\">{}</pre>\n<p>{} {}</p>\n</body></html>\n",
        escape(command_line),
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
}

/// The report of a sweep as an HTML document.
pub fn sweep_page(sweep: &SweepConfig, result: &SweepResult) -> Result<String, PlotError> {
    let steps = by_rate(&result.steps);
    let slos = &sweep.limits.slos;
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Capacity of {server}</title><style>{STYLE}</style></head><body>\n\
<h1>Capacity of {server} over {transport}</h1>\n<p class=\"capacity\" id=\"capacity\">{capacity}</p>\n",
        server = escape(&sweep.base.server.to_string()),
        transport = sweep.base.transport.name().to_ascii_uppercase(),
        capacity = escape(&capacity_line(sweep, &result.capacity)),
    );
    figure(
        &mut html,
        "knee",
        "Latency against throughput",
        &plots::latency_against_throughput(&steps, slos, &result.capacity)?,
    );
    let (title, histograms) = distributions(&steps, result);
    if !histograms.is_empty() {
        let svg = plots::percentile_distribution(&title, &histograms, slos)?;
        figure(&mut html, "distribution", "Percentile distribution", &svg);
    }
    per_second_figures(&mut html, &timed_seconds(&result.steps), slos)?;
    steps_table(&mut html, &steps);
    closing(&mut html, &sweep.command_line);
    Ok(html)
}

/// Appends a titled plot.
fn figure(html: &mut String, id: &str, title: &str, svg: &str) {
    let _ = write!(
        html,
        "<h2>{title}</h2>\n<figure id=\"{id}\">{svg}</figure>\n"
    );
}

/// The distributions worth comparing: the capacity step's and the first
/// failing step's, with the title saying which. With `--confirm` a rate can
/// have several attempts: the capacity's is one that met, the failing
/// rate's is its last.
fn distributions<'a>(
    steps: &[&'a Step],
    result: &SweepResult,
) -> (String, Vec<(String, &'a Histogram<u64>)>) {
    let attempt_at = |qps: f64, meets: bool| {
        steps
            .iter()
            .rev()
            .find(|step| step.offered_qps == qps && step.verdict.meets() == meets)
    };
    let at_capacity = result.capacity.qps.and_then(|qps| attempt_at(qps, true));
    let first_bad = failed_rate(result.capacity.limit).and_then(|qps| attempt_at(qps, false));
    let mut histograms = Vec::new();
    for (role, step) in [("capacity", at_capacity), ("first failing", first_bad)] {
        if let Some(step) = step {
            let label = format!("{role}: {:.0} qps", step.offered_qps);
            histograms.push((label, &step.histogram));
        }
    }
    (
        "Latency by percentile: the capacity step and the first failing step".to_owned(),
        histograms,
    )
}

/// Every whole second of every step, placed in time from the sweep's first.
fn timed_seconds(steps: &[Step]) -> Vec<TimedSecond> {
    let Some(base) = steps.iter().map(|step| step.measure_start).min() else {
        return Vec::new();
    };
    let mut seconds: Vec<TimedSecond> = steps
        .iter()
        .flat_map(|step| {
            let offset = step
                .measure_start
                .duration_since(base)
                .unwrap_or(Duration::ZERO);
            step.seconds
                .iter()
                .filter(|second| second.is_whole())
                .map(move |second| ((offset + second.start).as_secs_f64(), *second))
        })
        .collect();
    seconds.sort_by(|a, b| a.0.total_cmp(&b.0));
    seconds
}

/// The table of steps, by rate.
fn steps_table(html: &mut String, steps: &[&Step]) {
    html.push_str(
        "<h2>Steps</h2>\n<table id=\"steps\"><tr><th>step</th><th>phase</th><th>offered</th>\
<th>sent/s</th><th>answered/s</th><th>lost %</th><th>p50</th><th>p90</th><th>p99</th>\
<th>p99.9</th><th>max</th><th>rcodes</th><th class=\"verdict\">verdict</th></tr>\n",
    );
    for step in steps {
        let [cells @ .., verdict] = step_cells(step);
        let class = if step.verdict.meets() { "ok" } else { "bad" };
        let _ = write!(html, "<tr class=\"{class}\">");
        for cell in &cells {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        let _ = writeln!(html, "<td class=\"verdict\">{}</td></tr>", escape(&verdict));
    }
    html.push_str("</table>\n");
}
