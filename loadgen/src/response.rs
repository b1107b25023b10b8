//! Deciding what a response is: an answer to the query it claims to answer
//! (with its RCODE and TC bit), a response to some other question, or bytes
//! that are not a DNS message at all.
//!
//! The reference is hickory-proto's complete parser ([`check_full`]). It
//! allocates every record and costs about 1.1 µs for the 95-byte LOC answer
//! NSD sends, a fifth of a core at NSD's 200k qps. [`check_fast`] reads the
//! same message without allocating in about 80 ns (both measured here with a
//! release-build loop calling [`check`] 2M times on a captured NSD response)
//! but only vouches for what it can check exactly as hickory does: the
//! header, the echoed question, and records of the common types (A, AAAA,
//! NS, CNAME, PTR, SOA, LOC, an empty OPT). For anything else it answers "not
//! sure" and the full parser decides, so the two always agree; the test
//! `fast_path_agrees_with_hickory_on_every_mutation` checks that over
//! thousands of truncated and corrupted responses.

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::serialize::binary::BinEncodable;

use crate::query::{HEADER_LEN, TYPE_LOC};

/// Record types the fast path validates itself.
const TYPE_A: u16 = 1;
const TYPE_NS: u16 = 2;
const TYPE_CNAME: u16 = 5;
const TYPE_SOA: u16 = 6;
const TYPE_PTR: u16 = 12;
const TYPE_AAAA: u16 = 28;
const TYPE_OPT: u16 = 41;

/// What a response with the ID of an outstanding query turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A well-formed response to exactly the question asked.
    Answer {
        /// The full RCODE, including EDNS extended bits.
        rcode: u16,
        /// The TC bit: the server had more to say than fitted.
        truncated: bool,
    },
    /// A well-formed message, but not a response to that question (other
    /// name, type or class, case not echoed under `--random-case`, not a
    /// response, or another opcode).
    Mismatch,
    /// Not a DNS message hickory-proto can read.
    Malformed,
}

/// How thoroughly responses are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckMode {
    /// Zero-allocation checks, falling back to hickory-proto when unsure.
    #[default]
    Fast,
    /// hickory-proto's complete parser on every response.
    Full,
}

/// The question a response must echo, as sent.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedQuestion<'a> {
    /// Wire-format question section: name, QTYPE, QCLASS.
    pub wire: &'a [u8],
    /// Whether the name's case must match exactly (`--random-case`).
    pub exact_case: bool,
}

impl ExpectedQuestion<'_> {
    /// Whether `got` (a wire-format question section) is this question.
    fn matches(&self, got: &[u8]) -> bool {
        if got.len() != self.wire.len() {
            return false;
        }
        if self.exact_case {
            return got == self.wire;
        }
        let name_len = self.wire.len() - 4;
        got[..name_len].eq_ignore_ascii_case(&self.wire[..name_len])
            && got[name_len..] == self.wire[name_len..]
    }
}

/// Classifies `response` against the question of the query it answers.
pub fn check(response: &[u8], expected: ExpectedQuestion<'_>, mode: CheckMode) -> Verdict {
    match mode {
        CheckMode::Fast => {
            check_fast(response, expected).unwrap_or_else(|| check_full(response, expected))
        }
        CheckMode::Full => check_full(response, expected),
    }
}

/// The reference: hickory-proto parses the whole message.
pub fn check_full(response: &[u8], expected: ExpectedQuestion<'_>) -> Verdict {
    let Ok(message) = Message::from_vec(response) else {
        return Verdict::Malformed;
    };
    if message.metadata.message_type != MessageType::Response
        || message.metadata.op_code != OpCode::Query
        || message.queries.len() != 1
    {
        return Verdict::Mismatch;
    }
    let query = &message.queries[0];
    let Ok(mut got) = query.name().to_bytes() else {
        return Verdict::Mismatch;
    };
    got.extend_from_slice(&u16::from(query.query_type()).to_be_bytes());
    got.extend_from_slice(&u16::from(query.query_class()).to_be_bytes());
    if !expected.matches(&got) {
        return Verdict::Mismatch;
    }
    Verdict::Answer {
        rcode: u16::from(message.metadata.response_code),
        truncated: message.metadata.truncation,
    }
}

