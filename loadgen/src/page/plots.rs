//! The report's plots, as [`XyChart`]s drawn by the workspace's plotting
//! crate: latency percentiles against achieved throughput (the knee, with
//! the objective and the capacity as rules), the percentile distribution
//! on HdrHistogram's log axis, and answers and p99 second by second.

use hdrhistogram::Histogram;
use satloc_plot::{Axis, PlotError, Rule, Scale, Series, XyChart};

use crate::stats::SecondFigures;
use crate::sweep::Capacity;
use crate::sweep::slo::Slo;
use crate::sweep::step::Step;

/// Size of every plot, in pixels.
pub const PLOT_SIZE: (u32, u32) = (860, 460);

/// The highest percentile the distribution plot reaches: 99.9999 %, as far
/// as HdrHistogram's own plots usually go.
const DISTRIBUTION_TOP: f64 = 1e6;

/// A latency in milliseconds for an axis tick.
fn ms_tick(ms: f64) -> String {
    if ms >= 10.0 {
        format!("{ms:.0}")
    } else if ms >= 1.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

/// A rate for an axis tick: `12k`, `1.5M`.
fn qps_tick(qps: f64) -> String {
    if qps >= 1e6 {
        format!("{:.1}M", qps / 1e6)
    } else if qps >= 1e3 {
        format!("{:.0}k", qps / 1e3)
    } else {
        format!("{qps:.0}")
    }
}

/// HdrHistogram's percentile axis: x = 1/(1−q), shown as the percentile.
fn percentile_tick(x: f64) -> String {
    let percentile = 100.0 * (1.0 - 1.0 / x);
    if percentile < 99.0 {
        format!("{percentile:.0}%")
    } else {
        format!("{percentile:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
            + "%"
    }
}

/// Seconds for an axis tick.
fn seconds_tick(seconds: f64) -> String {
    format!("{seconds:.0}s")
}

/// A log axis's range around `values` (in ms), with some room.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if low.is_finite() {
        (low / 1.5, high * 1.5)
    } else {
        (0.001, 1.0)
    }
}

/// The objectives as horizontal rules, in ms.
fn slo_rules(slos: &[Slo]) -> Vec<Rule> {
    slos.iter()
        .map(|slo| Rule {
            label: format!("SLO {slo}"),
            at: slo.limit_us as f64 / 1e3,
        })
        .collect()
}

/// Latency percentiles against answers per second, one point per step in
/// order of offered rate, with the objectives and the capacity.
pub fn latency_against_throughput(
    steps: &[&Step],
    slos: &[Slo],
    capacity: &Capacity,
) -> Result<String, PlotError> {
    type Pick = fn(&Step) -> u64;
    let percentiles: [(&str, Pick); 5] = [
        ("p50", |s| s.latency.p50),
        ("p90", |s| s.latency.p90),
        ("p99", |s| s.latency.p99),
        ("p99.9", |s| s.latency.p999),
        ("max", |s| s.latency.max),
    ];
    let series: Vec<Series> = percentiles
        .iter()
        .map(|(label, pick)| Series {
            label: (*label).to_owned(),
            points: steps
                .iter()
                .filter(|step| pick(step) > 0)
                .map(|step| (step.answered_qps, pick(step) as f64 / 1e3))
                .collect(),
        })
        .collect();
    let y_rules = slo_rules(slos);
    let y_range = log_range(
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(y_rules.iter().map(|r| r.at)),
    );
    let x_high = steps
        .iter()
        .map(|step| step.answered_qps.max(step.offered_qps))
        .fold(1.0, f64::max);
    let x_rules = capacity
        .qps
        .map(|qps| Rule {
            label: format!("capacity {qps:.0} qps"),
            at: qps,
        })
        .into_iter()
        .collect();
    XyChart {
        title: "Latency against throughput (one point per step)".to_owned(),
        x: Axis {
            label: "answers per second".to_owned(),
            scale: Scale::Linear,
            range: (0.0, x_high * 1.05),
            format: qps_tick,
        },
        y: Axis {
            label: "latency (ms, log)".to_owned(),
            scale: Scale::Log,
            range: y_range,
            format: ms_tick,
        },
        series,
        y_rules,
        x_rules,
    }
    .to_svg(PLOT_SIZE)
}

