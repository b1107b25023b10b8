//! RFC 1876 LOC record data: encoding, decoding and presentation.
//!
//! hickory-proto has no LOC type, so satloc builds the 16-byte RDATA itself and
//! hands it to hickory as opaque data of type 29. The fields and their units, as
//! the RFC defines them:
//!
//! ```text
//! VERSION    u8   always 0
//! SIZE       u8   diameter of a sphere enclosing the object, cm, mantissa/exponent
//! HORIZ PRE  u8   diameter of the horizontal circle of error, cm, mantissa/exponent
//! VERT PRE   u8   total vertical error, cm, mantissa/exponent
//! LATITUDE   u32  thousandths of an arc-second, 2^31 is the equator, north is larger
//! LONGITUDE  u32  thousandths of an arc-second, 2^31 is the prime meridian, east is larger
//! ALTITUDE   u32  centimetres above a base of -100 000 m (WGS84 ellipsoid)
//! ```
//!
//! The mantissa/exponent bytes hold `m * 10^e` centimetres with both nibbles in
//! 0..=9. Encoding rounds *up*, so a published precision is never tighter than the
//! one asked for.
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

use std::fmt;

use hickory_proto::rr::RecordType;

/// The RR type number of LOC (RFC 1876).
pub const LOC_RECORD_TYPE: u16 = 29;

/// LOC as hickory-proto's record type: it has no LOC variant, so the number
/// travels as an unknown type.
pub const LOC: RecordType = RecordType::Unknown(LOC_RECORD_TYPE);

/// Length of LOC RDATA, version 0.
pub const LOC_RDATA_LEN: usize = 16;

/// Highest altitude LOC can carry: `(2^32 - 1) cm - 100 000 m`.
pub const MAX_ALTITUDE_M: f64 = 42_849_672.95;

/// Lowest altitude LOC can carry.
pub const MIN_ALTITUDE_M: f64 = -100_000.0;

const EQUATOR: i64 = 1 << 31;
const MILLIARCSEC_PER_DEG: f64 = 3_600_000.0;
const ALTITUDE_BASE_CM: i64 = 10_000_000;

/// Why a position cannot be expressed as a LOC record.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LocError {
    /// The altitude is outside what the 32-bit centimetre field can hold.
    #[error(
        "altitude {alt_m:.0} m is outside the LOC range ({MIN_ALTITUDE_M} m to {MAX_ALTITUDE_M} m)"
    )]
    AltitudeOutOfRange {
        /// The altitude that did not fit, in metres.
        alt_m: f64,
    },
    /// Latitude outside -90..=90 or longitude outside -180..=180, or not finite.
    #[error("coordinates lat {lat_deg} lon {lon_deg} are not a place on Earth")]
    BadCoordinates {
        /// Latitude in degrees.
        lat_deg: f64,
        /// Longitude in degrees.
        lon_deg: f64,
    },
    /// RDATA that is not 16 bytes of version 0.
    #[error("LOC RDATA must be 16 bytes of version 0")]
    BadRdata,
}

/// A size or precision in centimetres, held in RFC 1876's one-byte
/// mantissa/exponent form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precision(u8);

impl Precision {
    /// The smallest representable value that is at least `metres`.
    ///
    /// Values above 9e9 cm saturate at `9e9` cm (the largest encodable). Integer
    /// arithmetic once the centimetres are known, because this runs three times
    /// per LOC answer (`docs/case-study.md` has the callgrind count behind it).
    pub fn at_least_m(metres: f64) -> Self {
        const MAX_CM: f64 = 9e9;
        let cm = if metres.is_finite() && metres > 0.0 {
            (metres * 100.0).ceil()
        } else {
            0.0
        };
        if cm > MAX_CM {
            return Self(0x99);
        }
        let cm = whole_centimetres(cm);
        let mut scale = 1u64;
        for exponent in 0u8..=9 {
            if let Ok(mantissa @ 0..=9) = u8::try_from(cm.div_ceil(scale)) {
                return Self((mantissa << 4) | exponent);
            }
            scale *= 10;
        }
        Self(0x99)
    }

    /// The value as the raw RDATA byte.
    pub fn to_byte(self) -> u8 {
        self.0
    }

