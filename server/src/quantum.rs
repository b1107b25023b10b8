//! The position quantum (`--position-quantum`): how far apart in time the
//! positions a server computes may be.
//!
//! A LOC answer is mostly SGP4 and frame transforms (`docs/case-study.md`,
//! "The answer's cost"), yet a position is good for far longer than it takes
//! to compute: resolvers cache the record for its TTL. With a quantum `q`, the
//! position served for instant `t` is the one at the quantum boundary nearest
//! to `t` (on the Unix time line), so every answer within a quantum shares one
//! computation and is at most `q / 2` away in time from the exact one. This
//! module is only time arithmetic and the error bound; the per-object memo
//! lives with the objects ([`crate::catalog::PositionSlot`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The Earth's rotation rate, rad/s (WGS84).
const EARTH_ROTATION_RAD_S: f64 = 7.292_115e-5;
/// The WGS84 equatorial radius, metres.
const EARTH_EQUATORIAL_RADIUS_M: f64 = 6_378_137.0;

/// The longest quantum accepted: beyond it an answer is no longer a live
/// position (a LEO object moves about 230 km in 30 s).
pub const MAX_QUANTUM: Duration = Duration::from_secs(60);

/// A non-zero time quantum for positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionQuantum {
    /// The quantum in nanoseconds, at least 1 and at most [`MAX_QUANTUM`].
    nanos: i64,
}

/// Why a quantum was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantumError {
    /// Longer than [`MAX_QUANTUM`].
    #[error("{0:?} is longer than the longest position quantum, {MAX_QUANTUM:?}")]
    TooLong(Duration),
}

impl PositionQuantum {
    /// The quantum `duration`; `Ok(None)` for zero (exact positions).
    pub fn new(duration: Duration) -> Result<Option<Self>, QuantumError> {
        if duration > MAX_QUANTUM {
            return Err(QuantumError::TooLong(duration));
        }
        // At most 60 s, so the nanoseconds fit.
        let nanos =
            i64::try_from(duration.as_nanos()).map_err(|_| QuantumError::TooLong(duration))?;
        Ok((nanos > 0).then_some(Self { nanos }))
    }

    /// The quantum as a duration.
    pub fn duration(self) -> Duration {
        Duration::from_nanos(self.nanos.unsigned_abs())
    }

    /// The quantum boundary nearest to `at` (ties go to the later one), in
    /// nanoseconds since the Unix epoch; `None` outside the years 1677 to
    /// 2262, where the caller computes the exact position instead.
    #[inline]
    pub fn nearest_boundary_ns(self, at: DateTime<Utc>) -> Option<i64> {
        let ns = at.timestamp_nanos_opt()?;
        let shifted = ns.checked_add(self.nanos / 2)?;
        shifted.div_euclid(self.nanos).checked_mul(self.nanos)
    }

    /// The instant [`Self::nearest_boundary_ns`] stands for.
    pub fn nearest_boundary(self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.nearest_boundary_ns(at)
            .map(DateTime::from_timestamp_nanos)
    }

    /// How far, in metres, the position served may be from the exact one for
    /// an object at inertial speed `speed_km_s` and height `alt_m`: the
    /// Earth-fixed speed is at most the inertial speed plus the ground's
    /// rotation at that radius, over at most half a quantum.
    pub fn error_bound_m(self, speed_km_s: f64, alt_m: f64) -> f64 {
        let ground_m_s = EARTH_ROTATION_RAD_S * (EARTH_EQUATORIAL_RADIUS_M + alt_m.max(0.0));
        let half_quantum_s = self.duration().as_secs_f64() / 2.0;
        (speed_km_s * 1_000.0 + ground_m_s) * half_quantum_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn zero_is_off_and_long_quanta_are_refused() {
        assert_eq!(PositionQuantum::new(Duration::ZERO), Ok(None));
        assert!(PositionQuantum::new(Duration::from_secs(61)).is_err());
        let q = PositionQuantum::new(Duration::from_millis(100))
            .unwrap()
            .unwrap();
        assert_eq!(q.duration(), Duration::from_millis(100));
    }

    #[test]
    fn instants_go_to_the_nearest_boundary() {
        let q = PositionQuantum::new(Duration::from_millis(100))
            .unwrap()
            .unwrap();
        let boundary = |t: &str| q.nearest_boundary(at(t)).unwrap();
        assert_eq!(boundary("2026-11-28T12:00:00Z"), at("2026-11-28T12:00:00Z"));
        assert_eq!(
            boundary("2026-11-28T12:00:00.049Z"),
            at("2026-11-28T12:00:00Z")
        );
        assert_eq!(
            boundary("2026-11-28T12:00:00.050Z"),
            at("2026-11-28T12:00:00.1Z")
        );
        assert_eq!(
            boundary("2026-11-28T11:59:59.951Z"),
            at("2026-11-28T12:00:00Z")
        );
        // Before 1970 too: Euclidean division, not truncation towards zero.
        assert_eq!(
            boundary("1969-12-31T23:59:59.97Z"),
            at("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            boundary("1969-12-31T23:59:59.93Z"),
            at("1969-12-31T23:59:59.9Z")
        );
    }

    #[test]
    fn the_bound_is_speed_plus_ground_over_half_a_quantum() {
        let q = PositionQuantum::new(Duration::from_millis(100))
            .unwrap()
            .unwrap();
        // ISS-like: 7.66 km/s, 420 km up: (7660 + 496) m/s x 0.05 s.
        let bound = q.error_bound_m(7.66, 420_000.0);
        assert!((bound - 407.8).abs() < 0.5, "{bound}");
    }
}
