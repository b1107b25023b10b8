//! The reference answer path: every query parsed and every response built with
//! hickory-proto. It handles every kind of query; the fast path must write
//! exactly what this path writes for the queries it takes.

use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use hickory_proto::op::{
    Edns, Header, Message, MessageType, Metadata, OpCode, Query, ResponseCode,
};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::rdata::{A, AAAA, NS, NULL, SOA, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};

use super::cookie::{self, CookieStatus, OPTION_COOKIE};
use super::wire::{CLASSIC_UDP_PAYLOAD, HEADER_LEN};
use super::{Answered, Client};
use crate::catalog::{Catalog, SatObject};
use crate::engine::{Outcome, Protocol};
use crate::ephemeris::EphemerisError;
use crate::loc::LOC;
use crate::position::{Located, locate};
use crate::zone::Zone;

/// Answers one query from `client` entirely through hickory-proto. `out` is
/// cleared and receives the response when the outcome is
/// [`Outcome::Respond`].
pub fn answer(
    query: &[u8],
    protocol: Protocol,
    client: &Client<'_>,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    out: &mut Vec<u8>,
) -> Answered {
    out.clear();
    let dropped = Answered {
        outcome: Outcome::Drop,
        cookie: CookieStatus::Absent,
    };
    if query.len() < HEADER_LEN {
        return dropped;
    }
    let Ok(header) = Header::read(&mut BinDecoder::new(query)) else {
        return dropped;
    };
    if header.metadata.message_type == MessageType::Response {
        return dropped;
    }
    let request = match Message::from_vec(query) {
        Ok(request) => request,
        Err(_) => {
            return Answered {
                outcome: encode(
                    &error_response(&header.metadata, ResponseCode::FormErr),
                    protocol,
                    None,
                    zone,
                    out,
                ),
                cookie: CookieStatus::Absent,
            };
        }
    };
    let (response, cookie) = respond(&request, client, zone, catalog, now);
    Answered {
        outcome: encode(&response, protocol, request.edns.as_ref(), zone, out),
        cookie,
    }
}

/// A response with no question, for queries that could not be parsed.
fn error_response(request: &Metadata, code: ResponseCode) -> Message {
    let mut response = Message::new(request.id, MessageType::Response, request.op_code);
    response.metadata = Metadata::response_from_request(request);
    response.metadata.response_code = code;
    response
}

/// The response to a parsed `request`, and what its cookie proved.
fn respond(
    request: &Message,
    client: &Client<'_>,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> (Message, CookieStatus) {
    let mut response = Message::new(
        request.metadata.id,
        MessageType::Response,
        request.metadata.op_code,
    );
    response.metadata = Metadata::response_from_request(&request.metadata);
    response.queries.clone_from(&request.queries);
    let mut cookie = CookieStatus::Absent;
    if let Some(edns) = &request.edns {
        let mut reply = Edns::new();
        reply.set_max_payload(zone.max_udp_payload);
        reply.set_dnssec_ok(edns.flags().dnssec_ok);
        // Options of an EDNS version we do not speak mean nothing to us.
        if edns.version() > 0 {
            response.set_edns(reply);
            response.metadata.response_code = ResponseCode::BADVERS;
            return (response, cookie);
        }
        cookie = reply_cookie(edns, client, now, &mut reply);
        response.set_edns(reply);
        if cookie == CookieStatus::Malformed {
            response.metadata.response_code = ResponseCode::FormErr;
            return (response, cookie);
        }
    }
    respond_to_query(request, zone, catalog, now, &mut response);
    (response, cookie)
}

/// RFC 7873 §5.2: checks the request's COOKIE option and, for a well-formed
/// one, puts the client cookie and a fresh server cookie in `reply`.
fn reply_cookie(
    request: &Edns,
    client: &Client<'_>,
    now: DateTime<Utc>,
    reply: &mut Edns,
) -> CookieStatus {
    let options = request.options().get_all(EdnsCode::Cookie);
    let data = match options.as_slice() {
        [] => return CookieStatus::Absent,
        [EdnsOption::Unknown(OPTION_COOKIE, data)] => data,
        // Two COOKIE options, or one hickory-proto read as something else.
        _ => return CookieStatus::Malformed,
    };
    // Serial arithmetic on 32 bits, as the timestamp field holds it.
    match cookie::reply(data, client.secret, client.addr, now.timestamp() as u32) {
        Ok((status, option)) => {
            reply
                .options_mut()
                .insert(EdnsOption::Unknown(OPTION_COOKIE, option.to_vec()));
            status
        }
        Err(cookie::Malformed) => CookieStatus::Malformed,
    }
}

