//! What `compare` reads: the `--json` of a run or of a sweep, reduced to
//! the metrics it compares, each with the evidence of how much it varies.
//!
//! A run gives its latency percentiles and its answers per second, with
//! every measured second as repeated samples of each. A sweep gives its
//! capacity (bracketed by the lowest rate that failed) and the p50 and p99
//! of every step that met the objective, keyed by the offered rate so that
//! two sweeps over the same rates line up step by step. Several rounds of
//! the same measurement combine into one document whose figures are the
//! rounds' medians, with the rounds as the samples.

use std::path::Path;

use serde::Deserialize;

use crate::compare::error::CompareError;
use crate::stats::{LatencySummary, SecondFigures};
use crate::sweep::capacity::{Capacity, CapacityLimit};
use crate::sweep::slo::Slo;
use crate::sweep::step::Verdict;

/// Which kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `satloc-loadgen --json` (or `merge --json`).
    Run,
    /// `satloc-loadgen sweep --json`.
    Sweep,
}

impl Kind {
    /// "run" or "sweep".
    pub fn name(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Sweep => "sweep",
        }
    }
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    /// Median latency, µs.
    P50,
    /// 90th percentile latency, µs.
    P90,
    /// 99th percentile latency, µs.
    P99,
    /// 99.9th percentile latency, µs.
    P999,
    /// Answers per second.
    Throughput,
    /// A sweep's capacity, queries per second.
    Capacity,
}

impl Measure {
    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::P50 => "p50",
            Self::P90 => "p90",
            Self::P99 => "p99",
            Self::P999 => "p99.9",
            Self::Throughput => "answers/s",
            Self::Capacity => "capacity",
        }
    }

    /// Whether a smaller value is the better one.
    pub fn smaller_is_better(self) -> bool {
        matches!(self, Self::P50 | Self::P90 | Self::P99 | Self::P999)
    }

    /// The per-second sample of this measure, if the second has one.
    fn sample(self, second: &SecondFigures) -> Option<f64> {
        let us = match self {
            Self::P50 => second.p50_us,
            Self::P90 => second.p90_us,
            Self::P99 => second.p99_us,
            Self::P999 => second.p999_us,
            Self::Throughput => return Some(second.answered_qps),
            Self::Capacity => None,
        };
        us.map(|us| us as f64)
    }
}

/// How far a metric's value can be trusted.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// The same figure measured over each second of one run.
    Seconds(Vec<f64>),
    /// The figure of each round, when several were combined.
    Rounds {
        /// One per round.
        values: Vec<f64>,
        /// For a capacity, the widest gap between a round's capacity and
        /// the lowest rate that failed, as a share of the capacity.
        resolution: Option<f64>,
    },
    /// A capacity: the true value lies between it and the lowest rate that
    /// failed.
    Bracket {
        /// The lowest rate that failed.
        failed_qps: f64,
    },
    /// A capacity the generator could not push past, or that every rate
    /// met: the true value is at least this.
    LowerBound,
}

/// One figure of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// What it measures.
    pub measure: Measure,
    /// A sweep step's offered rate, for per-step figures.
    pub at_qps: Option<f64>,
    /// The figure.
    pub value: f64,
    /// How much it varies.
    pub evidence: Evidence,
}

impl Metric {
    /// Its name in the table, e.g. "p99" or "p99 at 20,000/s".
    pub fn name(&self) -> String {
        match self.at_qps {
            Some(rate) => format!(
                "{} at {}/s",
                self.measure.label(),
                crate::report::group(rate.round() as u64)
            ),
            None => self.measure.label().to_owned(),
        }
    }
}

/// A document reduced to its metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Run or sweep.
    pub kind: Kind,
    /// How many rounds it combines (1 for a single file).
    pub rounds: usize,
    /// What was measured, in a few words: two documents that differ here
    /// measured different things.
    pub setup: String,
    /// Its figures.
    pub metrics: Vec<Metric>,
}

/// The load model of a run.
#[derive(Debug, Deserialize)]
struct LoadJson {
    mode: String,
    concurrency: Option<usize>,
    target_qps: Option<f64>,
}

