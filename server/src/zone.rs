//! The zone satloc is authoritative for, and what its records say beyond the
//! positions themselves: SOA and NS contents, TTL, and the precision model.

use std::net::IpAddr;

use chrono::TimeDelta;
use hickory_proto::ProtoError;
use hickory_proto::rr::Name;

use crate::loc::Precision;
use crate::quantum::PositionQuantum;

/// Default zone.
pub const DEFAULT_ZONE: &str = "sat.example.";
/// Default TTL: positions move every second, so caches should not hold them long.
pub const DEFAULT_TTL: u32 = 5;
/// Default largest UDP response we send to an EDNS client (the DNS Flag Day 2020
/// figure, which avoids IP fragmentation on almost every path).
pub const DEFAULT_MAX_UDP_PAYLOAD: u16 = 1232;

/// What goes into LOC's SIZE, HORIZ PRE and VERT PRE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrecisionModel {
    /// Error bounds that grow with the age of the element set.
    ///
    /// SGP4 from a TLE is good to about a kilometre near epoch and drifts, mostly
    /// along-track, by roughly one to a few kilometres per day for LEO objects.
    /// The model publishes (as RFC 1876 diameters):
    ///
    /// * size 1 m (the RFC default; the catalogue does not know object sizes),
    /// * horizontal precision `2 x (1 km + 1 km/day x |age|)`,
    /// * vertical precision `2 x (0.5 km + 0.25 km/day x |age|)`,
    ///
    /// each rounded up to the next value LOC can express.
    ByAge,
    /// Fixed values in metres (`--precision SIZE,HORIZ,VERT`).
    Fixed {
        /// Diameter of the object.
        size_m: f64,
        /// Diameter of the horizontal error circle.
        horiz_m: f64,
        /// Vertical error.
        vert_m: f64,
    },
}

impl PrecisionModel {
    /// The (size, horizontal, vertical) precision for elements of the given age.
    pub fn for_age(&self, age: TimeDelta) -> (Precision, Precision, Precision) {
        match *self {
            PrecisionModel::ByAge => {
                let days = (age.num_seconds() as f64 / 86_400.0).abs();
                (
                    Precision::at_least_m(1.0),
                    Precision::at_least_m(2.0 * (1_000.0 + 1_000.0 * days)),
                    Precision::at_least_m(2.0 * (500.0 + 250.0 * days)),
                )
            }
            PrecisionModel::Fixed {
                size_m,
                horiz_m,
                vert_m,
            } => (
                Precision::at_least_m(size_m),
                Precision::at_least_m(horiz_m),
                Precision::at_least_m(vert_m),
            ),
        }
    }

    /// Parses `SIZE,HORIZ,VERT` in metres, each optionally suffixed with `m`
    /// (`1m,2000m,500m`).
    pub fn parse_fixed(text: &str) -> Result<Self, PrecisionError> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let [size, horiz, vert] = parts.as_slice() else {
            return Err(PrecisionError::NotThreeValues(text.to_owned()));
        };
        Ok(PrecisionModel::Fixed {
            size_m: parse_metres(size)?,
            horiz_m: parse_metres(horiz)?,
            vert_m: parse_metres(vert)?,
        })
    }
}

/// One of `--precision`'s values: metres, optionally suffixed with `m`, within
/// what LOC's fields can carry.
fn parse_metres(part: &str) -> Result<f64, PrecisionError> {
    let value: f64 = part
        .strip_suffix('m')
        .unwrap_or(part)
        .parse()
        .map_err(|_| PrecisionError::NotMetres(part.to_owned()))?;
    if !(0.0..=90_000_000.0).contains(&value) {
        return Err(PrecisionError::OutOfRange(value));
    }
    Ok(value)
}

/// Why a fixed precision (`SIZE,HORIZ,VERT`) was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrecisionError {
    /// Not three comma-separated values.
    #[error("expected SIZE,HORIZ,VERT in metres (e.g. 1,2000,500), got \"{0}\"")]
    NotThreeValues(String),
    /// A value that is not a number.
    #[error("\"{0}\" is not a number of metres")]
    NotMetres(String),
    /// A value LOC cannot carry.
    #[error("{0} m is outside LOC's 0 to 90000000 m")]
    OutOfRange(f64),
}

/// Why a domain name given on the command line was refused.
#[derive(Debug, thiserror::Error)]
pub enum NameError {
    /// Not a domain name at all.
    #[error("\"{text}\" is not a domain name")]
    NotAName {
        /// What was given.
        text: String,
        /// What hickory-proto found wrong with it.
        #[source]
        source: ProtoError,
    },
    /// A zone so long that `ns1.` or `hostmaster.` under it is over 255 bytes.
    #[error("zone name {apex} is too long")]
    ZoneTooLong {
        /// The zone.
        apex: String,
        /// What hickory-proto said.
        #[source]
        source: ProtoError,
    },
}

/// SOA timers (RFC 1035), in seconds. The defaults are conventional values
/// that zone checkers accept (refresh 4 h, retry 1 h, expire 14 days: retry
/// below refresh, expire above a week); the SOA minimum is the zone's TTL,
/// kept short because positions move every second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoaTimers {
    /// Secondary refresh interval.
    pub refresh: i32,
    /// Secondary retry interval.
    pub retry: i32,
    /// Secondary expiry.
    pub expire: i32,
}

