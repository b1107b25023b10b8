//! The answer core: query bytes, catalogue and instant in; response bytes out.
//!
//! This is a pure function. It opens no sockets and reads no clock, so it can be
//! tested, benchmarked and fuzzed on its own, and every transport shares it.
//! DNS failures are response codes, never `Err`: a malformed query gets FORMERR,
//! an unknown name NXDOMAIN, a foreign zone REFUSED, a non-QUERY opcode NOTIMP.
//! Only input that must not be answered at all (shorter than a header, or
//! already a response) yields [`Outcome::Drop`].
//!
//! Two paths produce the bytes. [`answer_with_hickory`] parses and builds every
//! message with hickory-proto and handles everything. [`fast`] handles the one
//! shape that dominates real load -- a plain LOC question for an object, with or
//! without EDNS -- by reading and writing the wire format directly, with no
//! allocation. [`answer`] tries the fast path first. The two are held equal
//! byte for byte by `tests/fast_path.rs` and the fuzz target.

pub mod fast;

use chrono::{DateTime, SecondsFormat, Utc};
use hickory_proto::op::{
    Edns, Header, Message, MessageType, Metadata, OpCode, Query, ResponseCode,
};
use hickory_proto::rr::rdata::{NS, NULL, SOA, TXT};
use hickory_proto::rr::{DNSClass, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};

use crate::catalog::{Catalog, SatObject};
use crate::ephemeris::GeodeticFix;
use crate::loc::{LOC_RECORD_TYPE, LocRdata};
use crate::zone::Zone;

/// The transport a query arrived on: it decides how large a response may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: 512 bytes, or the EDNS payload size (capped by the zone's maximum).
    Udp,
    /// TCP: up to 65535 bytes.
    Tcp,
}

/// What the transport should do with the output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Send the bytes written to the output buffer.
    Respond,
    /// Send nothing (not a query, or too short to answer).
    Drop,
}

const DNS_HEADER_LEN: usize = 12;
const CLASSIC_UDP_PAYLOAD: u16 = 512;

/// Answers one query. `out` is cleared and receives the response when the
/// outcome is [`Outcome::Respond`]; callers reuse it across queries.
pub fn answer(
    query: &[u8],
    transport: Transport,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    out: &mut Vec<u8>,
) -> Outcome {
    if fast::try_answer(query, zone, catalog, now, out) {
        return Outcome::Respond;
    }
    answer_with_hickory(query, transport, zone, catalog, now, out)
}

/// Answers one query entirely through hickory-proto: the reference path, which
/// handles every kind of query.
pub fn answer_with_hickory(
    query: &[u8],
    transport: Transport,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    out: &mut Vec<u8>,
) -> Outcome {
    out.clear();
    if query.len() < DNS_HEADER_LEN {
        return Outcome::Drop;
    }
    let Ok(header) = Header::read(&mut BinDecoder::new(query)) else {
        return Outcome::Drop;
    };
    if header.metadata.message_type == MessageType::Response {
        return Outcome::Drop;
    }
    let request = match Message::from_vec(query) {
        Ok(request) => request,
        Err(_) => {
            return encode(
                &error_response(&header.metadata, ResponseCode::FormErr),
                transport,
                None,
                zone,
                out,
            );
        }
    };
    let response = respond(&request, zone, catalog, now);
    encode(&response, transport, request.edns.as_ref(), zone, out)
}

/// A response with no question, for queries that could not be parsed.
fn error_response(request: &Metadata, code: ResponseCode) -> Message {
    let mut response = Message::new(request.id, MessageType::Response, request.op_code);
    response.metadata = Metadata::response_from_request(request);
    response.metadata.response_code = code;
    response
}