/// The percentile distributions of `histograms` (label, histogram) on
/// HdrHistogram's axis: x is 1/(1−q) on a log scale, labelled as the
/// percentile, so 90 %, 99 %, 99.9 % are equally spaced; y is linear.
pub fn percentile_distribution(
    title: &str,
    histograms: &[(String, &Histogram<u64>)],
    slos: &[Slo],
) -> Result<String, PlotError> {
    let series: Vec<Series> = histograms
        .iter()
        .filter(|(_, histogram)| !histogram.is_empty())
        .map(|(label, histogram)| Series {
            label: label.clone(),
            points: histogram
                .iter_quantiles(5)
                .map(|value| {
                    let x = (1.0 / (1.0 - value.quantile_iterated_to())).min(DISTRIBUTION_TOP);
                    (
                        x,
                        histogram.highest_equivalent(value.value_iterated_to()) as f64 / 1e3,
                    )
                })
                .collect(),
        })
        .collect();
    let y_rules = slo_rules(slos);
    let y_high = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(y_rules.iter().map(|r| r.at))
        .fold(0.001, f64::max);
    let x_high = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(10.0, f64::max);
    XyChart {
        title: title.to_owned(),
        x: Axis {
            label: "percentile".to_owned(),
            scale: Scale::Log,
            range: (1.0, x_high * 1.2),
            format: percentile_tick,
        },
        y: Axis {
            label: "latency (ms)".to_owned(),
            scale: Scale::Linear,
            range: (0.0, y_high * 1.1),
            format: ms_tick,
        },
        series,
        y_rules,
        x_rules: Vec::new(),
    }
    .to_svg(PLOT_SIZE)
}

/// One second of the run at its place in time: seconds since the start,
/// and its figures.
pub type TimedSecond = (f64, SecondFigures);

/// Answers per second, second by second.
pub fn answers_per_second(seconds: &[TimedSecond]) -> Result<String, PlotError> {
    let points: Vec<(f64, f64)> = seconds
        .iter()
        .map(|(at, second)| (*at, second.answered_qps))
        .collect();
    let y_high = points.iter().map(|p| p.1).fold(1.0, f64::max);
    let x_high = seconds.last().map_or(1.0, |(at, _)| at + 1.0);
    XyChart {
        title: "Answers per second over the run".to_owned(),
        x: Axis {
            label: "time (s)".to_owned(),
            scale: Scale::Linear,
            range: (0.0, x_high),
            format: seconds_tick,
        },
        y: Axis {
            label: "answers per second".to_owned(),
            scale: Scale::Linear,
            range: (0.0, y_high * 1.1),
            format: qps_tick,
        },
        series: vec![Series {
            label: "answers/s".to_owned(),
            points,
        }],
        y_rules: Vec::new(),
        x_rules: Vec::new(),
    }
    .to_svg(PLOT_SIZE)
}

/// The 99th percentile of each second, with the objectives.
pub fn p99_per_second(seconds: &[TimedSecond], slos: &[Slo]) -> Result<String, PlotError> {
    let points: Vec<(f64, f64)> = seconds
        .iter()
        .filter_map(|(at, second)| second.p99_us.map(|p99| (*at, p99 as f64 / 1e3)))
        .collect();
    let y_rules = slo_rules(slos);
    let y_range = log_range(
        points
            .iter()
            .map(|p| p.1)
            .chain(y_rules.iter().map(|r| r.at)),
    );
    let x_high = seconds.last().map_or(1.0, |(at, _)| at + 1.0);
    XyChart {
        title: "p99 latency per second over the run".to_owned(),
        x: Axis {
            label: "time (s)".to_owned(),
            scale: Scale::Linear,
            range: (0.0, x_high),
            format: seconds_tick,
        },
        y: Axis {
            label: "p99 (ms, log)".to_owned(),
            scale: Scale::Log,
            range: y_range,
            format: ms_tick,
        },
        series: vec![Series {
            label: "p99".to_owned(),
            points,
        }],
        y_rules,
        x_rules: Vec::new(),
    }
    .to_svg(PLOT_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_percentile_axis_reads_as_percentiles() {
        assert_eq!(percentile_tick(1.0), "0%");
        assert_eq!(percentile_tick(10.0), "90%");
        assert_eq!(percentile_tick(100.0), "99%");
        assert_eq!(percentile_tick(1000.0), "99.9%");
        assert_eq!(percentile_tick(10_000.0), "99.99%");
        assert_eq!(ms_tick(0.25), "0.25");
        assert_eq!(qps_tick(12_000.0), "12k");
    }
}
