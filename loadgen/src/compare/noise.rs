//! How much a figure moves between measurements of the same thing,
//! estimated from the evidence each document carries.
//!
//! Samples are either rounds (several runs or sweeps of the same thing,
//! combined) or, for a single run, its seconds. The band of a change is the
//! half-width of a two-sided 99 % confidence interval of the difference of
//! the two sides' means, Welch's: Student's t at the Welch–Satterthwaite
//! degrees of freedom times the standard error of the difference. Seconds
//! of one run share that run's conditions (placement, caches, neighbours),
//! so a band from seconds leaves out the variation between runs and is
//! narrower than the truth; rounds include it (docs/benchmarking.md,
//! "Gating a pull request"). A capacity's band is also at least the sweep's
//! resolution: the gap between the capacity and the lowest rate that
//! failed.

use crate::compare::document::{Evidence, Metric, resolution};

/// The confidence of the band, for the table's legend.
pub const CONFIDENCE: &str = "99%";

/// Student's t at 0.995 (two-sided 99 %) by degrees of freedom 1 to 30,
/// then at 40, 60 and 120; beyond, the normal 2.576.
const T_995: [f64; 30] = [
    63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012,
    2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779,
    2.771, 2.763, 2.756, 2.750,
];

/// Student's t quantile for a two-sided 99 % interval at `df` degrees of
/// freedom, rounded down to a tabled value (so the band errs wide).
pub fn t_quantile(df: f64) -> f64 {
    match df {
        df if df < 1.0 || df.is_nan() => T_995[0],
        df if df < 31.0 => T_995[df as usize - 1],
        df if df < 60.0 => 2.704,
        df if df < 120.0 => 2.660,
        df if df.is_finite() => 2.617,
        _ => 2.576,
    }
}

/// The samples a metric carries, if any.
fn samples(metric: &Metric) -> Option<&[f64]> {
    match &metric.evidence {
        Evidence::Seconds(values) | Evidence::Rounds { values, .. } => Some(values),
        _ => None,
    }
}

/// The squared standard error of the mean of `values` and its degrees of
/// freedom, if there are at least two.
fn squared_error(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((variance / n, n - 1.0))
}

/// Welch's half-width for the difference of the means of `a` and `b`.
fn welch_half_width(a: &[f64], b: &[f64]) -> Option<f64> {
    let (error_a, df_a) = squared_error(a)?;
    let (error_b, df_b) = squared_error(b)?;
    let error = error_a + error_b;
    if error == 0.0 {
        return Some(0.0);
    }
    let df = error.powi(2) / (error_a.powi(2) / df_a + error_b.powi(2) / df_b);
    Some(t_quantile(df) * error.sqrt())
}

/// The half-width of the band around a change from `base` to `current`, in
/// percent of `base`'s value; `None` when neither document says how much
/// the figure varies.
pub fn band_pct(base: &Metric, current: &Metric) -> Option<f64> {
    if base.value == 0.0 {
        return None;
    }
    let spread = match (samples(base), samples(current)) {
        (Some(a), Some(b)) => welch_half_width(a, b).map(|half| 100.0 * half / base.value.abs()),
        _ => None,
    };
    let widest = resolution(base).into_iter().chain(resolution(current));
    let grid = widest.reduce(f64::max).map(|share| 100.0 * share);
    spread.into_iter().chain(grid).reduce(f64::max)
}

/// The range a metric's true value lies in as far as its own document
/// shows (lower, upper): its band for a tracker's history.
pub fn bounds(metric: &Metric) -> (Option<f64>, Option<f64>) {
    match &metric.evidence {
        Evidence::Seconds(values) | Evidence::Rounds { values, .. } => {
            match squared_error(values) {
                Some((error, df)) => {
                    // Latencies and rates are never negative, however wide
                    // the band.
                    let half = t_quantile(df) * error.sqrt();
                    (
                        Some((metric.value - half).max(0.0)),
                        Some(metric.value + half),
                    )
                }
                None => (None, None),
            }
        }
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
    fn band_is_welchs_interval_of_the_difference() {
        // Samples 9, 10, 11 on both sides: variance 1, squared error 1/3
        // each; Welch's degrees of freedom (2/3)² / (2 × (1/3)² / 2) = 4.
        let a = seconds(10.0, &[9.0, 10.0, 11.0]);
        let band = band_pct(&a, &a).unwrap();
        let expected = 100.0 * 4.604 * (2.0_f64 / 3.0).sqrt() / 10.0;
        assert!((band - expected).abs() < 1e-9, "{band} vs {expected}");
    }

    #[test]
    fn t_rounds_down_to_a_tabled_value() {
        assert_eq!(t_quantile(4.0), 4.604);
        assert_eq!(t_quantile(4.9), 4.604);
        assert_eq!(t_quantile(45.0), 2.704);
        assert_eq!(t_quantile(f64::INFINITY), 2.576);
    }

    #[test]
    fn bounds_stop_at_zero() {
        let wide = seconds(10.0, &[1.0, 100.0, 1.0]);
        assert_eq!(bounds(&wide).0, Some(0.0));
    }

    #[test]
    fn one_sample_gives_no_band() {
        let a = seconds(10.0, &[9.0]);
        assert_eq!(band_pct(&a, &a), None);
        assert_eq!(bounds(&a), (None, None));
    }

    #[test]
    fn capacity_band_is_at_least_the_wider_resolution() {
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
        let rounds = |values: &[f64], resolution| Metric {
            measure: Measure::Capacity,
            at_qps: None,
            value: 1000.0,
            evidence: Evidence::Rounds {
                values: values.to_vec(),
                resolution: Some(resolution),
            },
        };
        // Identical rounds have no spread; the grid still bounds the band.
        let same = rounds(&[1000.0, 1000.0, 1000.0], 0.05);
        assert!((band_pct(&same, &same).unwrap() - 5.0).abs() < 1e-9);
    }
}
