//! The zone's records for a name and a type, as plain values.
//!
//! One place decides what the zone holds -- the apex's SOA and NS set with
//! the glue of in-zone name servers, each object's LOC and TXT, the addresses
//! of name servers inside the zone -- and whether a name exists at all. The
//! hickory answer path ([`super::hickory`]) turns these values into DNS
//! messages, the PowerDNS remote backend ([`crate::pdns`]) into zone-file
//! text: both render one source, so they cannot disagree about what the zone
//! says (`tests/pdns.rs` compares them through a real `pdns_server`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, SecondsFormat, Utc};
use hickory_proto::rr::{Name, RecordType};

use crate::catalog::{Catalog, SatObject};
use crate::ephemeris::EphemerisError;
use crate::loc::{LOC, LocRdata};
use crate::position::{Located, locate_in};
use crate::zone::Zone;

/// The SOA's fields (RFC 1035 §3.3.13), in the units and widths of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soa {
    /// The primary name server.
    pub mname: Name,
    /// The responsible mailbox.
    pub rname: Name,
    /// Changes when the elements change (the newest epoch).
    pub serial: u32,
    /// Secondary refresh interval, seconds.
    pub refresh: i32,
    /// Secondary retry interval, seconds.
    pub retry: i32,
    /// Secondary expiry, seconds.
    pub expire: i32,
    /// The negative-caching TTL, seconds.
    pub minimum: u32,
}

/// A record's data: the types the zone holds.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordData {
    /// The apex's SOA.
    Soa(Soa),
    /// One of the apex's name servers.
    Ns(Name),
    /// An IPv4 address of an in-zone name server.
    A(Ipv4Addr),
    /// An IPv6 address of an in-zone name server.
    Aaaa(Ipv6Addr),
    /// Where an object is.
    Loc(LocRdata),
    /// A line about an object a person can read (at most 255 bytes, one
    /// character-string).
    Txt(String),
}

impl RecordData {
    /// The record type this data belongs to.
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordData::Soa(_) => RecordType::SOA,
            RecordData::Ns(_) => RecordType::NS,
            RecordData::A(_) => RecordType::A,
            RecordData::Aaaa(_) => RecordType::AAAA,
            RecordData::Loc(_) => LOC,
            RecordData::Txt(_) => RecordType::TXT,
        }
    }
}

/// The master-file (zone-file) presentation of the data, RFC 1035 §5.1 and
/// RFC 1876 §3: what `dig` prints after the type, and what PowerDNS parses.
impl fmt::Display for RecordData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::Soa(soa) => write!(
                f,
                "{} {} {} {} {} {} {}",
                soa.mname.to_ascii(),
                soa.rname.to_ascii(),
                soa.serial,
                soa.refresh,
                soa.retry,
                soa.expire,
                soa.minimum
            ),
            RecordData::Ns(name) => f.write_str(&name.to_ascii()),
            RecordData::A(address) => write!(f, "{address}"),
            RecordData::Aaaa(address) => write!(f, "{address}"),
            RecordData::Loc(loc) => write!(f, "{loc}"),
            RecordData::Txt(text) => write_quoted(f, text.as_bytes()),
        }
    }
}

/// A character-string in quotes: `"` and `\` escaped, bytes outside printable
/// ASCII as `\DDD` (RFC 1035 §5.1), so any name a catalogue holds survives a
/// zone-file parser.
fn write_quoted(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => write!(f, "\\{}", char::from(byte))?,
            0x20..=0x7e => write!(f, "{}", char::from(byte))?,
            _ => write!(f, "\\{byte:03}")?,
        }
    }
    f.write_str("\"")
}

/// One record of the zone.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneRecord {
    /// The owner name. Answers about an object carry the question's own
    /// spelling, so a 0x20 mixed-case query sees it echoed.
    pub owner: Name,
    /// Seconds; the zone's TTL for every record.
    pub ttl: u32,
    /// What the record says.
    pub data: RecordData,
}

/// What the zone holds for one name and type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lookup {
    /// Whether the name exists (NXDOMAIN when not). A name that exists with
    /// no records of the type asked for is NODATA: exists, no answers.
    pub exists: bool,
    /// The records of the type asked for (all of them for ANY).
    pub answers: Vec<ZoneRecord>,
    /// The addresses of in-zone name servers named in the answers (glue).
    pub glue: Vec<ZoneRecord>,
}

