//! The slip reply: a limited response cut down to its header and question
//! with TC set, so a real resolver retries over TCP (which is not limited)
//! while a spoofed victim receives nothing larger than the query it never
//! sent.
//!
//! The header keeps its ID, response code and AA bit (Knot's test checks AA),
//! and the OPT record is kept when there is one: RFC 6891 requires it in a
//! response to an EDNS query, and its COOKIE option hands a resolver the
//! server cookie that exempts its next queries from the limit.

use crate::answer::wire::{HEADER_LEN, TYPE_OPT, skip_name, skip_record, u16_at};

/// Rewrites `response` (a response this server built) in place as a slip
/// reply.
pub fn truncate(response: &mut Vec<u8>) {
    let kept = walk(response);
    let (question_end, opt) = kept.unwrap_or((HEADER_LEN.min(response.len()), None));
    if response.len() < HEADER_LEN {
        return;
    }
    let questions = if kept.is_some() {
        u16_at(response, 4).unwrap_or(0)
    } else {
        0
    };
    if let Some((start, end)) = opt {
        response.copy_within(start..end, question_end);
        response.truncate(question_end + end - start);
    } else {
        response.truncate(question_end);
    }
    response[2] |= 0x02; // TC
    response[4..6].copy_from_slice(&questions.to_be_bytes());
    response[6..10].fill(0); // no answer, no authority
    let additionals = u16::from(opt.is_some());
    response[10..12].copy_from_slice(&additionals.to_be_bytes());
}

/// The end of the question section, and where the OPT record lies.
#[allow(
    clippy::type_complexity,
    reason = "two offsets and an optional range, named at the call"
)]
fn walk(response: &[u8]) -> Option<(usize, Option<(usize, usize)>)> {
    let questions = u16_at(response, 4)?;
    let answers = u16_at(response, 6)?;
    let authorities = u16_at(response, 8)?;
    let additionals = u16_at(response, 10)?;
    let mut at = HEADER_LEN;
    for _ in 0..questions {
        at = skip_name(response, at)? + 4;
    }
    let question_end = at;
    for _ in 0..usize::from(answers) + usize::from(authorities) {
        at = skip_record(response, at)?;
    }
    for _ in 0..additionals {
        let end = skip_record(response, at)?;
        if end > response.len() {
            return None;
        }
        if u16_at(response, skip_name(response, at)?)? == TYPE_OPT {
            return Some((question_end, Some((at, end))));
        }
        at = end;
    }
    (question_end <= response.len()).then_some((question_end, None))
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
    use hickory_proto::rr::rdata::opt::EdnsOption;
    use hickory_proto::rr::rdata::{A, NS};
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    use super::*;

    fn response(edns: bool) -> Message {
        let apex = Name::from_ascii("sat.example.").unwrap();
        let ns = Name::from_ascii("ns1.sat.example.").unwrap();
        let mut message = Message::new(0x4242, MessageType::Response, OpCode::Query);
        message.metadata.authoritative = true;
        message.metadata.recursion_desired = true;
        message.add_query(Query::query(apex.clone(), RecordType::NS));
        message.add_answer(Record::from_rdata(apex, 5, RData::NS(NS(ns.clone()))));
        message.add_additional(Record::from_rdata(ns, 5, RData::A(A::new(192, 0, 2, 1))));
        if edns {
            let mut opt = Edns::new();
            opt.set_max_payload(1232);
            opt.options_mut()
                .insert(EdnsOption::Unknown(10, vec![1; 24]));
            message.set_edns(opt);
        }
        message
    }

    #[test]
    fn a_slip_keeps_id_question_aa_and_opt_and_sets_tc() {
        for edns in [false, true] {
            let original = response(edns);
            let mut bytes = original.to_vec().unwrap();
            truncate(&mut bytes);
            let slipped = Message::from_vec(&bytes).unwrap();
            assert_eq!(slipped.metadata.id, 0x4242);
            assert!(slipped.metadata.truncation, "TC");
            assert!(slipped.metadata.authoritative, "AA kept");
            assert!(slipped.metadata.recursion_desired);
            assert_eq!(slipped.metadata.response_code, ResponseCode::NoError);
            assert_eq!(slipped.queries, original.queries);
            assert!(slipped.answers.is_empty() && slipped.authorities.is_empty());
            assert!(slipped.additionals.is_empty(), "glue dropped");
            assert_eq!(slipped.edns, original.edns, "OPT and its cookie kept");
        }
    }

    #[test]
    fn a_response_that_cannot_be_walked_keeps_only_its_header() {
        let mut bytes = response(true).to_vec().unwrap();
        bytes.truncate(40);
        truncate(&mut bytes);
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(&bytes[4..12], &[0; 8]);
        assert_eq!(bytes[2] & 0x02, 0x02);
        let mut tiny = vec![1, 2, 3];
        truncate(&mut tiny);
        assert_eq!(tiny, [1, 2, 3], "not a response: left alone");
    }
}