    /// Parses a raw RDATA byte, rejecting nibbles above 9.
    pub fn from_byte(byte: u8) -> Option<Self> {
        ((byte >> 4) <= 9 && (byte & 0x0f) <= 9).then_some(Self(byte))
    }

    /// The value in centimetres.
    pub fn centimetres(self) -> u64 {
        u64::from(self.0 >> 4) * 10u64.pow(u32::from(self.0 & 0x0f))
    }

    /// The value in metres.
    pub fn metres(self) -> f64 {
        // At most 9e9, exactly representable in f64.
        self.centimetres() as f64 / 100.0
    }
}

/// `cm`, a whole number in 0..=9e9 (callers check), as an integer.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole_centimetres(cm: f64) -> u64 {
    // Whole, non-negative and below 2^53: the conversion is exact.
    cm as u64
}

/// A position and its error bounds, ready to become LOC RDATA.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocRdata {
    /// Diameter of a sphere enclosing the object.
    pub size: Precision,
    /// Diameter of the horizontal circle of error.
    pub horiz_pre: Precision,
    /// Total vertical error.
    pub vert_pre: Precision,
    /// Latitude in thousandths of an arc-second, offset by 2^31.
    pub latitude: u32,
    /// Longitude in thousandths of an arc-second, offset by 2^31.
    pub longitude: u32,
    /// Altitude in centimetres above -100 000 m.
    pub altitude: u32,
}

impl LocRdata {
    /// Builds RDATA from geodetic degrees and metres, rounding each field to the
    /// nearest unit of the wire format. An altitude the format cannot carry is an
    /// error, never a wrapped value.
    pub fn from_position(
        lat_deg: f64,
        lon_deg: f64,
        alt_m: f64,
        size: Precision,
        horiz_pre: Precision,
        vert_pre: Precision,
    ) -> Result<Self, LocError> {
        if !(lat_deg.is_finite()
            && lon_deg.is_finite()
            && (-90.0..=90.0).contains(&lat_deg)
            && (-180.0..=180.0).contains(&lon_deg))
        {
            return Err(LocError::BadCoordinates { lat_deg, lon_deg });
        }
        let altitude = altitude_field(alt_m).ok_or(LocError::AltitudeOutOfRange { alt_m })?;
        Ok(Self {
            size,
            horiz_pre,
            vert_pre,
            latitude: angle_field(lat_deg),
            longitude: angle_field(lon_deg),
            altitude,
        })
    }

    /// The 16 bytes of RDATA.
    pub fn encode(&self) -> [u8; LOC_RDATA_LEN] {
        let mut out = [0u8; LOC_RDATA_LEN];
        out[0] = 0; // version
        out[1] = self.size.to_byte();
        out[2] = self.horiz_pre.to_byte();
        out[3] = self.vert_pre.to_byte();
        out[4..8].copy_from_slice(&self.latitude.to_be_bytes());
        out[8..12].copy_from_slice(&self.longitude.to_be_bytes());
        out[12..16].copy_from_slice(&self.altitude.to_be_bytes());
        out
    }

    /// Parses version-0 RDATA.
    pub fn decode(rdata: &[u8]) -> Result<Self, LocError> {
        let bytes: &[u8; LOC_RDATA_LEN] = rdata.try_into().map_err(|_| LocError::BadRdata)?;
        if bytes[0] != 0 {
            return Err(LocError::BadRdata);
        }
        let word = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        Ok(Self {
            size: Precision::from_byte(bytes[1]).ok_or(LocError::BadRdata)?,
            horiz_pre: Precision::from_byte(bytes[2]).ok_or(LocError::BadRdata)?,
            vert_pre: Precision::from_byte(bytes[3]).ok_or(LocError::BadRdata)?,
            latitude: word(4),
            longitude: word(8),
            altitude: word(12),
        })
    }

    /// Latitude in degrees, north positive.
    pub fn lat_deg(&self) -> f64 {
        milliarcsec_from_field(self.latitude) as f64 / MILLIARCSEC_PER_DEG
    }

    /// Longitude in degrees, east positive.
    pub fn lon_deg(&self) -> f64 {
        milliarcsec_from_field(self.longitude) as f64 / MILLIARCSEC_PER_DEG
    }