fn respond(request: &Message, zone: &Zone, catalog: &Catalog, now: DateTime<Utc>) -> Message {
    let mut response = Message::new(
        request.metadata.id,
        MessageType::Response,
        request.metadata.op_code,
    );
    response.metadata = Metadata::response_from_request(&request.metadata);
    response.queries.clone_from(&request.queries);
    if let Some(edns) = &request.edns {
        let mut reply = Edns::new();
        reply.set_max_payload(zone.max_udp_payload);
        reply.set_dnssec_ok(edns.flags().dnssec_ok);
        response.set_edns(reply);
        if edns.version() > 0 {
            response.metadata.response_code = ResponseCode::BADVERS;
            return response;
        }
    }
    if request.metadata.op_code != OpCode::Query {
        response.metadata.response_code = ResponseCode::NotImp;
        return response;
    }
    let [query] = request.queries.as_slice() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return response;
    };
    if !matches!(query.query_class(), DNSClass::IN | DNSClass::ANY) {
        response.metadata.response_code = ResponseCode::Refused;
        return response;
    }
    let qname = query.name();
    if !zone.apex.zone_of(qname) {
        response.metadata.response_code = ResponseCode::Refused;
        return response;
    }
    response.metadata.authoritative = true;
    let depth = usize::from(qname.num_labels()) - usize::from(zone.apex.num_labels());
    let object = match depth {
        0 => {
            answer_apex(query, zone, catalog, now, &mut response);
            return response;
        }
        1 => qname.iter().next().and_then(|label| catalog.lookup(label)),
        _ => None,
    };
    match object {
        None => {
            response.metadata.response_code = ResponseCode::NXDomain;
            response.add_authority(soa_record(zone, catalog));
        }
        Some(object) => {
            answer_object(query, object, zone, now, &mut response);
            if response.answers.is_empty() {
                response.add_authority(soa_record(zone, catalog));
            }
        }
    }
    response
}

fn answer_apex(
    query: &Query,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    response: &mut Message,
) {
    let qtype = query.query_type();
    if matches!(qtype, RecordType::SOA | RecordType::ANY) {
        response.add_answer(soa_record(zone, catalog));
    }
    if matches!(qtype, RecordType::NS | RecordType::ANY) {
        for ns in &zone.nameservers {
            response.add_answer(Record::from_rdata(
                zone.apex.clone(),
                zone.ttl,
                RData::NS(NS(ns.clone())),
            ));
        }
    }
    if let Some(object) = catalog.apex() {
        answer_object(query, object, zone, now, response);
    }
    if response.answers.is_empty() {
        response.add_authority(soa_record(zone, catalog));
    }
}

/// Adds the object's LOC and/or TXT for the query type. Anything else leaves the
/// answer empty, which the caller turns into NODATA.
fn answer_object(
    query: &Query,
    object: &SatObject,
    zone: &Zone,
    now: DateTime<Utc>,
    response: &mut Message,
) {
    let qtype = query.query_type();
    let wants_loc =
        matches!(qtype, RecordType::ANY) || qtype == RecordType::Unknown(LOC_RECORD_TYPE);
    let wants_txt = matches!(qtype, RecordType::TXT | RecordType::ANY);
    if !(wants_loc || wants_txt) {
        return;
    }
    // The owner name is the question's, so a 0x20 mixed-case query sees its own
    // spelling in the answer too.
    let owner = query.name().clone();
    let position = locate(object, zone, now);
    if let (true, Ok(loc)) = (wants_loc, &position.loc) {
        let rdata = RData::Unknown {
            code: RecordType::Unknown(LOC_RECORD_TYPE),
            rdata: NULL::with(loc.encode().to_vec()),
        };
        response.add_answer(Record::from_rdata(owner.clone(), zone.ttl, rdata));
    }
    if wants_txt {
        let text = summary(object, now, &position);
        response.add_answer(Record::from_rdata(
            owner,
            zone.ttl,
            RData::TXT(TXT::new(vec![text])),
        ));
    }
}