/// Fills in `response` for a request whose EDNS (if any) was in order.
fn respond_to_query(
    request: &Message,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    response: &mut Message,
) {
    if request.metadata.op_code != OpCode::Query {
        response.metadata.response_code = ResponseCode::NotImp;
        return;
    }
    let [query] = request.queries.as_slice() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return;
    };
    if !matches!(query.query_class(), DNSClass::IN | DNSClass::ANY) {
        response.metadata.response_code = ResponseCode::Refused;
        return;
    }
    let qname = query.name();
    // Zone transfers are not offered: refusing says so at once, where an empty
    // answer leaves transfer clients waiting or reporting a broken transfer.
    if !zone.apex.zone_of(qname)
        || matches!(query.query_type(), RecordType::AXFR | RecordType::IXFR)
    {
        response.metadata.response_code = ResponseCode::Refused;
        return;
    }
    response.metadata.authoritative = true;
    answer_in_zone(query, zone, catalog, now, response);
}

/// The authoritative answer for a name inside the zone: the apex's records,
/// an object's LOC/TXT, a name server's addresses, NODATA or NXDOMAIN.
fn answer_in_zone(
    query: &Query,
    zone: &Zone,
    catalog: &Catalog,
    now: DateTime<Utc>,
    response: &mut Message,
) {
    let qname = query.name();
    let depth = usize::from(qname.num_labels()) - usize::from(zone.apex.num_labels());
    let object = match depth {
        0 => return answer_apex(query, zone, catalog, now, response),
        1 => qname.iter().next().and_then(|label| catalog.lookup(label)),
        _ => None,
    };
    let addresses = zone.addresses_of(qname);
    if object.is_none() && addresses.is_none() && !zone.is_above_a_host(qname) {
        response.metadata.response_code = ResponseCode::NXDomain;
        response.add_authority(soa_record(zone, catalog));
        return;
    }
    if let Some(object) = object {
        answer_object(query, object, zone, now, response);
    }
    if let Some(addresses) = addresses {
        for record in address_records(qname, addresses, query.query_type(), zone.ttl) {
            response.add_answer(record);
        }
    }
    if response.answers.is_empty() {
        response.add_authority(soa_record(zone, catalog));
    }
}

/// The A and AAAA records of a name server host that `qtype` asks for.
fn address_records(
    host: &Name,
    addresses: &[IpAddr],
    qtype: RecordType,
    ttl: u32,
) -> impl Iterator<Item = Record> {
    addresses.iter().filter_map(move |address| {
        let rdata = match (address, qtype) {
            (IpAddr::V4(v4), RecordType::A | RecordType::ANY) => RData::A(A(*v4)),
            (IpAddr::V6(v6), RecordType::AAAA | RecordType::ANY) => RData::AAAA(AAAA(*v6)),
            _ => return None,
        };
        Some(Record::from_rdata(host.clone(), ttl, rdata))
    })
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
            // Glue: the addresses of in-zone name servers travel with the NS set.
            if let Some(addresses) = zone.addresses_of(ns) {
                for record in address_records(ns, addresses, RecordType::ANY, zone.ttl) {
                    response.add_additional(record);
                }
            }
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
    let wants_loc = matches!(qtype, RecordType::ANY) || qtype == LOC;
    let wants_txt = matches!(qtype, RecordType::TXT | RecordType::ANY);
    if !(wants_loc || wants_txt) {
        return;
    }
    // The owner name is the question's, so a 0x20 mixed-case query sees its own
    // spelling in the answer too.
    let owner = query.name().clone();
    let position = locate(object, &zone.precision, now);
    if let (true, Ok(Located { loc: Ok(loc), .. })) = (wants_loc, &position) {
        let rdata = RData::Unknown {
            code: LOC,
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
    protocol: Protocol,
    request_edns: Option<&Edns>,
    zone: &Zone,
    out: &mut Vec<u8>,
) -> Outcome {
    let limit = match protocol {
        Protocol::Tcp => usize::from(u16::MAX),
        Protocol::Udp => usize::from(match request_edns {
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