    /// Altitude in metres above the WGS84 ellipsoid.
    pub fn alt_m(&self) -> f64 {
        (i64::from(self.altitude) - ALTITUDE_BASE_CM) as f64 / 100.0
    }
}

/// RFC 1876 master-file presentation, as `dig` prints it:
/// `51 30 12.748 N 0 7 39.611 W 0.00m 1m 10000m 10m`.
impl fmt::Display for LocRdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_angle(f, milliarcsec_from_field(self.latitude), ('N', 'S'))?;
        f.write_str(" ")?;
        write_angle(f, milliarcsec_from_field(self.longitude), ('E', 'W'))?;
        let alt_cm = i64::from(self.altitude) - ALTITUDE_BASE_CM;
        let sign = if alt_cm < 0 { "-" } else { "" };
        write!(
            f,
            " {sign}{}.{:02}m {} {} {}",
            alt_cm.abs() / 100,
            alt_cm.abs() % 100,
            PrecisionDisplay(self.size),
            PrecisionDisplay(self.horiz_pre),
            PrecisionDisplay(self.vert_pre)
        )
    }
}

struct PrecisionDisplay(Precision);

impl fmt::Display for PrecisionDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cm = self.0.centimetres();
        if cm.is_multiple_of(100) {
            write!(f, "{}m", cm / 100)
        } else {
            write!(f, "{}.{:02}m", cm / 100, cm % 100)
        }
    }
}

fn write_angle(
    f: &mut fmt::Formatter<'_>,
    milliarcsec: i64,
    hemispheres: (char, char),
) -> fmt::Result {
    let hemisphere = if milliarcsec < 0 {
        hemispheres.1
    } else {
        hemispheres.0
    };
    let total = milliarcsec.abs();
    let degrees = total / MILLIARCSEC_PER_DEG_INT;
    let minutes = (total / 60_000) % 60;
    let seconds = (total / 1000) % 60;
    let thousandths = total % 1000;
    write!(
        f,
        "{degrees} {minutes} {seconds}.{thousandths:03} {hemisphere}"
    )
}

const MILLIARCSEC_PER_DEG_INT: i64 = 3_600_000;

fn milliarcsec_from_field(field: u32) -> i64 {
    i64::from(field) - EQUATOR
}

fn angle_field(deg: f64) -> u32 {
    // |deg| <= 180 was checked, so the offset value lies in 2^31 +- 648e6 and
    // fits a u32 without wrapping.
    let milliarcsec = (deg * MILLIARCSEC_PER_DEG).round();
    u32::try_from(EQUATOR + f64_to_i64(milliarcsec)).unwrap_or(u32::MAX)
}

fn altitude_field(alt_m: f64) -> Option<u32> {
    if !alt_m.is_finite() {
        return None;
    }
    let cm = (alt_m * 100.0).round() + 10_000_000.0;
    if !(0.0..=f64::from(u32::MAX)).contains(&cm) {
        return None;
    }
    u32::try_from(f64_to_i64(cm)).ok()
}