/// The fields of a run's JSON that `compare` uses.
#[derive(Debug, Deserialize)]
struct RunJson {
    transport: Option<String>,
    load: Option<LoadJson>,
    qps: f64,
    latency_us: LatencySummary,
    seconds: Option<Vec<SecondFigures>>,
}

/// The fields of a sweep step that `compare` uses.
#[derive(Debug, Deserialize)]
struct StepJson {
    offered_qps: f64,
    verdict: String,
    latency_us: LatencySummary,
    #[serde(default)]
    seconds: Vec<SecondFigures>,
}

/// The fields of a sweep's JSON that `compare` uses.
#[derive(Debug, Deserialize)]
struct SweepJson {
    transport: String,
    slo: Vec<Slo>,
    capacity: Capacity,
    steps: Vec<StepJson>,
}

/// Reads `path` as a run's or a sweep's JSON.
pub fn load(path: &Path) -> Result<Document, CompareError> {
    let text = std::fs::read_to_string(path).map_err(|source| CompareError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text).map_err(|source| CompareError::Parse {
        path: path.to_owned(),
        source,
    })
}

/// Parses a run's or a sweep's JSON (a document with `steps` is a sweep).
pub fn parse(text: &str) -> Result<Document, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if value.get("steps").is_some() {
        Ok(from_sweep(serde_json::from_value(value)?))
    } else {
        Ok(from_run(serde_json::from_value(value)?))
    }
}

/// The percentile metrics of `latency`, sampled from `seconds`.
fn latency_metrics(
    latency: &LatencySummary,
    seconds: &[SecondFigures],
    measures: &[Measure],
    at_qps: Option<f64>,
) -> Vec<Metric> {
    measures
        .iter()
        .map(|&measure| {
            let us = match measure {
                Measure::P50 => latency.p50,
                Measure::P90 => latency.p90,
                Measure::P99 => latency.p99,
                _ => latency.p999,
            };
            Metric {
                measure,
                at_qps,
                value: us as f64,
                evidence: Evidence::Seconds(samples(seconds, measure)),
            }
        })
        .collect()
}

/// `measure` in every whole second of `seconds`.
fn samples(seconds: &[SecondFigures], measure: Measure) -> Vec<f64> {
    seconds
        .iter()
        .filter(|second| second.is_whole())
        .filter_map(|second| measure.sample(second))
        .collect()
}

fn from_run(run: RunJson) -> Document {
    let seconds = run.seconds.unwrap_or_default();
    let all = [Measure::P50, Measure::P90, Measure::P99, Measure::P999];
    let mut metrics = latency_metrics(&run.latency_us, &seconds, &all, None);
    metrics.push(Metric {
        measure: Measure::Throughput,
        at_qps: None,
        value: run.qps,
        evidence: Evidence::Seconds(samples(&seconds, Measure::Throughput)),
    });
    let load = run.load.map_or_else(String::new, |load| {
        match (load.concurrency, load.target_qps) {
            (Some(concurrency), _) => format!(", {} loop, concurrency {concurrency}", load.mode),
            (None, Some(rate)) => format!(", {} loop, {rate} qps", load.mode),
            _ => format!(", {} loop", load.mode),
        }
    });
    Document {
        kind: Kind::Run,
        rounds: 1,
        setup: format!("run over {}{load}", run.transport.unwrap_or_default()),
        metrics,
    }
}

