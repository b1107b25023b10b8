//! The fast path: a plain LOC question for an object, answered straight from
//! and into wire bytes.
//!
//! Why: on the hickory-proto path most of a LOC answer's cost is building and
//! tearing down `Message` values for a response whose shape never changes. This
//! path reads the header, the question and an optional option-less OPT record in
//! place and writes the response with no allocation, leaving SGP4 as most of the
//! cost. Instructions and allocations per answer for both paths are in
//! `docs/case-study.md` (`scripts/bench-icount.sh`, `tests/allocations.rs`).
//!
//! It accepts only queries whose meaning is beyond doubt -- one uncompressed
//! question of type LOC, class IN, for `<label>.<zone>` naming an object that
//! has a LOC right now; no records other than one EDNS(0) OPT, empty or with
//! one COOKIE option of 8 or 24 bytes; nothing after them -- and returns
//! `None` for everything else, which then goes
//! through hickory (paying for the attempt: `scripts/bench-icount.sh` counts
//! the declined kinds too). Its output is byte-for-byte what the hickory path
//! writes for the same query (`tests/fast_path.rs` and
//! `fuzz/fuzz_targets/answer.rs`).

use chrono::{DateTime, Utc};

use super::Client;
use super::cookie::{self, CookieStatus, OPTION_COOKIE, REPLY_LEN};
use super::wire::{CLASS_IN, HEADER_LEN, MAX_NAME_LEN, TYPE_OPT, u16_at};
use crate::catalog::Catalog;
use crate::loc::LOC_RECORD_TYPE;
use crate::position::{Located, locate_in};
use crate::zone::Zone;

/// A compression pointer to offset 12: the question name.
const POINTER_TO_QUESTION: [u8; 2] = [0xc0, 0x0c];

/// Writes the response to `query` from `client` into `out` and returns what
/// its cookie proved when the query has the one shape this path handles;
/// otherwise leaves `out` empty and returns `None`.
pub fn try_answer(
    query: &[u8],
    client: &Client<'_>,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    out: &mut Vec<u8>,
) -> Option<CookieStatus> {
    out.clear();
    let parsed = parse(query)?;
    let label = object_label(parsed.qname, zone)?;
    let object = catalog.lookup(label)?;
    let Ok(Located { loc: Ok(loc), .. }) = locate_in(zone, object, now) else {
        return None;
    };
    // Cannot fail: `parse` took only the two lengths RFC 7873 allows.
    let cookie = match parsed.cookie {
        None => None,
        Some(data) => Some(
            // Serial arithmetic on 32 bits, as the timestamp field holds it.
            cookie::reply(data, client.secret, client.addr, now.timestamp() as u32).ok()?,
        ),
    };
    let [flags_hi, flags_lo] = [query[2], query[3]];
    let rd = flags_hi & 0x01;
    let cd = flags_lo & 0x10;
    out.extend_from_slice(&query[0..2]); // ID
    out.push(0x80 | 0x04 | rd); // QR, opcode QUERY, AA, RD copied
    out.push(cd); // RA 0, Z 0, AD 0, CD copied, RCODE NOERROR
    out.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, u8::from(parsed.edns.is_some())]);
    out.extend_from_slice(parsed.question); // name as sent, QTYPE, QCLASS
    out.extend_from_slice(&POINTER_TO_QUESTION);
    out.extend_from_slice(&LOC_RECORD_TYPE.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&zone.ttl.to_be_bytes());
    let rdata = loc.encode();
    // 16 bytes of RDATA.
    out.extend_from_slice(&[0, 16]);
    out.extend_from_slice(&rdata);
    if let Some(dnssec_ok) = parsed.edns {
        out.push(0); // root owner
        out.extend_from_slice(&TYPE_OPT.to_be_bytes());
        out.extend_from_slice(&zone.max_udp_payload.to_be_bytes());
        out.extend_from_slice(&[0, 0]); // extended RCODE, version 0
        out.extend_from_slice(&(if dnssec_ok { 0x8000u16 } else { 0 }).to_be_bytes());
        match &cookie {
            None => out.extend_from_slice(&[0, 0]), // no options
            Some((_, option)) => {
                out.extend_from_slice(&(4 + REPLY_LEN as u16).to_be_bytes());
                out.extend_from_slice(&OPTION_COOKIE.to_be_bytes());
                out.extend_from_slice(&(REPLY_LEN as u16).to_be_bytes());
                out.extend_from_slice(option);
            }
        }
    }
    Some(cookie.map_or(CookieStatus::Absent, |(status, _)| status))
}

/// The parts of a query the fast path needs.
struct Parsed<'a> {
    /// The question: name, QTYPE and QCLASS, exactly as received.
    question: &'a [u8],
    /// The question name's wire form.
    qname: &'a [u8],
    /// `Some(DO bit)` when the query carried an OPT record.
    edns: Option<bool>,
    /// The COOKIE option's data, when the OPT record carried one.
    cookie: Option<&'a [u8]>,
}