/// Converts an integral-valued f64 known to be well inside i64's range.
fn f64_to_i64(value: f64) -> i64 {
    // `as` saturates for out-of-range values; callers bound the input first.
    #[allow(clippy::cast_possible_truncation)]
    let converted = value as i64;
    converted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rfc_example_fields() {
        // RFC 1876 section 3 example: cambridge-net.kei.com LOC
        // 42 21 54 N 71 06 18 W -24m 30m (size 30m, default hp 10000m, vp 10m).
        let lat = 42.0 + 21.0 / 60.0 + 54.0 / 3600.0;
        let lon = -(71.0 + 6.0 / 60.0 + 18.0 / 3600.0);
        let loc = LocRdata::from_position(
            lat,
            lon,
            -24.0,
            Precision::at_least_m(30.0),
            Precision::at_least_m(10_000.0),
            Precision::at_least_m(10.0),
        )
        .unwrap();
        let bytes = loc.encode();
        assert_eq!(
            bytes,
            [
                0x00, // version
                0x33, // size: 3e3 cm = 30 m
                0x16, // horizontal precision: 1e6 cm = 10 km
                0x13, // vertical precision: 1e3 cm = 10 m
                0x89, 0x17, 0x2d, 0xd0, // latitude: 2^31 + 152514000 mas
                0x70, 0xbe, 0x15, 0xf0, // longitude: 2^31 - 255978000 mas
                0x00, 0x98, 0x8d, 0x20, // altitude: 10000000 - 2400 cm
            ]
        );
        assert_eq!(
            loc.to_string(),
            "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m"
        );
    }

    #[test]
    fn round_trips_through_bytes() {
        let loc = LocRdata::from_position(
            -51.6,
            179.999_999,
            420_123.456,
            Precision::at_least_m(1.0),
            Precision::at_least_m(2_000.0),
            Precision::at_least_m(500.0),
        )
        .unwrap();
        let back = LocRdata::decode(&loc.encode()).unwrap();
        assert_eq!(back, loc);
        assert!((back.lat_deg() + 51.6).abs() < 1e-9);
        assert!((back.alt_m() - 420_123.46).abs() < 1e-6);
    }

    #[test]
    fn precision_rounds_up_never_down() {
        assert_eq!(Precision::at_least_m(0.0).centimetres(), 0);
        assert_eq!(Precision::at_least_m(1.0).centimetres(), 100);
        assert_eq!(Precision::at_least_m(1.01).centimetres(), 200);
        assert_eq!(Precision::at_least_m(2_500.0).centimetres(), 300_000);
        assert_eq!(Precision::at_least_m(1e12).to_byte(), 0x99);
        assert_eq!(Precision::at_least_m(f64::NAN).centimetres(), 0);
    }

    /// The definition, checked over a wide sweep: the result is at least the
    /// requested centimetres, and no smaller encodable value is.
    #[test]
    fn precision_is_the_smallest_encodable_value_at_least_the_request() {
        let encodable: Vec<u64> = (0u8..=9)
            .flat_map(|e| (0u64..=9).map(move |m| m * 10u64.pow(u32::from(e))))
            .collect();
        let mut metres = 0.001_f64;
        while metres < 1e8 {
            for request in [metres, metres * 1.0001, metres * 0.9999] {
                let cm = whole_centimetres((request * 100.0_f64).ceil());
                let got = Precision::at_least_m(request).centimetres();
                let want = encodable
                    .iter()
                    .copied()
                    .filter(|&v| v >= cm)
                    .min()
                    .unwrap();
                assert_eq!(got, want, "{request} m");
            }
            metres *= 1.37;
        }
        // Every encodable whole number of metres maps to itself (0.07 m is not
        // exactly 7 cm in binary, so sub-metre values may round up a step).
        for &cm in encodable.iter().filter(|&&cm| cm % 100 == 0) {
            assert_eq!(Precision::at_least_m(cm as f64 / 100.0).centimetres(), cm);
        }
    }

    #[test]
    fn refuses_altitudes_it_cannot_encode() {
        let p = Precision::at_least_m(1.0);
        assert!(LocRdata::from_position(0.0, 0.0, MAX_ALTITUDE_M, p, p, p).is_ok());
        assert_eq!(
            LocRdata::from_position(0.0, 0.0, 42_850_000.0, p, p, p),
            Err(LocError::AltitudeOutOfRange {
                alt_m: 42_850_000.0
            })
        );
        assert!(LocRdata::from_position(0.0, 0.0, -100_000.01, p, p, p).is_err());
        assert!(LocRdata::from_position(0.0, 0.0, f64::INFINITY, p, p, p).is_err());
        assert!(LocRdata::from_position(91.0, 0.0, 0.0, p, p, p).is_err());
    }

    #[test]
    fn rejects_malformed_rdata() {
        assert_eq!(LocRdata::decode(&[0u8; 15]), Err(LocError::BadRdata));
        let mut bytes = [0u8; 16];
        bytes[0] = 1;
        assert_eq!(LocRdata::decode(&bytes), Err(LocError::BadRdata));
        bytes[0] = 0;
        bytes[1] = 0xa0;
        assert_eq!(LocRdata::decode(&bytes), Err(LocError::BadRdata));
    }
}
