//! The capacity a sweep's steps show, and what bounds it.

use serde::{Deserialize, Serialize};

use crate::sweep::step::{Step, Verdict};

/// What limited the capacity found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CapacityLimit {
    /// The server: the first rate above the capacity missed the SLO or
    /// lost too much.
    Server {
        /// The lowest rate that failed.
        failed_qps: f64,
    },
    /// The generator could not offer the next rate: the capacity is a
    /// lower bound (give more `--threads`, or more load hosts).
    Generator {
        /// The lowest rate the generator could not offer.
        short_qps: f64,
    },
    /// Every step met the objective: the capacity is above the highest
    /// rate offered.
    NotReached,
}

/// The sweep's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The highest offered rate that met every objective below the first
    /// failing one; `None` if the lowest rate already failed.
    pub qps: Option<f64>,
    /// What bounds it.
    pub limit: CapacityLimit,
}

/// The lowest failing rate a capacity limit names.
pub fn failed_rate(limit: CapacityLimit) -> Option<f64> {
    match limit {
        CapacityLimit::Server { failed_qps } => Some(failed_qps),
        CapacityLimit::Generator { short_qps } => Some(short_qps),
        CapacityLimit::NotReached => None,
    }
}

/// The highest rate that met everything below the lowest rate that did
/// not (a good step above a failed one is noise, not capacity). A rate
/// that failed and then met when `--confirm` ran it again counts as met.
pub fn capacity(steps: &[Step]) -> Capacity {
    let met = |rate: f64| {
        steps
            .iter()
            .any(|step| step.verdict.meets() && step.offered_qps == rate)
    };
    let first_bad = steps
        .iter()
        .filter(|step| !step.verdict.meets() && !met(step.offered_qps))
        .min_by(|a, b| a.offered_qps.total_cmp(&b.offered_qps));
    let below = first_bad.map_or(f64::INFINITY, |step| step.offered_qps);
    let qps = steps
        .iter()
        .filter(|step| step.verdict.meets() && step.offered_qps < below)
        .map(|step| step.offered_qps)
        .max_by(f64::total_cmp);
    let limit = match first_bad {
        None => CapacityLimit::NotReached,
        Some(step) if matches!(step.verdict, Verdict::GeneratorShort { .. }) => {
            CapacityLimit::Generator {
                short_qps: step.offered_qps,
            }
        }
        Some(step) => CapacityLimit::Server {
            failed_qps: step.offered_qps,
        },
    };
    Capacity { qps, limit }
}