fn from_sweep(sweep: SweepJson) -> Document {
    let evidence = match sweep.capacity.limit {
        CapacityLimit::Server { failed_qps } => Evidence::Bracket { failed_qps },
        CapacityLimit::Generator { .. } | CapacityLimit::NotReached => Evidence::LowerBound,
    };
    let mut metrics = vec![Metric {
        measure: Measure::Capacity,
        at_qps: None,
        value: sweep.capacity.qps.unwrap_or(0.0),
        evidence,
    }];
    let meets = Verdict::Meets.label();
    for step in sweep.steps.iter().filter(|step| step.verdict == meets) {
        metrics.extend(latency_metrics(
            &step.latency_us,
            &step.seconds,
            &[Measure::P50, Measure::P99],
            Some(step.offered_qps),
        ));
    }
    Document {
        kind: Kind::Sweep,
        rounds: 1,
        setup: format!(
            "sweep over {}, objective {}",
            sweep.transport,
            sweep
                .slo
                .iter()
                .map(Slo::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        metrics,
    }
}

/// The middle value of sorted `values` (the mean of the middle two if
/// even).
fn median(values: &[f64]) -> f64 {
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// How far the capacity of a metric may be off, as a share of it.
pub fn resolution(metric: &Metric) -> Option<f64> {
    match &metric.evidence {
        Evidence::Bracket { failed_qps } if metric.value > 0.0 => {
            Some((failed_qps - metric.value) / metric.value)
        }
        Evidence::Rounds { resolution, .. } => *resolution,
        _ => None,
    }
}

/// Rounds of the same measurement (all runs or all sweeps, checked by the
/// caller) as one document: each metric every round has, at the rounds'
/// median, with the rounds as its samples. A capacity that is a lower
/// bound in any round stays a lower bound.
pub fn combine(mut rounds: Vec<Document>) -> Document {
    if rounds.len() == 1 {
        return rounds.remove(0);
    }
    let first = &rounds[0];
    let metrics = first
        .metrics
        .iter()
        .filter_map(|metric| {
            let name = metric.name();
            let found: Vec<&Metric> = rounds
                .iter()
                .filter_map(|round| round.metrics.iter().find(|other| other.name() == name))
                .collect();
            (found.len() == rounds.len()).then(|| combine_metric(metric, &found))
        })
        .collect();
    Document {
        kind: first.kind,
        rounds: rounds.len(),
        setup: first.setup.clone(),
        metrics,
    }
}

/// One metric over the rounds `found`.
fn combine_metric(metric: &Metric, found: &[&Metric]) -> Metric {
    let mut values: Vec<f64> = found.iter().map(|round| round.value).collect();
    values.sort_by(f64::total_cmp);
    let value = median(&values);
    let evidence = if found
        .iter()
        .any(|round| round.evidence == Evidence::LowerBound)
    {
        Evidence::LowerBound
    } else {
        Evidence::Rounds {
            values,
            resolution: found
                .iter()
                .filter_map(|round| resolution(round))
                .reduce(f64::max),
        }
    };
    Metric {
        value,
        evidence,
        ..metric.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(p99: f64, capacity: Evidence) -> Document {
        Document {
            kind: Kind::Sweep,
            rounds: 1,
            setup: "sweep".into(),
            metrics: vec![
                Metric {
                    measure: Measure::Capacity,
                    at_qps: None,
                    value: 1000.0,
                    evidence: capacity,
                },
                Metric {
                    measure: Measure::P99,
                    at_qps: Some(500.0),
                    value: p99,
                    evidence: Evidence::Seconds(vec![p99; 5]),
                },
            ],
        }
    }

    #[test]
    fn rounds_combine_to_their_median_with_the_rounds_as_samples() {
        let bracket = |failed_qps| Evidence::Bracket { failed_qps };
        let combined = combine(vec![
            round(300.0, bracket(1100.0)),
            round(100.0, bracket(1050.0)),
            round(200.0, bracket(1200.0)),
        ]);
        assert_eq!(combined.rounds, 3);
        let p99 = &combined.metrics[1];
        assert_eq!(p99.value, 200.0);
        assert_eq!(
            p99.evidence,
            Evidence::Rounds {
                values: vec![100.0, 200.0, 300.0],
                resolution: None
            }
        );
        // The widest bracket of the three: 1200 over 1000.
        let resolution = resolution(&combined.metrics[0]).unwrap();
        assert!((resolution - 0.2).abs() < 1e-9, "{resolution}");
    }

    #[test]
    fn a_lower_bound_in_any_round_keeps_the_capacity_a_lower_bound() {
        let combined = combine(vec![
            round(100.0, Evidence::Bracket { failed_qps: 1100.0 }),
            round(100.0, Evidence::LowerBound),
        ]);
        assert_eq!(combined.metrics[0].evidence, Evidence::LowerBound);
    }
}
