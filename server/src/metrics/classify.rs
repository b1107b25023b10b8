//! What a query asked and how it was answered, read from the wire bytes the
//! service already has, for the metrics' `type` and `rcode` labels.
//!
//! Both are read without parsing the messages: the question type sits right
//! after the first name, and the response code in the header. Only a response
//! with an empty answer section and additional records is walked to its OPT
//! record, because the extended RCODE (RFC 6891: BADVERS; RFC 7873:
//! BADCOOKIE) comes only with such responses -- so a LOC answer never pays for
//! the walk. Labels come from fixed tables, indexed, so counting never looks a
//! label up.

use crate::answer::wire::{HEADER_LEN, TYPE_OPT, skip_name, skip_record, u16_at};
use crate::loc::LOC_RECORD_TYPE;

/// The query types counted by name, as CoreDNS's metrics name them, plus LOC;
/// every other type counts as `other` (the last index).
pub const QUERY_TYPES: [(u16, &str); 19] = [
    (1, "A"),
    (28, "AAAA"),
    (5, "CNAME"),
    (48, "DNSKEY"),
    (43, "DS"),
    (65, "HTTPS"),
    (15, "MX"),
    (2, "NS"),
    (47, "NSEC"),
    (50, "NSEC3"),
    (12, "PTR"),
    (46, "RRSIG"),
    (6, "SOA"),
    (33, "SRV"),
    (16, "TXT"),
    (LOC_RECORD_TYPE, "LOC"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
];
/// How many `type` label values there are: [`QUERY_TYPES`] and `other`.
pub const TYPE_LABELS: usize = QUERY_TYPES.len() + 1;

/// The response codes counted by name; every other code counts as `other`.
pub const RCODES: [(u16, &str); 13] = [
    (0, "NOERROR"),
    (1, "FORMERR"),
    (2, "SERVFAIL"),
    (3, "NXDOMAIN"),
    (4, "NOTIMP"),
    (5, "REFUSED"),
    (6, "YXDOMAIN"),
    (7, "YXRRSET"),
    (8, "NXRRSET"),
    (9, "NOTAUTH"),
    (10, "NOTZONE"),
    (16, "BADVERS"),
    (23, "BADCOOKIE"),
];
/// How many `rcode` label values there are: [`RCODES`] and `other`.
pub const RCODE_LABELS: usize = RCODES.len() + 1;

/// The label for a `type` index.
pub fn type_label(index: usize) -> &'static str {
    QUERY_TYPES.get(index).map_or("other", |(_, name)| name)
}

/// The label for an `rcode` index.
pub fn rcode_label(index: usize) -> &'static str {
    RCODES.get(index).map_or("other", |(_, name)| name)
}

/// The `type` index of `query`'s first question; `other` when there is none
/// or it cannot be read.
#[inline]
pub fn query_type_index(query: &[u8]) -> usize {
    let qtype = question_type(query).unwrap_or(0);
    // A match compiles to a jump table; the table above is for the labels.
    match qtype {
        1 => 0,
        28 => 1,
        5 => 2,
        48 => 3,
        43 => 4,
        65 => 5,
        15 => 6,
        2 => 7,
        47 => 8,
        50 => 9,
        12 => 10,
        46 => 11,
        6 => 12,
        33 => 13,
        16 => 14,
        LOC_RECORD_TYPE => 15,
        251 => 16,
        252 => 17,
        255 => 18,
        _ => QUERY_TYPES.len(),
    }
}

/// The `rcode` index of `response`.
#[inline]
pub fn rcode_index(response: &[u8]) -> usize {
    match response_code(response) {
        code @ 0..=10 => usize::from(code),
        16 => 11,
        23 => 12,
        _ => RCODES.len(),
    }
}

/// The type of the first question, if the query has one that can be read.
pub fn question_type(query: &[u8]) -> Option<u16> {
    if u16_at(query, 4)? == 0 {
        return None;
    }
    let end = skip_name(query, HEADER_LEN)?;
    u16_at(query, end)
}

/// The full response code: the header's four bits, and the OPT record's
/// upper eight when the answer section is empty (see the module comment).
pub fn response_code(response: &[u8]) -> u16 {
    let Some(&flags) = response.get(3) else {
        return 0;
    };
    let low = u16::from(flags & 0x0f);
    let (Some(answers), Some(additionals)) = (u16_at(response, 6), u16_at(response, 10)) else {
        return low;
    };
    if answers != 0 || additionals == 0 {
        return low;
    }
    match extended_rcode(response) {
        Some(high) => (u16::from(high) << 4) | low,
        None => low,
    }
}

