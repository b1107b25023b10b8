//! Positions out: SGP4/SDP4 propagation, TEME to Earth-fixed, Earth-fixed to WGS84.
//!
//! The chain is the one the SGP4 papers and skyfield use:
//!
//! 1. The `sgp4` crate propagates mean elements to a TEME position and velocity.
//!    Elements are fitted with the WGS72 gravity model, so propagation uses WGS72
//!    too (the crate's `Constants::from_elements` would use WGS84).
//! 2. TEME is rotated about the pole by the Greenwich mean sidereal time
//!    (IAU 1982), giving an Earth-fixed (pseudo-Earth-fixed) position. Polar
//!    motion (a few metres) is neglected, as skyfield does by default.
//! 3. The Earth-fixed vector becomes WGS84 geodetic latitude, longitude and
//!    height above the ellipsoid.
//!
//! UT1 is taken equal to UTC. |UT1 - UTC| stays below 0.9 s by definition and was
//! about 0.08 s through 2025-2026, which turns the Earth by at most 0.0004
//! degrees of longitude: inside the accuracy bar checked against skyfield in
//! `tests/accuracy.rs`.

mod resonance;

use chrono::{DateTime, Utc};
use sgp4::{Constants, Elements, MinutesSinceEpoch};

use resonance::Checkpoints;

/// WGS84 semi-major axis, km.
const WGS84_A_KM: f64 = 6378.137;
/// WGS84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// Unix time of J2000.0 (2000-01-01T12:00:00 UTC, treated as UT1).
const J2000_UNIX_S: i64 = 946_728_000;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// A propagator for one element set.
#[derive(Debug, Clone)]
pub struct Propagator {
    constants: Constants,
    epoch: DateTime<Utc>,
    /// One revolution at the Brouwer mean motion, minutes: how far ahead the
    /// map draws an object's ground track.
    period_min: f64,
    /// For orbits in resonance, the integrator's states near the instant last
    /// prepared for ([`Propagator::prepare`]): what keeps their cost flat.
    resonance: Checkpoints,
}

/// Why a position could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EphemerisError {
    /// The elements cannot start a propagation (e.g. eccentricity out of range).
    #[error("elements rejected by SGP4: {0}")]
    BadElements(String),
    /// Propagation to this instant failed (decayed, diverged far from epoch).
    #[error("propagation failed {minutes:.0} min from epoch: {reason}")]
    Propagation {
        /// Minutes from the element epoch.
        minutes: f64,
        /// What SGP4 reported.
        reason: String,
    },
}

/// Where an object is, in the terms DNS LOC and the TXT summary need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeodeticFix {
    /// WGS84 geodetic latitude, degrees, north positive.
    pub lat_deg: f64,
    /// Longitude, degrees in -180..=180, east positive.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
    /// Inertial (TEME) speed, km/s.
    pub speed_km_s: f64,
}

impl Propagator {
    /// Prepares SGP4 for an element set, with the WGS72 constants the elements
    /// were fitted with.
    pub fn new(elements: &Elements) -> Result<Self, EphemerisError> {
        let deg = std::f64::consts::PI / 180.0;
        let orbit = sgp4::Orbit::from_kozai_elements(
            &sgp4::WGS72,
            elements.inclination * deg,
            elements.right_ascension * deg,
            elements.eccentricity,
            elements.argument_of_perigee * deg,
            elements.mean_anomaly * deg,
            elements.mean_motion * (std::f64::consts::PI / 720.0),
        )
        .map_err(|e| EphemerisError::BadElements(e.to_string()))?;
        let period_min = std::f64::consts::TAU / orbit.mean_motion;
        let constants = Constants::new(
            sgp4::WGS72,
            sgp4::iau_epoch_to_sidereal_time,
            elements.epoch(),
            elements.drag_term,
            orbit,
        )
        .map_err(|e| EphemerisError::BadElements(e.to_string()))?;
        Ok(Self {
            constants,
            epoch: elements.datetime.and_utc(),
            period_min,
            resonance: Checkpoints::default(),
        })
    }

    /// Keeps the resonance integrator's states for the days around `at`, so
    /// positions near `at` cost one integration step (`ephemeris/resonance.rs`).
    /// Costs one integration from the closest state already kept, or from the
    /// epoch; does nothing for orbits without resonance, or when the states
    /// around `at` are already kept. Positions are the same either way.
    pub fn prepare(&mut self, at: DateTime<Utc>) {
        if let Some(initial) = self.constants.initial_state() {
            let minutes = minutes_between(self.epoch, at);
            self.resonance.prepare(&self.constants, minutes, initial);
        }
    }

    /// Whether positions near `at` already start from kept states (always
    /// true for orbits without resonance).
    pub fn is_prepared_for(&self, at: DateTime<Utc>) -> bool {
        self.constants.initial_state().is_none()
            || self.resonance.covers(minutes_between(self.epoch, at))
    }

    /// The element set's epoch.
    pub fn epoch(&self) -> DateTime<Utc> {
        self.epoch
    }

    /// The time of one revolution, minutes (from the mean motion).
    pub fn period_min(&self) -> f64 {
        self.period_min
    }

    /// TEME position (km) and velocity (km/s) `minutes` after epoch.
    pub fn teme_at(&self, minutes: f64) -> Result<([f64; 3], [f64; 3]), EphemerisError> {
        let mut state = self
            .constants
            .initial_state()
            .map(|initial| self.resonance.start_for(minutes, initial));
        let prediction = self
            .constants
            .propagate_from_state(MinutesSinceEpoch(minutes), state.as_mut(), false)
            .map_err(|e| EphemerisError::Propagation {
                minutes,
                reason: e.to_string(),
            })?;
        Ok((prediction.position, prediction.velocity))
    }

