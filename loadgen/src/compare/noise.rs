//! How much a figure moves between runs of the same thing, estimated from
//! the evidence each document carries.
//!
//! A run's seconds are repeated measurements of its percentiles and rate:
//! the standard error of their mean says how far the run's figure would
//! move if the run were repeated, and the band of a change is
//! [`STANDARD_ERRORS`] standard errors of the difference of two such means
//! (a Welch-style interval). Seconds next to each other are not fully
//! independent, so this estimate is on the narrow side; the threshold is
//! what absorbs the rest (docs/benchmarking.md, "Gating a pull request").
//! A capacity's band is the sweep's resolution: the gap between the
//! capacity and the lowest rate that failed.

use crate::compare::document::{Evidence, Metric};

/// Standard errors each side of a change that count as noise: a change
/// from noise alone lands outside about 3 times in 1,000.
pub const STANDARD_ERRORS: f64 = 3.0;

/// Fewest samples a spread is estimated from.
pub const FEWEST_SAMPLES: usize = 3;

/// The mean and the squared standard error of the mean of `samples`, if
/// there are enough of them.
fn mean_and_squared_error(samples: &[f64]) -> Option<(f64, f64)> {
    if samples.len() < FEWEST_SAMPLES {
        return None;
    }
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((mean, variance / n))
}

/// How far the capacity of `metric` may be off, as a share of it.
fn resolution(metric: &Metric) -> Option<f64> {
    match metric.evidence {
        Evidence::Bracket { failed_qps } if metric.value > 0.0 => {
            Some((failed_qps - metric.value) / metric.value)
        }
        _ => None,
    }
}

/// The half-width of the band around a change from `base` to `current`, in
/// percent of `base`'s value; `None` when neither document says how much
/// the figure varies.
pub fn band_pct(base: &Metric, current: &Metric) -> Option<f64> {
    if base.value == 0.0 {
        return None;
    }
    match (&base.evidence, &current.evidence) {
        (Evidence::Seconds(a), Evidence::Seconds(b)) => {
            let (_, error_a) = mean_and_squared_error(a)?;
            let (_, error_b) = mean_and_squared_error(b)?;
            Some(100.0 * STANDARD_ERRORS * (error_a + error_b).sqrt() / base.value.abs())
        }
        _ => {
            let widest = resolution(base).into_iter().chain(resolution(current));
            widest.reduce(f64::max).map(|share| 100.0 * share)
        }
    }
}

/// The range a metric's true value lies in as far as its own document
/// shows (lower, upper): its band for a tracker's history.
pub fn bounds(metric: &Metric) -> (Option<f64>, Option<f64>) {
    match &metric.evidence {
        Evidence::Seconds(samples) => match mean_and_squared_error(samples) {
            Some((_, squared_error)) => {
                let half = STANDARD_ERRORS * squared_error.sqrt();
                (Some(metric.value - half), Some(metric.value + half))
            }
            None => (None, None),
        },
        Evidence::Bracket { failed_qps } => (Some(metric.value), Some(*failed_qps)),
        Evidence::LowerBound => (Some(metric.value), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::document::Measure;

    fn seconds(value: f64, samples: &[f64]) -> Metric {
        Metric {
            measure: Measure::P99,
            at_qps: None,
            value,
            evidence: Evidence::Seconds(samples.to_vec()),
        }
    }

    #[test]
    fn band_is_three_standard_errors_of_the_difference() {
        // Samples 9, 10, 11: variance 1, squared error 1/3 each.
        let a = seconds(10.0, &[9.0, 10.0, 11.0]);
        let band = band_pct(&a, &a).unwrap();
        let expected = 100.0 * 3.0 * (2.0_f64 / 3.0).sqrt() / 10.0;
        assert!((band - expected).abs() < 1e-9, "{band} vs {expected}");
    }

    #[test]
    fn too_few_seconds_give_no_band() {
        let a = seconds(10.0, &[9.0, 11.0]);
        assert_eq!(band_pct(&a, &a), None);
        assert_eq!(bounds(&a), (None, None));
    }

    #[test]
    fn capacity_band_is_the_wider_resolution() {
        let capacity = |value, failed_qps| Metric {
            measure: Measure::Capacity,
            at_qps: None,
            value,
            evidence: Evidence::Bracket { failed_qps },
        };
        let band = band_pct(&capacity(1000.0, 1100.0), &capacity(1000.0, 1050.0)).unwrap();
        assert!((band - 10.0).abs() < 1e-9, "{band}");
        assert_eq!(
            bounds(&capacity(1000.0, 1050.0)),
            (Some(1000.0), Some(1050.0))
        );
    }
}
