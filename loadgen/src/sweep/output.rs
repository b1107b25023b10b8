//! A sweep's results for people (a table and the capacity line) and for
//! programs (JSON with `capacity_qps`, `slo` and a `steps` array; CSV with
//! one row per step).
//!
//! Steps are listed by rate, so refinement steps sit between the planned
//! ones they bisect and the table reads as the latency-throughput curve.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::{LatencySummary, SecondFigures, rcode_name};
use crate::sweep::capacity::{Capacity, CapacityLimit};
use crate::sweep::config::SweepConfig;
use crate::sweep::runner::SweepResult;
use crate::sweep::slo::{Slo, format_us};
use crate::sweep::step::{Phase, SloCheck, Step};

/// The steps ordered by offered rate (then by when they ran).
pub fn by_rate(steps: &[Step]) -> Vec<&Step> {
    let mut sorted: Vec<&Step> = steps.iter().collect();
    sorted.sort_by(|a, b| {
        a.offered_qps
            .total_cmp(&b.offered_qps)
            .then(a.number.cmp(&b.number))
    });
    sorted
}

/// The RCODE counts as `NOERROR=1200,NXDOMAIN=3`.
pub fn rcodes_text(step: &Step) -> String {
    let parts: Vec<String> = step
        .counters
        .rcode_counts()
        .map(|(code, count)| format!("{}={count}", rcode_name(code)))
        .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(",")
    }
}

/// The header of the table: what was swept against what.
pub fn header(sweep: &SweepConfig) -> String {
    let slos: Vec<String> = sweep.limits.slos.iter().map(Slo::to_string).collect();
    format!(
        "sweep of {} over {}: {} steps of {} (+{} warm-up each), SLO {}, at most {}% lost\n",
        sweep.base.server,
        sweep.base.transport.name().to_ascii_uppercase(),
        sweep.rates.len(),
        humantime::format_duration(sweep.step_duration),
        humantime::format_duration(sweep.base.warmup),
        slos.join(" and "),
        sweep.limits.max_loss_pct
    )
}

/// One line for a finished step (printed while the sweep runs).
pub fn step_line(step: &Step) -> String {
    format!(
        "step {:>2} {:<6} offered {:>10.0} qps  sent {:>10.0}  answered {:>10.0}  lost {:>6.2}%  p99 {:>8}  {}",
        step.number,
        phase_name(step.phase),
        step.offered_qps,
        step.sent_qps,
        step.answered_qps,
        step.lost_pct,
        format_us(step.latency.p99),
        step.verdict.describe()
    )
}

/// A step's row as the tables show it, column by column (step, phase,
/// offered, sent/s, answered/s, lost %, p50, p90, p99, p99.9, max, rcodes,
/// verdict): the text table and the report's HTML table format the same cells.
pub fn step_cells(step: &Step) -> [String; 13] {
    let latency = &step.latency;
    [
        step.number.to_string(),
        phase_name(step.phase).to_owned(),
        format!("{:.0}", step.offered_qps),
        format!("{:.0}", step.sent_qps),
        format!("{:.0}", step.answered_qps),
        format!("{:.2}", step.lost_pct),
        format_us(latency.p50),
        format_us(latency.p90),
        format_us(latency.p99),
        format_us(latency.p999),
        format_us(latency.max),
        rcodes_text(step),
        step.verdict.describe(),
    ]
}

/// "plan", "refine" or "confirm".
pub fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Plan => "plan",
        Phase::Refine => "refine",
        Phase::Confirm => "confirm",
    }
}

/// The table of every step, by rate, and the capacity line.
pub fn to_text(sweep: &SweepConfig, result: &SweepResult) -> String {
    let mut text = header(sweep);
    let _ = writeln!(
        text,
        "{:>4} {:<6} {:>10} {:>10} {:>10} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}  {:<24} verdict",
        "step",
        "phase",
        "offered",
        "sent/s",
        "answered/s",
        "lost%",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max",
        "rcodes"
    );
    for step in by_rate(&result.steps) {
        let [
            number,
            phase,
            offered,
            sent,
            answered,
            lost,
            p50,
            p90,
            p99,
            p999,
            max,
            rcodes,
            verdict,
        ] = step_cells(step);
        let _ = writeln!(
            text,
            "{number:>4} {phase:<6} {offered:>10} {sent:>10} {answered:>10} {lost:>7} {p50:>9} {p90:>9} {p99:>9} {p999:>9} {max:>9}  {rcodes:<24} {verdict}"
        );
    }
    text.push_str(&capacity_line(sweep, &result.capacity));
    text.push('\n');
    text
}

