//! Where an object is at an instant, and the LOC record that says so: what the
//! answer core publishes and what `--check` prints.

use chrono::{DateTime, Utc};

use crate::catalog::SatObject;
use crate::ephemeris::{EphemerisError, GeodeticFix};
use crate::loc::{LocError, LocRdata};
use crate::zone::PrecisionModel;

/// An object's position at an instant and its LOC form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// The geodetic fix.
    pub fix: GeodeticFix,
    /// The LOC RDATA, or why LOC cannot carry this position (too high, say).
    pub loc: Result<LocRdata, LocError>,
}

/// Propagates `object` to `now` and encodes its LOC record, with size and
/// precision from `precision` for the age of its elements. An error says why
/// there is no position at all (decayed, or diverged far from epoch).
pub fn locate(
    object: &SatObject,
    precision: &PrecisionModel,
    now: DateTime<Utc>,
) -> Result<Located, EphemerisError> {
    let fix = object.propagator.fix_at(now)?;
    let (size, horiz, vert) = precision.for_age(now - object.epoch);
    let loc = LocRdata::from_position(fix.lat_deg, fix.lon_deg, fix.alt_m, size, horiz, vert);
    Ok(Located { fix, loc })
}