/// The OPT record's extended-RCODE byte, found by walking past the question,
/// the (empty) answer section and the authority section.
fn extended_rcode(response: &[u8]) -> Option<u8> {
    let questions = u16_at(response, 4)?;
    let authorities = u16_at(response, 8)?;
    let additionals = u16_at(response, 10)?;
    let mut at = HEADER_LEN;
    for _ in 0..questions {
        at = skip_name(response, at)? + 4;
    }
    for _ in 0..authorities {
        at = skip_record(response, at)?;
    }
    for _ in 0..additionals {
        let name_end = skip_name(response, at)?;
        if u16_at(response, name_end)? == TYPE_OPT {
            // TYPE, CLASS (payload size), then TTL: extended RCODE first.
            return response.get(name_end + 4).copied();
        }
        at = skip_record(response, at)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
    use hickory_proto::rr::rdata::SOA;
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    use super::*;
    use crate::loc::LOC;
    use crate::testing::TestQuery;

    #[test]
    fn the_question_type_is_read_from_the_query() {
        for (rtype, label) in [
            (LOC, "LOC"),
            (RecordType::TXT, "TXT"),
            (RecordType::AAAA, "AAAA"),
            (RecordType::AXFR, "AXFR"),
            (RecordType::ANY, "ANY"),
            (RecordType::NAPTR, "other"),
        ] {
            for edns in [false, true] {
                let query = TestQuery::new("iss.sat.example.", rtype);
                let query = if edns { query.edns(1232) } else { query };
                let index = query_type_index(&query.to_bytes());
                assert_eq!(type_label(index), label, "{rtype} edns {edns}");
            }
        }
        let loc = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        assert_eq!(
            type_label(query_type_index(&loc[..5])),
            "other",
            "cut short"
        );
        let mut no_question = loc[..HEADER_LEN].to_vec();
        no_question[5] = 0;
        assert_eq!(type_label(query_type_index(&no_question)), "other");
    }

    fn response(code: ResponseCode, edns: bool, answer: bool, authority: bool) -> Vec<u8> {
        let mut message = Message::new(7, MessageType::Response, OpCode::Query);
        message.metadata.response_code = code;
        let name = Name::from_ascii("iss.sat.example.").unwrap();
        message.add_query(hickory_proto::op::Query::query(name.clone(), LOC));
        let soa = || {
            let soa = SOA::new(name.clone(), name.clone(), 1, 2, 3, 4, 5);
            Record::from_rdata(name.clone(), 5, RData::SOA(soa))
        };
        if answer {
            message.add_answer(soa());
        }
        if authority {
            message.add_authority(soa());
        }
        if edns {
            message.set_edns(Edns::new());
        }
        message.to_vec().unwrap()
    }

    #[test]
    fn the_response_code_includes_the_extended_bits() {
        for (code, expected) in [
            (ResponseCode::NoError, "NOERROR"),
            (ResponseCode::NXDomain, "NXDOMAIN"),
            (ResponseCode::Refused, "REFUSED"),
            (ResponseCode::FormErr, "FORMERR"),
            (ResponseCode::BADVERS, "BADVERS"),
            (ResponseCode::BADCOOKIE, "BADCOOKIE"),
            (ResponseCode::Unknown(42), "other"),
        ] {
            for edns in [false, true] {
                for authority in [false, true] {
                    // Extended codes need the OPT record that carries them.
                    if u16::from(code) > 15 && !edns {
                        continue;
                    }
                    let bytes = response(code, edns, false, authority);
                    let label = rcode_label(rcode_index(&bytes));
                    assert_eq!(
                        label, expected,
                        "{code:?} edns {edns} authority {authority}"
                    );
                }
            }
        }
        let answered = response(ResponseCode::NoError, true, true, true);
        assert_eq!(rcode_label(rcode_index(&answered)), "NOERROR");
        assert_eq!(rcode_label(rcode_index(&[0, 7, 0x81, 0x83])), "NXDOMAIN");
    }

    #[test]
    fn every_counted_type_and_code_has_its_own_index() {
        for (index, (code, name)) in QUERY_TYPES.iter().enumerate() {
            let query = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
                .into_iter()
                .chain(code.to_be_bytes())
                .collect::<Vec<u8>>();
            assert_eq!(query_type_index(&query), index, "{name}");
        }
        for (index, (code, name)) in RCODES.iter().enumerate() {
            let low = u8::try_from(code & 0x0f).unwrap();
            let high = u8::try_from(code >> 4).unwrap();
            // Header with one additional record: a bare OPT.
            let mut bytes = vec![0, 0, 0x80, low, 0, 0, 0, 0, 0, 0, 0, 1];
            bytes.extend_from_slice(&[0, 0, 41, 4, 0xd0, high, 0, 0, 0, 0, 0]);
            assert_eq!(rcode_index(&bytes), index, "{name}");
        }
    }
}