/// The fast path: `Some` only for responses it can vouch for exactly as
/// [`check_full`] would; `None` means "ask hickory-proto".
pub fn check_fast(response: &[u8], expected: ExpectedQuestion<'_>) -> Option<Verdict> {
    if response.len() < HEADER_LEN {
        return None;
    }
    let flags_high = response[2];
    let flags_low = response[3];
    let is_response = flags_high & 0x80 != 0;
    let opcode = (flags_high >> 3) & 0x0F;
    if !is_response || opcode != 0 || read_u16(response, 4)? != 1 {
        return None;
    }
    let counts = [
        read_u16(response, 6)?,
        read_u16(response, 8)?,
        read_u16(response, 10)?,
    ];
    let question_end = HEADER_LEN + expected.wire.len();
    if !expected.matches(response.get(HEADER_LEN..question_end)?) {
        return None;
    }

    let mut pos = question_end;
    let mut extended_rcode = 0u16;
    let mut seen_opt = false;
    for (section, &count) in counts.iter().enumerate() {
        let is_additional = section == 2;
        for _ in 0..count {
            let owner_start = pos;
            pos = skip_name(response, pos)?;
            let is_root_owner = pos == owner_start + 1;
            let rtype = read_u16(response, pos)?;
            let ttl_high = *response.get(pos + 4)?;
            let rdlength = usize::from(read_u16(response, pos + 8)?);
            let rdata_start = pos + 10;
            let rdata_end = rdata_start.checked_add(rdlength)?;
            if rdata_end > response.len() {
                return None;
            }
            let rdata_ok = match rtype {
                // hickory rejects empty RDATA outside updates; let it say so.
                _ if rdlength == 0 => rtype == TYPE_OPT,
                TYPE_A => rdlength == 4,
                TYPE_AAAA => rdlength == 16,
                TYPE_NS | TYPE_CNAME | TYPE_PTR => skip_name(response, rdata_start)? == rdata_end,
                TYPE_SOA => {
                    let after_mname = skip_name(response, rdata_start)?;
                    let after_rname = skip_name(response, after_mname)?;
                    after_rname + 20 == rdata_end
                }
                // hickory-proto reads LOC as opaque RDATA of an unknown type.
                TYPE_LOC => true,
                _ => false,
            };
            if !rdata_ok {
                return None;
            }
            if rtype == TYPE_OPT {
                if !is_additional || !is_root_owner || seen_opt {
                    return None;
                }
                seen_opt = true;
                extended_rcode = u16::from(ttl_high);
            }
            pos = rdata_end;
        }
    }
    let rcode = (extended_rcode << 4) | u16::from(flags_low & 0x0F);
    Some(Verdict::Answer {
        rcode,
        truncated: flags_high & 0x02 != 0,
    })
}

/// The ID of a message, if it has a header at all.
pub fn message_id(message: &[u8]) -> Option<u16> {
    read_u16(message, 0)
}

/// A big-endian u16 at `at`, if the message is long enough.
fn read_u16(message: &[u8], at: usize) -> Option<u16> {
    let bytes = message.get(at..at + 2)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}

