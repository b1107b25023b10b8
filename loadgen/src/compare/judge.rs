//! The verdict on each metric: a change counts against the current document
//! only when it is worse by more than the threshold and by more than the
//! noise band.

use crate::compare::document::{Document, Evidence, Metric};
use crate::compare::noise::band_pct;

/// What a metric's change amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Better beyond the threshold and the noise.
    Improved,
    /// Within the threshold.
    Same,
    /// Worse by more than the threshold, but not beyond the noise.
    WithinNoise,
    /// Worse beyond the threshold and the noise: fails the comparison.
    Regressed,
    /// The current capacity is only a lower bound (the generator's limit,
    /// or every rate met), and it is below the baseline's.
    Inconclusive,
    /// The baseline is zero, so no change can be given.
    NotComparable,
}

impl Outcome {
    /// How the table shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Improved => "better",
            Self::Same => "same",
            Self::WithinNoise => "noise",
            Self::Regressed => "WORSE",
            Self::Inconclusive => "lower bound",
            Self::NotComparable => "n/a",
        }
    }
}

/// One metric compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The baseline's figure.
    pub baseline: Metric,
    /// The current figure.
    pub current: Metric,
    /// The change in percent of the baseline (positive: larger).
    pub change_pct: Option<f64>,
    /// The noise band's half-width in percent of the baseline.
    pub band_pct: Option<f64>,
    /// The verdict.
    pub outcome: Outcome,
}

/// Every metric the two documents share, and those only one has.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline's setup.
    pub baseline_setup: String,
    /// The current document's setup.
    pub current_setup: String,
    /// The threshold, percent.
    pub threshold_pct: f64,
    /// The metrics both have, in the current document's order.
    pub rows: Vec<Row>,
    /// Names of metrics only the baseline has.
    pub only_baseline: Vec<String>,
    /// Names of metrics only the current document has.
    pub only_current: Vec<String>,
}

impl Comparison {
    /// Whether any metric regressed.
    pub fn regressed(&self) -> bool {
        self.rows
            .iter()
            .any(|row| row.outcome == Outcome::Regressed)
    }
}

/// Compares every metric the two documents share.
pub fn compare(baseline: &Document, current: &Document, threshold_pct: f64) -> Comparison {
    let find = |document: &Document, metric: &Metric| {
        document
            .metrics
            .iter()
            .find(|other| other.name() == metric.name())
            .cloned()
    };
    let rows: Vec<Row> = current
        .metrics
        .iter()
        .filter_map(|metric| {
            find(baseline, metric).map(|base| judge(base, metric.clone(), threshold_pct))
        })
        .collect();
    let missing = |from: &Document, other: &Document| -> Vec<String> {
        from.metrics
            .iter()
            .filter(|metric| find(other, metric).is_none())
            .map(Metric::name)
            .collect()
    };
    let setup = |document: &Document| match document.rounds {
        1 => document.setup.clone(),
        rounds => format!("{}, median of {rounds} rounds", document.setup),
    };
    Comparison {
        baseline_setup: setup(baseline),
        current_setup: setup(current),
        threshold_pct,
        rows,
        only_baseline: missing(baseline, current),
        only_current: missing(current, baseline),
    }
}

