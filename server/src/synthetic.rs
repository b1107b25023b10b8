//! A planted, known cost on the query path, for checking that a profiler finds
//! what is really there (`--synthetic-work-ns`, `scripts/coz-validate.sh`).
//!
//! The cost is a fixed amount of arithmetic -- not a wait for a deadline -- so it
//! behaves like real work under a causal profiler: making it "faster" really
//! removes work. The amount is calibrated once at start-up to take about the
//! requested number of nanoseconds on this machine.

use std::hint::black_box;
use std::time::Instant;

/// A calibrated amount of busy work; the default is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlantedCost {
    /// Rounds of [`planted_cost`] per query.
    pub rounds: u64,
}

impl PlantedCost {
    /// Calibrates the number of rounds that take about `ns` nanoseconds.
    pub fn calibrate(ns: u64) -> Self {
        if ns == 0 {
            return Self { rounds: 0 };
        }
        // Time a sizeable batch so timer resolution does not matter.
        let trial = 200_000;
        let start = Instant::now();
        planted_cost(trial);
        let elapsed_ns = start.elapsed().as_nanos().max(1);
        let per_round_ns = elapsed_ns as f64 / trial as f64;
        let rounds = (ns as f64 / per_round_ns).round().max(1.0);
        // `rounds` is positive and far below u64::MAX for any sane `ns`.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rounds = rounds as u64;
        Self { rounds }
    }
}

/// Burns `rounds` rounds of arithmetic. Kept out of line so profiles attribute
/// the time to this function's lines.
#[inline(never)]
pub fn planted_cost(rounds: u64) {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..rounds {
        state = black_box(state.rotate_left(5) ^ 0x2545_f491_4f6c_dd1d)
            .wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    black_box(state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_scales_with_the_request() {
        assert_eq!(PlantedCost::calibrate(0).rounds, 0);
        let small = PlantedCost::calibrate(10_000).rounds;
        let large = PlantedCost::calibrate(1_000_000).rounds;
        assert!(small >= 1);
        assert!(large > small * 10, "small {small} large {large}");
    }
}