/// Steps over a possibly compressed name starting at `start`, returning where
/// the record continues; `None` wherever hickory-proto's name decoder would
/// fail (label codes 01/10, pointers that do not point strictly before the
/// name they continue, overlapping labels, names over 255 bytes, running off
/// the end).
fn skip_name(message: &[u8], start: usize) -> Option<usize> {
    let mut pos = start;
    let mut name_start = start;
    let mut pointer_limit: Option<usize> = None;
    let mut resume_at: Option<usize> = None;
    let mut encoded_len = 1usize;
    loop {
        if pointer_limit.is_some_and(|limit| pos >= limit) {
            return None;
        }
        let byte = *message.get(pos)?;
        match byte & 0xC0 {
            0x00 if byte == 0 => {
                pos += 1;
                break;
            }
            0x00 => {
                let label_len = usize::from(byte);
                if pos + 1 + label_len > message.len() {
                    return None;
                }
                encoded_len += label_len + 1;
                if encoded_len > 255 {
                    return None;
                }
                pos += 1 + label_len;
            }
            0xC0 => {
                let target = usize::from(read_u16(message, pos)? & 0x3FFF);
                if target >= name_start {
                    return None;
                }
                resume_at.get_or_insert(pos + 2);
                pointer_limit = Some(name_start);
                name_start = target;
                pos = target;
            }
            _ => return None,
        }
    }
    Some(resume_at.unwrap_or(pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{EdnsOptions, QueryOptions, QuerySet, QuestionSpec};
    use hickory_proto::op::{Edns, Query, ResponseCode};
    use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, NULL, SOA, TXT};
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    /// Well-formed responses to `iss.sat.example. LOC` of the shapes servers
    /// send: positive answers with glue, referrals, NXDOMAIN with SOA, EDNS
    /// with extended RCODE, TC, and record types the fast path leaves to
    /// hickory.
    fn corpus() -> Vec<Vec<u8>> {
        let qname = name("iss.sat.example.");
        let loc = RecordType::from(TYPE_LOC);
        let base = |rcode: ResponseCode| {
            let mut message = Message::new(0x1234, MessageType::Response, OpCode::Query);
            message.metadata.authoritative = true;
            message.metadata.response_code = rcode;
            message.add_query(Query::query(qname.clone(), loc));
            message
        };
        let loc_rdata = RData::Unknown {
            code: loc,
            rdata: NULL::with(vec![
                0, 0x12, 0x16, 0x13, 0x6e, 0x8d, 0xd2, 0x1d, 0x5b, 0xa3, 0x99, 0x6b, 0x02, 0x7d,
                0x6a, 0x80,
            ]),
        };
        let ns = || {
            Record::from_rdata(
                name("sat.example."),
                60,
                RData::NS(NS(name("ns1.sat.example."))),
            )
        };
        let glue =
            || Record::from_rdata(name("ns1.sat.example."), 60, RData::A(A::new(127, 0, 0, 1)));
        let soa = || {
            Record::from_rdata(
                name("sat.example."),
                60,
                RData::SOA(SOA::new(
                    name("ns1.sat.example."),
                    name("hostmaster.sat.example."),
                    1,
                    3600,
                    600,
                    86400,
                    60,
                )),
            )
        };

        let mut messages = Vec::new();

        let mut positive = base(ResponseCode::NoError);
        positive.add_answer(Record::from_rdata(qname.clone(), 60, loc_rdata.clone()));
        positive.add_authority(ns());
        positive.add_additional(glue());
        messages.push(positive.clone());

        let mut with_edns = positive.clone();
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        with_edns.set_edns(edns.clone());
        messages.push(with_edns);

        let mut badvers = base(ResponseCode::BADVERS);
        badvers.set_edns(edns);
        messages.push(badvers);

        let mut nxdomain = base(ResponseCode::NXDomain);
        nxdomain.add_authority(soa());
        messages.push(nxdomain);

        let mut truncated = base(ResponseCode::NoError);
        truncated.metadata.truncation = true;
        messages.push(truncated);

        let mut mixed = base(ResponseCode::NoError);
        mixed.add_answer(Record::from_rdata(
            qname.clone(),
            60,
            RData::CNAME(CNAME(name("other.sat.example."))),
        ));
        mixed.add_answer(Record::from_rdata(
            name("other.sat.example."),
            60,
            RData::AAAA(AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        ));
        mixed.add_answer(Record::from_rdata(
            name("other.sat.example."),
            60,
            RData::TXT(TXT::new(vec!["hello".to_owned()])),
        ));
        mixed.add_answer(Record::from_rdata(
            name("other.sat.example."),
            60,
            RData::MX(MX::new(10, name("mx.sat.example."))),
        ));
        messages.push(mixed);

        messages.push(base(ResponseCode::Refused));
        let mut query_not_response = base(ResponseCode::NoError);
        query_not_response.metadata.message_type = MessageType::Query;
        messages.push(query_not_response);

        let mut other_question = Message::new(0x1234, MessageType::Response, OpCode::Query);
        other_question.add_query(Query::query(name("gps.sat.example."), loc));
        messages.push(other_question);

        messages.into_iter().map(|m| m.to_vec().unwrap()).collect()
    }

    fn expected_wire() -> Vec<u8> {
        let set = QuerySet::build(
            &[QuestionSpec::parse("iss.sat.example", "LOC").unwrap()],
            QueryOptions::default(),
        )
        .unwrap();
        set.question(0).to_vec()
    }

    #[test]
    fn well_formed_answers_take_the_fast_path() {
        let wire = expected_wire();
        let expected = ExpectedQuestion {
            wire: &wire,
            exact_case: false,
        };
        let corpus = corpus();
        let verdicts: Vec<_> = corpus.iter().map(|r| check_fast(r, expected)).collect();
        assert_eq!(
            verdicts[0],
            Some(Verdict::Answer {
                rcode: 0,
                truncated: false
            })
        );
        assert_eq!(
            verdicts[1],
            Some(Verdict::Answer {
                rcode: 0,
                truncated: false
            })
        );
        assert_eq!(
            verdicts[2],
            Some(Verdict::Answer {
                rcode: 16,
                truncated: false
            }),
            "BADVERS via OPT"
        );
        assert_eq!(
            verdicts[3],
            Some(Verdict::Answer {
                rcode: 3,
                truncated: false
            })
        );
        assert_eq!(
            verdicts[4],
            Some(Verdict::Answer {
                rcode: 0,
                truncated: true
            })
        );
        assert_eq!(verdicts[5], None, "TXT and MX are left to hickory");
        assert_eq!(
            check(&corpus[5], expected, CheckMode::Fast),
            Verdict::Answer {
                rcode: 0,
                truncated: false
            }
        );
        assert_eq!(
            check(&corpus[7], expected, CheckMode::Fast),
            Verdict::Mismatch,
            "QR=0"
        );
        assert_eq!(
            check(&corpus[8], expected, CheckMode::Fast),
            Verdict::Mismatch,
            "other name"
        );
        assert_eq!(
            check(&corpus[0][..20], expected, CheckMode::Fast),
            Verdict::Malformed
        );
    }

    #[test]
    fn fast_path_agrees_with_hickory_on_every_mutation() {
        let wire = expected_wire();
        let mut checked = 0;
        let mut fast_taken = 0;
        for exact_case in [false, true] {
            let expected = ExpectedQuestion {
                wire: &wire,
                exact_case,
            };
            for original in corpus() {
                let mut variants = Vec::new();
                for len in 0..=original.len() {
                    variants.push(original[..len].to_vec());
                }
                let mut longer = original.clone();
                longer.extend_from_slice(&[0, 1, 2]);
                variants.push(longer);
                for at in 0..original.len() {
                    for value in [
                        0x00,
                        0xFF,
                        0xC0,
                        0xC0 | 0x0C,
                        0x3F,
                        0x40,
                        0x01,
                        original[at] ^ 0x20,
                        original[at].wrapping_add(1),
                    ] {
                        let mut mutated = original.clone();
                        mutated[at] = value;
                        variants.push(mutated);
                    }
                }
                for variant in &variants {
                    let full = check_full(variant, expected);
                    if let Some(fast) = check_fast(variant, expected) {
                        fast_taken += 1;
                        assert_eq!(fast, full, "fast path disagrees on {variant:02x?}");
                    }
                    assert_eq!(check(variant, expected, CheckMode::Fast), full);
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
        assert!(
            fast_taken > checked / 4,
            "fast path taken {fast_taken} of {checked}"
        );
    }

    #[test]
    fn random_case_requires_the_exact_echo() {
        let questions = [QuestionSpec::parse("iss.sat.example", "LOC").unwrap()];
        let options = QueryOptions {
            random_case: true,
            edns: Some(EdnsOptions {
                payload: 1232,
                dnssec_ok: false,
            }),
            ..QueryOptions::default()
        };
        let set = QuerySet::build(&questions, options).unwrap();
        let mut sent = [0u8; 512];
        let len = set.encode(0, 7, 42, &mut sent);
        let mut expected_buf = [0u8; 300];
        let expected_len = set.expected_question(0, 42, &mut expected_buf);
        let expected = ExpectedQuestion {
            wire: &expected_buf[..expected_len],
            exact_case: true,
        };

        // A server that echoes the question as sent.
        let mut echo = sent[..len].to_vec();
        echo[2] |= 0x80;
        assert_eq!(
            check(&echo, expected, CheckMode::Fast),
            Verdict::Answer {
                rcode: 0,
                truncated: false
            }
        );
        assert_eq!(
            check(&echo, expected, CheckMode::Full),
            Verdict::Answer {
                rcode: 0,
                truncated: false
            }
        );

        // A server that lower-cases the name.
        let mut lowered = echo.clone();
        lowered[HEADER_LEN..HEADER_LEN + expected_len - 4].make_ascii_lowercase();
        assert_eq!(
            check(&lowered, expected, CheckMode::Fast),
            Verdict::Mismatch
        );
    }
}