/// Which section of a DNS answer a record found by [`visit`] belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The records of the type asked for.
    Answer,
    /// Addresses of in-zone name servers named in the answers.
    Glue,
}

/// The records at `qname` of type `qtype` (every type for ANY), at `now`.
/// `qname` must lie inside the zone; transfers (AXFR, IXFR) are the
/// caller's to refuse.
pub fn lookup(
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    qname: &Name,
    qtype: RecordType,
) -> Lookup {
    let mut answers = Vec::new();
    let mut glue = Vec::new();
    let exists = visit(
        zone,
        catalog,
        now,
        qname,
        qtype,
        &mut |section, record| match section {
            Section::Answer => answers.push(record),
            Section::Glue => glue.push(record),
        },
    );
    Lookup {
        exists,
        answers,
        glue,
    }
}

/// [`lookup`] record by record: hands each record found to `sink`, in
/// order, and says whether `qname` exists. The DNS answer path puts them
/// straight into its message, with no list in between (`tests/allocations.rs`
/// counts the allocations of a TXT answer).
pub fn visit(
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    qname: &Name,
    qtype: RecordType,
    sink: &mut impl FnMut(Section, ZoneRecord),
) -> bool {
    debug_assert!(zone.apex.zone_of(qname), "{qname} is outside {}", zone.apex);
    // Counted label by label: `num_labels` leaves out a leading `*`, which
    // would make `*.<zone>` the apex (pdns looks that name up to rule out a
    // wildcard before it answers NXDOMAIN).
    let depth = qname.iter().count() - zone.apex.iter().count();
    if depth == 0 {
        apex_records(zone, catalog, now, qtype, sink);
        return true;
    }
    let object = match depth {
        1 => qname.iter().next().and_then(|label| catalog.lookup(label)),
        _ => None,
    };
    let addresses = zone.addresses_of(qname);
    if object.is_none() && addresses.is_none() && !zone.is_above_a_host(qname) {
        return false;
    }
    if let Some(object) = object {
        object_records(qname, object, zone, now, qtype, &mut |record| {
            sink(Section::Answer, record);
        });
    }
    if let Some(addresses) = addresses {
        for record in address_records(qname, addresses, qtype, zone.ttl) {
            sink(Section::Answer, record);
        }
    }
    true
}

/// The apex's SOA, as negative answers carry it in their authority section.
pub fn soa(zone: &Zone, catalog: &Catalog) -> ZoneRecord {
    ZoneRecord {
        owner: zone.apex.clone(),
        ttl: zone.ttl,
        data: RecordData::Soa(Soa {
            mname: zone.mname.clone(),
            rname: zone.rname.clone(),
            serial: catalog.serial(),
            refresh: zone.timers.refresh,
            retry: zone.timers.retry,
            expire: zone.timers.expire,
            minimum: zone.ttl,
        }),
    }
}

/// Every record of the zone at `now`: the apex's, the name servers'
/// addresses, and each object's LOC and TXT at its NORAD number and at each
/// of its labels, names in a stable order. Numbers with leading zeros answer
/// too but are not listed: they are spellings, not names of their own.
pub fn zone_contents(zone: &Zone, catalog: &Catalog, now: DateTime<Utc>) -> Vec<ZoneRecord> {
    let mut records = lookup(zone, catalog, now, &zone.apex, RecordType::ANY).answers;
    for (host, addresses) in &zone.ns_addresses {
        if host != &zone.apex {
            records.extend(address_records(host, addresses, RecordType::ANY, zone.ttl));
        }
    }
    let mut labels: Vec<(&str, u64)> = catalog.labels().collect();
    labels.sort_unstable();
    for object in catalog.objects() {
        let mut at_number = Vec::new();
        let Ok(owner) = zone.apex.prepend_label(object.norad_id.to_string()) else {
            continue;
        };
        object_records(&owner, object, zone, now, RecordType::ANY, &mut |record| {
            at_number.push(record);
        });
        // Only the labels that lead here: an all-digit label would be read
        // as a NORAD number.
        let aliases = labels
            .iter()
            .filter(|(label, id)| {
                *id == object.norad_id
                    && catalog.lookup(label.as_bytes()).map(|o| o.norad_id) == Some(*id)
            })
            .filter_map(|(label, _)| zone.apex.prepend_label(*label).ok());
        for alias in aliases {
            records.extend(at_number.iter().map(|record| ZoneRecord {
                owner: alias.clone(),
                ..record.clone()
            }));
        }
        records.append(&mut at_number);
    }
    records
}

