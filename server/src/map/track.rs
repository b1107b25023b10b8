//! Ground tracks: where an object will be over the next minutes, sampled every
//! few seconds from one instant, as the map draws them.
//!
//! Pure: objects and a [`TrackSpan`] in, points out, no clock. A track costs
//! one SGP4 propagation per point, so the tracks of a whole catalogue are
//! computed in parallel with rayon ([`ground_tracks`]); what that buys is
//! measured by `cargo bench -p satloc-benches --bench tracks` (README, "A live
//! map").

use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;

use crate::catalog::SatObject;
use crate::ephemeris::{EphemerisError, GeodeticFix};

/// Longest track served, minutes: one day, which is one revolution of a
/// geostationary satellite.
pub const MAX_MINUTES: u32 = 1440;

/// Which stretch of time a track covers and how finely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackSpan {
    /// The first point's instant.
    pub start: DateTime<Utc>,
    /// How long the track runs, minutes; `None`: one revolution of each
    /// object, rounded up (at most [`MAX_MINUTES`]).
    pub minutes: Option<u32>,
    /// Seconds between points.
    pub step_s: u32,
}

/// One object's ground track.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTrack {
    /// The object's NORAD number.
    pub norad_id: u64,
    /// The first point's instant.
    pub start: DateTime<Utc>,
    /// Seconds between points.
    pub step_s: u32,
    /// How long the track was asked to run, minutes.
    pub minutes: u32,
    /// Point `i` is where the object is at `start + i * step_s`: from `start`
    /// to `start + minutes` inclusive, unless propagation failed on the way.
    pub points: Vec<GeodeticFix>,
    /// Why the track ends before `minutes`, if it does (the object decayed,
    /// say): the points before it are kept.
    pub cut_short: Option<EphemerisError>,
}

impl TrackSpan {
    /// How long `object`'s track runs, minutes.
    pub fn minutes_for(&self, object: &SatObject) -> u32 {
        self.minutes
            .unwrap_or_else(|| one_revolution_min(object))
            .min(MAX_MINUTES)
    }

    /// How many points a track of `minutes` has (both ends included).
    pub fn points_in(&self, minutes: u32) -> usize {
        let seconds = u64::from(minutes) * 60;
        usize::try_from(seconds / u64::from(self.step_s.max(1))).map_or(usize::MAX, |n| n + 1)
    }
}

/// One revolution of `object`, whole minutes rounded up.
fn one_revolution_min(object: &SatObject) -> u32 {
    let period = object.propagator.period_min().ceil();
    if period.is_finite() && period >= 1.0 {
        // In range: clamped to a day first.
        period.min(f64::from(MAX_MINUTES)) as u32
    } else {
        MAX_MINUTES
    }
}

/// `object`'s ground track over `span`.
pub fn ground_track(object: &SatObject, span: &TrackSpan) -> GroundTrack {
    let minutes = span.minutes_for(object);
    let count = span.points_in(minutes);
    let step = TimeDelta::seconds(i64::from(span.step_s));
    let mut points = Vec::with_capacity(count);
    let mut cut_short = None;
    let mut at = span.start;
    for _ in 0..count {
        match object.propagator.fix_at(at) {
            Ok(fix) => points.push(fix),
            Err(err) => {
                cut_short = Some(err);
                break;
            }
        }
        at += step;
    }
    GroundTrack {
        norad_id: object.norad_id,
        start: span.start,
        step_s: span.step_s,
        minutes,
        points,
        cut_short,
    }
}

/// The ground tracks of `objects` over `span`, in the same order, computed
/// in parallel on rayon's pool (one object per task: a track is hundreds of
/// propagations, plenty to amortise a task).
pub fn ground_tracks(objects: &[&SatObject], span: &TrackSpan) -> Vec<GroundTrack> {
    objects
        .par_iter()
        .map(|object| ground_track(object, span))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, NamingOptions, Source};

    fn embedded() -> Catalog {
        Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn one_revolution_of_the_iss_is_about_93_minutes() {
        let catalog = embedded();
        let iss = catalog.lookup(b"iss").unwrap();
        // 1440 / 15.4919 revolutions a day (the TLE's Kozai mean motion) is
        // 92.95 minutes; SGP4's Brouwer mean motion differs in the 4th digit.
        let period = iss.propagator.period_min();
        assert!((period - 92.95).abs() < 0.1, "period {period}");
        let span = TrackSpan {
            start: at("2026-11-28T12:00:00Z"),
            minutes: None,
            step_s: 60,
        };
        assert_eq!(span.minutes_for(iss), 93);
        let geo = catalog.lookup(b"51850").unwrap();
        assert_eq!(span.minutes_for(geo), 1437, "GOES-18 is geostationary");
    }

    #[test]
    fn a_track_samples_every_step_and_ends_one_revolution_on() {
        let catalog = embedded();
        let iss = catalog.lookup(b"iss").unwrap();
        let start = at("2026-11-28T12:00:00Z");
        let span = TrackSpan {
            start,
            minutes: None,
            step_s: 30,
        };
        let track = ground_track(iss, &span);
        assert_eq!(track.cut_short, None);
        assert_eq!(track.points.len(), 93 * 2 + 1);
        for (i, point) in track.points.iter().enumerate() {
            let seconds = i64::try_from(i).unwrap() * 30;
            let expected = iss
                .propagator
                .fix_at(start + TimeDelta::seconds(seconds))
                .unwrap();
            assert_eq!(*point, expected, "point {i}");
        }
        // After one revolution the ISS is back at about the same latitude
        // (the Earth has turned under it, so not the same longitude).
        let (first, last) = (track.points[0], track.points[track.points.len() - 1]);
        assert!(
            (first.lat_deg - last.lat_deg).abs() < 1.0,
            "{first:?} {last:?}"
        );
        assert!(
            (first.lon_deg - last.lon_deg).abs() > 20.0,
            "{first:?} {last:?}"
        );
    }

    #[test]
    fn parallel_tracks_equal_serial_ones_in_order() {
        let catalog = embedded();
        let objects: Vec<&SatObject> = catalog.objects().iter().collect();
        let span = TrackSpan {
            start: at("2026-11-28T12:00:00Z"),
            minutes: Some(20),
            step_s: 60,
        };
        let parallel = ground_tracks(&objects, &span);
        let serial: Vec<GroundTrack> = objects.iter().map(|o| ground_track(o, &span)).collect();
        assert_eq!(parallel, serial);
        assert!(parallel.iter().all(|t| t.points.len() == 21));
    }

    #[test]
    fn a_track_that_cannot_be_propagated_keeps_the_points_before() {
        let catalog = embedded();
        let iss = catalog.lookup(b"iss").unwrap();
        // Decades after its epoch the ISS's elements describe no orbit.
        let span = TrackSpan {
            start: iss.epoch + TimeDelta::days(365 * 30),
            minutes: Some(10),
            step_s: 60,
        };
        let track = ground_track(iss, &span);
        assert!(track.cut_short.is_some(), "{track:?}");
        assert!(track.points.len() < 11);
    }
}
