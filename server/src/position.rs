//! Where an object is at an instant, and the LOC record that says so: what the
//! answer core publishes and what `--check` prints.
//!
//! The answer core asks through [`locate_in`], which applies the zone's
//! position quantum ([`crate::quantum`]): both answer paths and the PowerDNS
//! backend take the same quantised instant, so they stay byte-identical.

use chrono::{DateTime, Utc};

use crate::catalog::{KEY_WORDS, SatObject, SlotValue};
use crate::ephemeris::{EphemerisError, GeodeticFix};
use crate::loc::{LocError, LocRdata};
use crate::zone::{PrecisionModel, Zone};

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

/// Where `object` is for an answer at `now` in `zone`: [`locate`] at `now`,
/// or, with a position quantum, at the quantum boundary nearest to `now`,
/// computed once per object and boundary and remembered in the object's
/// [`crate::catalog::PositionSlot`]. Only positions with a LOC are
/// remembered; the rare others are computed every time.
#[inline]
pub fn locate_in(
    zone: &Zone,
    object: &SatObject,
    now: DateTime<Utc>,
) -> Result<Located, EphemerisError> {
    let Some(quantum) = zone.position_quantum else {
        return locate(object, &zone.precision, now);
    };
    let Some(at_ns) = quantum.nearest_boundary_ns(now) else {
        return locate(object, &zone.precision, now);
    };
    let key = slot_key(at_ns, &zone.precision);
    if let Some(hit) = object.position.get(&key) {
        return Ok(Located {
            fix: hit.fix,
            loc: LocRdata::decode(&hit.loc),
        });
    }
    let located = locate(
        object,
        &zone.precision,
        DateTime::from_timestamp_nanos(at_ns),
    );
    if let Ok(Located { fix, loc: Ok(loc) }) = &located {
        object.position.put(
            &key,
            &SlotValue {
                fix: *fix,
                loc: loc.encode(),
            },
        );
    }
    located
}

/// What a remembered position depends on besides the object: the instant
/// and the precision model (the LOC's size and precision fields).
fn slot_key(at_ns: i64, precision: &PrecisionModel) -> [u64; KEY_WORDS] {
    let instant = u64::from_ne_bytes(at_ns.to_ne_bytes());
    match *precision {
        PrecisionModel::ByAge => [instant, 1, 0, 0, 0],
        PrecisionModel::Fixed {
            size_m,
            horiz_m,
            vert_m,
        } => [
            instant,
            2,
            size_m.to_bits(),
            horiz_m.to_bits(),
            vert_m.to_bits(),
        ],
    }
}