/// An object's position at an instant, and its LOC form or why there is none.
#[derive(Debug, Clone)]
pub struct Located {
    /// The geodetic fix, or why propagation failed.
    pub fix: Result<GeodeticFix, String>,
    /// The LOC RDATA, or why the object has none now.
    pub loc: Result<LocRdata, String>,
}

/// Propagates an object to `now` and encodes its LOC record.
pub fn locate(object: &SatObject, zone: &Zone, now: DateTime<Utc>) -> Located {
    let fix = object.propagator.fix_at(now).map_err(|e| e.to_string());
    let loc = match &fix {
        Err(reason) => Err(reason.clone()),
        Ok(fix) => {
            let (size, horiz, vert) = zone.precision.for_age(now - object.epoch);
            LocRdata::from_position(fix.lat_deg, fix.lon_deg, fix.alt_m, size, horiz, vert)
                .map_err(|e| e.to_string())
        }
    };
    Located { fix, loc }
}

/// The TXT summary: one line a person can read.
fn summary(object: &SatObject, now: DateTime<Utc>, position: &Located) -> String {
    let age_days = (now - object.epoch).num_seconds() as f64 / 86_400.0;
    let mut text = format!(
        "{} (NORAD {}) elements {} age {:.2} d",
        object.name,
        object.norad_id,
        object.epoch.to_rfc3339_opts(SecondsFormat::Secs, true),
        age_days
    );
    match &position.fix {
        Ok(fix) => text.push_str(&format!(
            ": lat {:.6} lon {:.6} alt {:.3} km speed {:.3} km/s",
            fix.lat_deg,
            fix.lon_deg,
            fix.alt_m / 1000.0,
            fix.speed_km_s
        )),
        Err(reason) => text.push_str(&format!(": no position: {reason}")),
    }
    if let (Ok(_), Err(reason)) = (&position.fix, &position.loc) {
        text.push_str(&format!("; no LOC: {reason}"));
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

fn soa_record(zone: &Zone, catalog: &Catalog) -> Record {
    let soa = SOA::new(
        zone.mname.clone(),
        zone.rname.clone(),
        catalog.serial(),
        zone.timers.refresh,
        zone.timers.retry,
        zone.timers.expire,
        zone.ttl,
    );
    Record::from_rdata(zone.apex.clone(), zone.ttl, RData::SOA(soa))
}

/// Serialises `response` into `out`, replacing it with a truncated (TC) response
/// when it does not fit the transport's limit.
fn encode(
    response: &Message,
    transport: Transport,
    request_edns: Option<&Edns>,
    zone: &Zone,
    out: &mut Vec<u8>,
) -> Outcome {
    let limit = match transport {
        Transport::Tcp => usize::from(u16::MAX),
        Transport::Udp => usize::from(match request_edns {
            Some(edns) => edns.max_payload().clamp(
                CLASSIC_UDP_PAYLOAD,
                zone.max_udp_payload.max(CLASSIC_UDP_PAYLOAD),
            ),
            None => CLASSIC_UDP_PAYLOAD,
        }),
    };
    out.clear();
    let fits = emit(response, out).is_ok() && out.len() <= limit;
    if fits {
        return Outcome::Respond;
    }
    // Keep the question and OPT, drop the records, set TC: the client retries
    // over TCP (RFC 7766).
    let mut truncated = response.truncate();
    truncated.answers.clear();
    truncated.authorities.clear();
    truncated.additionals.clear();
    out.clear();
    if emit(&truncated, out).is_ok() && out.len() <= limit {
        return Outcome::Respond;
    }
    // Even the question does not fit (a 255-byte name in a tiny payload):
    // answer with the bare header.
    truncated.queries.clear();
    out.clear();
    match emit(&truncated, out) {
        Ok(()) => Outcome::Respond,
        Err(_) => Outcome::Drop,
    }
}

fn emit(message: &Message, out: &mut Vec<u8>) -> Result<(), hickory_proto::ProtoError> {
    let mut encoder = BinEncoder::new(out);
    message.emit(&mut encoder)
}
