//! A comparison for people (a table and the verdict line) and a document's
//! metrics for benchmark trackers, in Bencher Metric Format (BMF) JSON:
//! why that format, docs/benchmarking.md, "Tracking the history".

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::compare::document::{Document, Evidence, Measure, Metric};
use crate::compare::judge::{Comparison, Outcome};
use crate::compare::noise::{CONFIDENCE, bounds};
use crate::report::group;
use crate::sweep::slo::format_us;

/// A figure in its unit: latency as µs/ms, rates as whole queries.
fn figure(metric: &Metric) -> String {
    if metric.measure.smaller_is_better() {
        format_us(metric.value.round() as u64)
    } else {
        format!("{}/s", group(metric.value.round() as u64))
    }
}

/// A percentage with its sign, or "-".
fn percent(value: Option<f64>, sign: bool) -> String {
    match (value, sign) {
        (Some(value), true) => format!("{value:+.1}%"),
        (Some(value), false) => format!("±{value:.1}%"),
        (None, _) => "-".to_owned(),
    }
}

/// The table, the metrics only one side has, and the verdict line.
pub fn to_text(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "baseline: {}", comparison.baseline_setup);
    let _ = writeln!(out, "current:  {}", comparison.current_setup);
    if comparison
        .rows
        .iter()
        .any(|row| matches!(row.current.evidence, Evidence::Seconds(_)))
    {
        out.push_str(
            "noise: from the seconds of one run a side, which leave out how runs differ; \
give rounds (A1.json,A2.json,A3.json B1.json,B2.json,B3.json) for a gate\n",
        );
    }
    let _ = writeln!(
        out,
        "{:<22} {:>12} {:>12} {:>8} {:>8}  verdict",
        "metric", "baseline", "current", "change", "noise"
    );
    for row in &comparison.rows {
        let _ = writeln!(
            out,
            "{:<22} {:>12} {:>12} {:>8} {:>8}  {}",
            row.current.name(),
            figure(&row.baseline),
            figure(&row.current),
            percent(row.change_pct, true),
            percent(row.band_pct, false),
            row.outcome.label()
        );
    }
    for (names, side) in [
        (&comparison.only_baseline, "baseline"),
        (&comparison.only_current, "current"),
    ] {
        if !names.is_empty() {
            let _ = writeln!(out, "only in the {side}: {}", names.join(", "));
        }
    }
    out.push_str(&verdict_line(comparison));
    out
}

/// The last line: pass or the metrics that regressed.
fn verdict_line(comparison: &Comparison) -> String {
    let threshold = comparison.threshold_pct;
    let regressed: Vec<String> = comparison
        .rows
        .iter()
        .filter(|row| row.outcome == Outcome::Regressed)
        .map(|row| row.current.name())
        .collect();
    if regressed.is_empty() {
        format!(
            "verdict: pass (nothing worse by more than {threshold}% and beyond the {CONFIDENCE} noise band)\n"
        )
    } else {
        format!(
            "verdict: REGRESSION in {} (worse by more than {threshold}% and beyond the noise band)\n",
            regressed.join(", ")
        )
    }
}

/// The BMF measure slug of `measure`; latencies are in nanoseconds, as
/// Bencher's built-in `latency` measure is.
fn slug(measure: Measure) -> &'static str {
    match measure {
        Measure::P50 => "latency-p50",
        Measure::P90 => "latency-p90",
        Measure::P99 => "latency-p99",
        Measure::P999 => "latency-p999",
        Measure::Throughput => "throughput",
        Measure::Capacity => "capacity",
    }
}

/// The metric's value in its BMF unit.
fn bmf_value(measure: Measure, value: f64) -> f64 {
    if measure.smaller_is_better() {
        value * 1e3
    } else {
        value
    }
}

/// `document`'s metrics as BMF JSON: benchmark `name` for a run's figures
/// and a sweep's capacity, `name@RATEqps` for a sweep step's.
pub fn to_bmf(document: &Document, name: &str) -> String {
    let mut benchmarks = Map::new();
    for metric in &document.metrics {
        let benchmark = match metric.at_qps {
            Some(rate) => format!("{name}@{}qps", rate.round()),
            None => name.to_owned(),
        };
        let scale = |value: f64| bmf_value(metric.measure, value);
        let mut entry = json!({ "value": scale(metric.value) });
        let (lower, upper) = bounds(metric);
        if let Some(lower) = lower {
            entry["lower_value"] = json!(scale(lower));
        }
        if let Some(upper) = upper {
            entry["upper_value"] = json!(scale(upper));
        }
        let measures = benchmarks
            .entry(benchmark)
            .or_insert_with(|| Value::Object(Map::new()));
        measures[slug(metric.measure)] = entry;
    }
    let mut text =
        serde_json::to_string_pretty(&Value::Object(benchmarks)).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