impl Default for SoaTimers {
    fn default() -> Self {
        Self {
            refresh: 4 * 3_600,
            retry: 3_600,
            expire: 14 * 86_400,
        }
    }
}

/// Everything about the zone that is not the catalogue.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The apex, lower case, fully qualified.
    pub apex: Name,
    /// TTL of every record, and the SOA minimum (negative-caching TTL).
    pub ttl: u32,
    /// SOA MNAME.
    pub mname: Name,
    /// SOA RNAME (the mailbox, first label is the local part).
    pub rname: Name,
    /// SOA timers.
    pub timers: SoaTimers,
    /// NS targets.
    pub nameservers: Vec<Name>,
    /// Addresses of the name servers inside the zone, published as their A
    /// and AAAA records and as glue with the apex NS set.
    pub ns_addresses: Vec<(Name, Vec<IpAddr>)>,
    /// LOC size and precision.
    pub precision: PrecisionModel,
    /// Largest UDP payload we send to EDNS clients, whatever they advertise.
    pub max_udp_payload: u16,
    /// Positions are computed at the nearest boundary of this quantum and
    /// shared by the answers within it (`--position-quantum`); `None`: at
    /// each answer's own instant.
    pub position_quantum: Option<PositionQuantum>,
}

impl Zone {
    /// A zone at `apex` with the defaults: `ns1.<apex>` as MNAME and the only NS,
    /// `hostmaster.<apex>` as RNAME.
    pub fn new(apex: &str) -> Result<Self, NameError> {
        let apex = parse_fqdn(apex)?;
        let child = |label: &str| {
            apex.prepend_label(label)
                .map_err(|source| NameError::ZoneTooLong {
                    apex: apex.to_string(),
                    source,
                })
        };
        let ns1 = child("ns1")?;
        Ok(Self {
            mname: ns1.clone(),
            rname: child("hostmaster")?,
            nameservers: vec![ns1],
            ns_addresses: Vec::new(),
            apex,
            ttl: DEFAULT_TTL,
            timers: SoaTimers::default(),
            precision: PrecisionModel::ByAge,
            max_udp_payload: DEFAULT_MAX_UDP_PAYLOAD,
            position_quantum: None,
        })
    }
}

impl Zone {
    /// The addresses published for `name`, if it is a name server inside the
    /// zone that has some.
    pub fn addresses_of(&self, name: &Name) -> Option<&[IpAddr]> {
        self.ns_addresses
            .iter()
            .find(|(host, _)| host == name)
            .map(|(_, addresses)| addresses.as_slice())
    }

    /// Whether `name` lies strictly above a name server host inside the zone
    /// (an empty non-terminal: NODATA rather than NXDOMAIN, RFC 8020).
    pub fn is_above_a_host(&self, name: &Name) -> bool {
        self.ns_addresses
            .iter()
            .any(|(host, _)| host != name && name.zone_of(host))
    }

    /// The apex name servers inside the zone that have no address: resolvers
    /// cannot reach them, and zone checkers fail the delegation.
    pub fn unreachable_nameservers(&self) -> Vec<&Name> {
        self.nameservers
            .iter()
            .filter(|ns| self.apex.zone_of(ns) && self.addresses_of(ns).is_none())
            .collect()
    }
}

/// Parses a domain name given on the command line, making it fully qualified and
/// lower case.
pub fn parse_fqdn(text: &str) -> Result<Name, NameError> {
    let mut name = Name::from_ascii(text).map_err(|source| NameError::NotAName {
        text: text.to_owned(),
        source,
    })?;
    name.set_fqdn(true);
    Ok(name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_grows_with_age() {
        let (size, hp0, vp0) = PrecisionModel::ByAge.for_age(TimeDelta::zero());
        assert_eq!(size.metres(), 1.0);
        assert_eq!(hp0.metres(), 2_000.0);
        assert_eq!(vp0.metres(), 1_000.0);
        let (_, hp, vp) = PrecisionModel::ByAge.for_age(TimeDelta::days(-3));
        assert_eq!(hp.metres(), 8_000.0);
        assert_eq!(vp.metres(), 3_000.0);
        let (_, hp, _) = PrecisionModel::ByAge.for_age(TimeDelta::days(400));
        assert_eq!(hp.metres(), 900_000.0, "802 km rounds up to 9e7 cm");
    }

    #[test]
    fn fixed_precision_parses() {
        let model = PrecisionModel::parse_fixed("1m, 2000, 500m").unwrap();
        let (s, h, v) = model.for_age(TimeDelta::days(10));
        assert_eq!((s.metres(), h.metres(), v.metres()), (1.0, 2000.0, 500.0));
        assert!(PrecisionModel::parse_fixed("1,2").is_err());
        assert!(PrecisionModel::parse_fixed("1,x,3").is_err());
        assert!(PrecisionModel::parse_fixed("1,-2,3").is_err());
    }

    #[test]
    fn zone_defaults() {
        let zone = Zone::new("Sat.Example").unwrap();
        assert_eq!(zone.apex.to_ascii(), "sat.example.");
        assert_eq!(zone.mname.to_ascii(), "ns1.sat.example.");
        assert_eq!(zone.rname.to_ascii(), "hostmaster.sat.example.");
        assert!(Zone::new("bad..name").is_err());
    }
}