/// The row for one metric.
pub fn judge(baseline: Metric, current: Metric, threshold_pct: f64) -> Row {
    let band = band_pct(&baseline, &current);
    let change_pct =
        (baseline.value != 0.0).then(|| 100.0 * (current.value - baseline.value) / baseline.value);
    let outcome = match change_pct {
        None if current.value == 0.0 => Outcome::Same,
        None => Outcome::NotComparable,
        Some(change) => {
            let worse = if current.measure.smaller_is_better() {
                change
            } else {
                -change
            };
            let beyond_noise = |by: f64| band.is_none_or(|band| by > band);
            if worse > 0.0 && current.evidence == Evidence::LowerBound {
                Outcome::Inconclusive
            } else if worse > threshold_pct && beyond_noise(worse) {
                Outcome::Regressed
            } else if worse > threshold_pct {
                Outcome::WithinNoise
            } else if -worse > threshold_pct && beyond_noise(-worse) {
                Outcome::Improved
            } else {
                Outcome::Same
            }
        }
    };
    Row {
        baseline,
        current,
        change_pct,
        band_pct: band,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::document::{Kind, Measure};

    /// A run whose p99 is `value` and whose seconds scatter by `spread`
    /// around it (alternately above and below, ten seconds).
    fn run(value: f64, spread: f64) -> Document {
        let samples = (0..10)
            .map(|i| value + if i % 2 == 0 { spread } else { -spread })
            .collect();
        Document {
            kind: Kind::Run,
            rounds: 1,
            setup: "run".into(),
            metrics: vec![Metric {
                measure: Measure::P99,
                at_qps: None,
                value,
                evidence: Evidence::Seconds(samples),
            }],
        }
    }

    fn outcome(baseline: &Document, current: &Document) -> Outcome {
        let comparison = compare(baseline, current, 5.0);
        assert_eq!(comparison.rows.len(), 1);
        comparison.rows[0].outcome
    }

    #[test]
    fn identical_documents_pass() {
        let baseline = run(1000.0, 50.0);
        assert_eq!(outcome(&baseline, &baseline), Outcome::Same);
        assert!(!compare(&baseline, &baseline, 5.0).regressed());
    }

    #[test]
    fn a_planted_twenty_percent_rise_fails() {
        let comparison = compare(&run(1000.0, 50.0), &run(1200.0, 60.0), 5.0);
        assert_eq!(comparison.rows[0].outcome, Outcome::Regressed);
        assert!(comparison.regressed());
    }

    #[test]
    fn a_change_within_the_noise_passes_and_the_band_is_what_passes_it() {
        // 12 % worse, over the 5 % threshold, but the seconds scatter by
        // ±40 %: the band (about ±54 %) covers the change.
        let noisy = compare(&run(1000.0, 400.0), &run(1120.0, 400.0), 5.0);
        assert_eq!(noisy.rows[0].outcome, Outcome::WithinNoise);
        assert!(!noisy.regressed());
        assert!(noisy.rows[0].band_pct.unwrap() > 12.0);
        // The same change from steady seconds is a regression.
        assert_eq!(
            outcome(&run(1000.0, 10.0), &run(1120.0, 10.0)),
            Outcome::Regressed
        );
    }

    #[test]
    fn a_change_under_the_threshold_passes_however_steady() {
        assert_eq!(outcome(&run(1000.0, 0.0), &run(1040.0, 0.0)), Outcome::Same);
        assert_eq!(
            outcome(&run(1000.0, 10.0), &run(800.0, 10.0)),
            Outcome::Improved
        );
    }

    fn capacity(value: f64, evidence: Evidence) -> Document {
        Document {
            kind: Kind::Sweep,
            rounds: 1,
            setup: "sweep".into(),
            metrics: vec![Metric {
                measure: Measure::Capacity,
                at_qps: None,
                value,
                evidence,
            }],
        }
    }

    #[test]
    fn a_capacity_drop_fails_only_beyond_the_sweeps_resolution() {
        let failed = |failed_qps| Evidence::Bracket { failed_qps };
        let baseline = capacity(10_000.0, failed(10_500.0));
        assert_eq!(
            outcome(&baseline, &capacity(8_000.0, failed(8_400.0))),
            Outcome::Regressed
        );
        // Bracketed only to within 30 %: a 20 % drop is not beyond that.
        assert_eq!(
            outcome(&baseline, &capacity(8_000.0, failed(10_400.0))),
            Outcome::WithinNoise
        );
        // The generator's limit says only "at least": never a regression.
        assert_eq!(
            outcome(&baseline, &capacity(8_000.0, Evidence::LowerBound)),
            Outcome::Inconclusive
        );
    }
}