/// The sweep's answer in one line.
pub fn capacity_line(sweep: &SweepConfig, capacity: &Capacity) -> String {
    let slos: Vec<String> = sweep.limits.slos.iter().map(Slo::to_string).collect();
    let held = format!(
        "{} with at most {}% lost",
        slos.join(" and "),
        sweep.limits.max_loss_pct
    );
    let lowest = sweep.rates.first().copied().unwrap_or(0.0);
    match (capacity.qps, capacity.limit) {
        (Some(qps), CapacityLimit::Server { failed_qps }) => format!(
            "capacity: {qps:.0} qps (highest rate meeting {held}; {failed_qps:.0} qps did not)"
        ),
        (Some(qps), CapacityLimit::Generator { short_qps }) => format!(
            "capacity: at least {qps:.0} qps ({held}); the GENERATOR could not offer {short_qps:.0} qps, so the server's limit was not reached: add --threads or load hosts"
        ),
        (Some(qps), CapacityLimit::NotReached) => format!(
            "capacity: above {qps:.0} qps, the highest rate offered (every step met {held}): raise --rates"
        ),
        (None, CapacityLimit::Generator { .. }) => format!(
            "capacity: unknown: the GENERATOR could not offer even {lowest:.0} qps (add --threads)"
        ),
        (None, _) => format!(
            "capacity: below {lowest:.0} qps, the lowest rate offered (it missed {held}): lower --rates"
        ),
    }
}

/// One step in the JSON summary.
#[derive(Debug, Serialize)]
struct StepJson<'a> {
    number: usize,
    phase: Phase,
    offered_qps: f64,
    sent_qps: f64,
    answered_qps: f64,
    sent: u64,
    completed: u64,
    lost: u64,
    lost_pct: f64,
    errors: u64,
    late: u64,
    rcodes: BTreeMap<String, u64>,
    latency_us: &'a LatencySummary,
    slo: &'a [SloCheck],
    generator_shortfall_pct: f64,
    max_send_lag_us: u64,
    verdict: &'static str,
    verdict_detail: String,
    seconds: &'a [SecondFigures],
}

/// The whole JSON summary.
#[derive(Debug, Serialize)]
struct SweepJson<'a> {
    tool: String,
    command_line: &'a str,
    server: String,
    transport: &'static str,
    step_duration_s: f64,
    warmup_s: f64,
    slo: &'a [Slo],
    max_loss_pct: f64,
    stop_factor: f64,
    capacity_qps: Option<f64>,
    capacity: &'a Capacity,
    steps: Vec<StepJson<'a>>,
    error: Option<String>,
}

/// The JSON summary (the field names are the contract with scripts).
pub fn to_json(sweep: &SweepConfig, result: &SweepResult) -> String {
    let steps = by_rate(&result.steps)
        .into_iter()
        .map(|step| StepJson {
            number: step.number,
            phase: step.phase,
            offered_qps: step.offered_qps,
            sent_qps: step.sent_qps,
            answered_qps: step.answered_qps,
            sent: step.counters.sent,
            completed: step.counters.completed,
            lost: step.counters.lost,
            lost_pct: step.lost_pct,
            errors: step.counters.errors(),
            late: step.counters.late,
            rcodes: step
                .counters
                .rcode_counts()
                .map(|(code, count)| (rcode_name(code), count))
                .collect(),
            latency_us: &step.latency,
            slo: &step.checks,
            generator_shortfall_pct: step.shortfall_pct,
            max_send_lag_us: step.max_send_lag_us,
            verdict: step.verdict.label(),
            verdict_detail: step.verdict.describe(),
            seconds: &step.seconds,
        })
        .collect();
    let summary = SweepJson {
        tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        command_line: &sweep.command_line,
        server: sweep.base.server.to_string(),
        transport: sweep.base.transport.name(),
        step_duration_s: sweep.step_duration.as_secs_f64(),
        warmup_s: sweep.base.warmup.as_secs_f64(),
        slo: &sweep.limits.slos,
        max_loss_pct: sweep.limits.max_loss_pct,
        stop_factor: sweep.limits.far_factor,
        capacity_qps: result.capacity.qps,
        capacity: &result.capacity,
        steps,
        error: result.error.as_ref().map(|err| format!("{err:#}")),
    };
    let mut json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    json.push('\n');
    json
}

/// The CSV table: one row per step, by rate, latencies in µs.
pub fn to_csv(result: &SweepResult) -> String {
    let mut csv = String::from(
        "step,phase,offered_qps,sent_qps,answered_qps,sent,completed,lost,lost_pct,errors,p50_us,p90_us,p99_us,p999_us,max_us,generator_shortfall_pct,max_send_lag_us,verdict,rcodes\n",
    );
    for step in by_rate(&result.steps) {
        let latency = &step.latency;
        let _ = writeln!(
            csv,
            "{},{},{:.1},{:.1},{:.1},{},{},{},{:.3},{},{},{},{},{},{},{:.2},{},{},\"{}\"",
            step.number,
            phase_name(step.phase),
            step.offered_qps,
            step.sent_qps,
            step.answered_qps,
            step.counters.sent,
            step.counters.completed,
            step.counters.lost,
            step.lost_pct,
            step.counters.errors(),
            latency.p50,
            latency.p90,
            latency.p99,
            latency.p999,
            latency.max,
            step.shortfall_pct,
            step.max_send_lag_us,
            step.verdict.label(),
            rcodes_text(step)
        );
    }
    csv
}