/// The apex: SOA, NS (with glue), and the LOC/TXT of the object served there.
fn apex_records(
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    qtype: RecordType,
    sink: &mut impl FnMut(Section, ZoneRecord),
) {
    if matches!(qtype, RecordType::SOA | RecordType::ANY) {
        sink(Section::Answer, soa(zone, catalog));
    }
    if matches!(qtype, RecordType::NS | RecordType::ANY) {
        for ns in &zone.nameservers {
            sink(
                Section::Answer,
                ZoneRecord {
                    owner: zone.apex.clone(),
                    ttl: zone.ttl,
                    data: RecordData::Ns(ns.clone()),
                },
            );
            // Glue: the addresses of in-zone name servers travel with the NS set.
            if let Some(addresses) = zone.addresses_of(ns) {
                for record in address_records(ns, addresses, RecordType::ANY, zone.ttl) {
                    sink(Section::Glue, record);
                }
            }
        }
    }
    if let Some(object) = catalog.apex() {
        object_records(&zone.apex, object, zone, now, qtype, &mut |record| {
            sink(Section::Answer, record);
        });
    }
}

/// The A and AAAA records of a name server host that `qtype` asks for.
fn address_records(
    host: &Name,
    addresses: &[IpAddr],
    qtype: RecordType,
    ttl: u32,
) -> impl Iterator<Item = ZoneRecord> {
    addresses.iter().filter_map(move |address| {
        let data = match (address, qtype) {
            (IpAddr::V4(v4), RecordType::A | RecordType::ANY) => RecordData::A(*v4),
            (IpAddr::V6(v6), RecordType::AAAA | RecordType::ANY) => RecordData::Aaaa(*v6),
            _ => return None,
        };
        Some(ZoneRecord {
            owner: host.clone(),
            ttl,
            data,
        })
    })
}

/// The object's LOC and/or TXT for the query type, at `owner`. Anything else
/// adds nothing, which the renderers turn into NODATA.
fn object_records(
    owner: &Name,
    object: &SatObject,
    zone: &Zone,
    now: DateTime<Utc>,
    qtype: RecordType,
    out: &mut impl FnMut(ZoneRecord),
) {
    let wants_loc = matches!(qtype, RecordType::ANY) || qtype == LOC;
    let wants_txt = matches!(qtype, RecordType::TXT | RecordType::ANY);
    if !(wants_loc || wants_txt) {
        return;
    }
    let position = locate_in(zone, object, now);
    if let (true, Ok(Located { loc: Ok(loc), .. })) = (wants_loc, &position) {
        out(ZoneRecord {
            owner: owner.clone(),
            ttl: zone.ttl,
            data: RecordData::Loc(*loc),
        });
    }
    if wants_txt {
        out(ZoneRecord {
            owner: owner.clone(),
            ttl: zone.ttl,
            data: RecordData::Txt(summary(object, now, &position)),
        });
    }
}

/// The TXT summary: one line a person can read.
fn summary(
    object: &SatObject,
    now: DateTime<Utc>,
    position: &Result<Located, EphemerisError>,
) -> String {
    let age_days = (now - object.epoch).num_seconds() as f64 / 86_400.0;
    let mut text = format!(
        "{} (NORAD {}) elements {} age {:.2} d",
        object.name,
        object.norad_id,
        object.epoch.to_rfc3339_opts(SecondsFormat::Secs, true),
        age_days
    );
    match position {
        Ok(Located { fix, loc }) => {
            text.push_str(&format!(
                ": lat {:.6} lon {:.6} alt {:.3} km speed {:.3} km/s",
                fix.lat_deg,
                fix.lon_deg,
                fix.alt_m / 1000.0,
                fix.speed_km_s
            ));
            if let Err(reason) = loc {
                text.push_str(&format!("; no LOC: {reason}"));
            }
        }
        Err(reason) => text.push_str(&format!(": no position: {reason}")),
    }
    // A TXT character-string holds at most 255 bytes.
    truncate_utf8(&mut text, 255);
    text
}

fn truncate_utf8(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}