/// Accepts exactly: header with QR 0, opcode QUERY, one question, no answer or
/// authority records and at most one additional; an uncompressed LOC/IN
/// question; an optional version-0 OPT, empty or holding one COOKIE option of
/// 8 or 24 bytes (a client cookie, alone or with an RFC 9018 server cookie);
/// no trailing bytes.
fn parse(query: &[u8]) -> Option<Parsed<'_>> {
    if query.len() < HEADER_LEN {
        return None;
    }
    let flags_hi = query[2];
    if flags_hi & 0x80 != 0 || (flags_hi >> 3) & 0x0f != 0 {
        return None; // a response, or not QUERY
    }
    let counts = [
        u16_at(query, 4)?,
        u16_at(query, 6)?,
        u16_at(query, 8)?,
        u16_at(query, 10)?,
    ];
    if counts[0] != 1 || counts[1] != 0 || counts[2] != 0 || counts[3] > 1 {
        return None;
    }
    let name_end = name_end(query, HEADER_LEN)?;
    let qtype = u16_at(query, name_end)?;
    let qclass = u16_at(query, name_end + 2)?;
    if qtype != LOC_RECORD_TYPE || qclass != CLASS_IN {
        return None;
    }
    let question_end = name_end + 4;
    let (edns, cookie) = if counts[3] == 1 {
        parse_opt(query.get(question_end..)?)?
    } else {
        (None, None)
    };
    if counts[3] == 0 && question_end != query.len() {
        return None;
    }
    Some(Parsed {
        question: &query[HEADER_LEN..question_end],
        qname: &query[HEADER_LEN..name_end],
        edns,
        cookie,
    })
}

/// `record`, the last bytes of the query, as the OPT record the fast path
/// takes: root owner, type OPT, class = payload size, TTL = extended RCODE,
/// version 0, flags; RDATA empty or one COOKIE option of 8 or 24 bytes.
/// Returns the DO bit and the cookie's data.
#[allow(
    clippy::type_complexity,
    reason = "a pair of plain options, named at the call"
)]
fn parse_opt(record: &[u8]) -> Option<(Option<bool>, Option<&[u8]>)> {
    if *record.first()? != 0 || u16_at(record, 1)? != TYPE_OPT {
        return None;
    }
    let version = *record.get(6)?;
    let flags = u16_at(record, 7)?;
    let rdlength = usize::from(u16_at(record, 9)?);
    let rdata = record.get(11..)?;
    if version != 0 || rdata.len() != rdlength {
        return None;
    }
    let cookie = match rdlength {
        0 => None,
        12 | 28 => {
            let len = usize::from(u16_at(rdata, 2)?);
            if u16_at(rdata, 0)? != OPTION_COOKIE || len + 4 != rdlength {
                return None;
            }
            Some(&rdata[4..])
        }
        _ => return None,
    };
    Some((Some(flags & 0x8000 != 0), cookie))
}

/// The offset just past an uncompressed name starting at `start`, or `None`
/// for pointers, bad label types, or names longer than 255 bytes.
fn name_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    loop {
        let len = usize::from(*bytes.get(at)?);
        if len == 0 {
            at += 1;
            break;
        }
        if len > 63 {
            return None;
        }
        at += 1 + len;
        if at - start > MAX_NAME_LEN {
            return None;
        }
    }
    // In bounds, as the root byte was read; counting it may take the name past 255.
    (at - start <= MAX_NAME_LEN).then_some(at)
}

/// For `<label>.<apex>`, the label's bytes; `None` for any other name.
fn object_label<'a>(qname: &'a [u8], zone: &Zone) -> Option<&'a [u8]> {
    let first_len = usize::from(*qname.first()?);
    let label = qname.get(1..1 + first_len)?;
    let mut rest = qname.get(1 + first_len..)?;
    for apex_label in zone.apex.iter() {
        let len = usize::from(*rest.first()?);
        let candidate = rest.get(1..1 + len)?;
        if !candidate.eq_ignore_ascii_case(apex_label) {
            return None;
        }
        rest = &rest[1 + len..];
    }
    (rest == [0]).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_walked_and_bounded() {
        assert_eq!(name_end(&[3, b'i', b's', b's', 0], 0), Some(5));
        assert_eq!(name_end(&[0xc0, 12], 0), None, "pointers go the long way");
        assert_eq!(name_end(&[64], 0), None);
        assert_eq!(name_end(&[3, b'a'], 0), None, "cut short");
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.push(0);
        assert_eq!(name_end(&long, 0), None, "over 255 bytes");
    }

    #[test]
    fn only_label_dot_apex_is_an_object_name() {
        let zone = Zone::new("sat.example.").unwrap();
        let name = |text: &str| {
            let mut wire = Vec::new();
            for label in text.split('.').filter(|l| !l.is_empty()) {
                wire.push(label.len() as u8);
                wire.extend_from_slice(label.as_bytes());
            }
            wire.push(0);
            wire
        };
        assert_eq!(
            object_label(&name("ISS.Sat.EXAMPLE."), &zone),
            Some(&b"ISS"[..])
        );
        assert_eq!(object_label(&name("sat.example."), &zone), None);
        assert_eq!(object_label(&name("a.iss.sat.example."), &zone), None);
        assert_eq!(object_label(&name("iss.sat.example.com."), &zone), None);
        assert_eq!(object_label(&name("iss.other.example."), &zone), None);
    }
}