    /// Where the object is at `at`.
    pub fn fix_at(&self, at: DateTime<Utc>) -> Result<GeodeticFix, EphemerisError> {
        let minutes = minutes_between(self.epoch, at);
        let (position, v) = self.teme_at(minutes)?;
        let theta = gmst_rad(at);
        let ecef = teme_to_ecef(position, theta);
        let (lat_deg, lon_deg, alt_km) = geodetic_wgs84(ecef);
        let speed_km_s = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let fix = GeodeticFix {
            lat_deg,
            lon_deg,
            alt_m: alt_km * 1000.0,
            speed_km_s,
        };
        if [fix.lat_deg, fix.lon_deg, fix.alt_m, fix.speed_km_s]
            .iter()
            .all(|x| x.is_finite())
        {
            Ok(fix)
        } else {
            Err(EphemerisError::Propagation {
                minutes,
                reason: "non-finite position".to_owned(),
            })
        }
    }
}

/// Minutes from `from` to `to`, at nanosecond resolution.
pub fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let delta = to - from;
    match delta.num_nanoseconds() {
        Some(ns) => ns as f64 / 60e9,
        // Beyond +-292 years: milliseconds are plenty.
        None => delta.num_milliseconds() as f64 / 60e3,
    }
}

/// Greenwich mean sidereal time (IAU 1982, the angle SGP4's TEME frame is
/// defined against), radians in 0..2pi, with UT1 taken as UTC.
pub fn gmst_rad(at: DateTime<Utc>) -> f64 {
    // Days since J2000 split into whole and fractional parts so the fraction of a
    // day -- which carries the Earth's rotation -- keeps full precision.
    let seconds = at.timestamp() - J2000_UNIX_S;
    let whole_days = seconds.div_euclid(86_400);
    let second_of_day =
        seconds.rem_euclid(86_400) as f64 + f64::from(at.timestamp_subsec_nanos()) * 1e-9;
    let day_fraction = second_of_day / SECONDS_PER_DAY;
    let t = (whole_days as f64 + day_fraction) / 36_525.0;
    let g = 67_310.548_41 + (8_640_184.812_866 + (0.093_104 + (-6.2e-6) * t) * t) * t;
    // J2000.0 falls at noon, so the Julian-date fraction equals `day_fraction`.
    let turns = (day_fraction + g / SECONDS_PER_DAY).rem_euclid(1.0);
    turns * std::f64::consts::TAU
}

/// Rotates a TEME vector into the Earth-fixed frame by the sidereal angle.
pub fn teme_to_ecef(r: [f64; 3], theta: f64) -> [f64; 3] {
    let (s, c) = theta.sin_cos();
    [c * r[0] + s * r[1], -s * r[0] + c * r[1], r[2]]
}

/// WGS84 geodetic latitude (deg), longitude (deg) and height (km) of an
/// Earth-fixed position in km.
///
/// Fixed-point iteration on latitude; the height formula
/// `p cos(lat) + z sin(lat) - a sqrt(1 - e^2 sin^2 lat)` stays well conditioned at
/// the poles, where the textbook `p / cos(lat) - N` does not.
pub fn geodetic_wgs84(r: [f64; 3]) -> (f64, f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let [x, y, z] = r;
    let p = x.hypot(y);
    let lon = y.atan2(x);
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..8 {
        let sin_lat = lat.sin();
        let n = WGS84_A_KM / (1.0 - e2 * sin_lat * sin_lat).sqrt();
        let next = (z + n * e2 * sin_lat).atan2(p);
        let converged = (next - lat).abs() < 1e-15;
        lat = next;
        if converged {
            break;
        }
    }
    let (sin_lat, cos_lat) = lat.sin_cos();
    let h = p * cos_lat + z * sin_lat - WGS84_A_KM * (1.0 - e2 * sin_lat * sin_lat).sqrt();
    (lat.to_degrees(), lon.to_degrees(), h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geodetic_of_reference_points() {
        let (lat, lon, h) = geodetic_wgs84([6378.137, 0.0, 0.0]);
        assert!(lat.abs() < 1e-12 && lon.abs() < 1e-12 && h.abs() < 1e-9);
        let (lat, _, h) = geodetic_wgs84([0.0, 0.0, 6_356.752_314_245 + 400.0]);
        assert!((lat - 90.0).abs() < 1e-9, "lat {lat}");
        assert!((h - 400.0).abs() < 1e-6, "h {h}");
        let (lat, lon, h) = geodetic_wgs84([0.0, -6378.137 - 35_786.0, 0.0]);
        assert!(lat.abs() < 1e-12 && (lon + 90.0).abs() < 1e-12 && (h - 35_786.0).abs() < 1e-9);
    }

    #[test]
    fn gmst_at_j2000_matches_iau_1982() {
        // IAU 1982 GMST at 2000-01-01T12:00:00 UT1 is 67310.54841 s = 280.46061837 deg.
        let at = DateTime::from_timestamp(J2000_UNIX_S, 0).unwrap();
        assert!((gmst_rad(at).to_degrees() - 280.460_618_375).abs() < 1e-8);
        // One sidereal day later the angle is back, to within the rate term.
        let later = DateTime::from_timestamp(J2000_UNIX_S + 86_164, 90_500_000).unwrap();
        let diff = (gmst_rad(later) - gmst_rad(at)).abs();
        assert!(diff < 1e-5, "diff {diff}");
    }

    #[test]
    fn minutes_are_signed() {
        let a = DateTime::from_timestamp(1_000, 0).unwrap();
        let b = DateTime::from_timestamp(1_090, 0).unwrap();
        assert_eq!(minutes_between(a, b), 1.5);
        assert_eq!(minutes_between(b, a), -1.5);
    }
}
