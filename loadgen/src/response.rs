//! Deciding what a response is: an answer to the query it claims to answer
//! (with its RCODE and TC bit), a response to some other question, or bytes
//! that are not a DNS message at all.
//!
//! The reference is hickory-proto's complete parser ([`check_full`]), which
//! allocates every record: at a server's full rate that is a large share of
//! a core. [`check_fast`] reads the same message without allocating, over
//! ten times faster (figures and command: loadgen/README.md, "Response
//! checking"), but only vouches for what it can check exactly as hickory
//! does: the header, the echoed question, and records of the common types
//! (A, AAAA, NS, CNAME, PTR, SOA, LOC, an empty OPT). For anything else it
//! answers "not sure" and the full parser decides, so the two always agree;
//! the test `fast_path_agrees_with_hickory_on_every_mutation` checks that
//! over thousands of truncated and corrupted responses.

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
    let header = Header::read(response)?;
    let question_end = HEADER_LEN + expected.wire.len();
    if !expected.matches(response.get(HEADER_LEN..question_end)?) {
        return None;
    }
    let extended_rcode = walk_records(response, question_end, header.counts)?;
    let rcode = (extended_rcode << 4) | u16::from(header.flags_low & 0x0F);
    Some(Verdict::Answer {
        rcode,
        truncated: header.flags_high & 0x02 != 0,
    })
}

/// What the fast path needs from a response's header.
struct Header {
    /// QR, opcode, AA, TC, RD.
    flags_high: u8,
    /// RA, Z, AD, CD, RCODE.
    flags_low: u8,
    /// ANCOUNT, NSCOUNT, ARCOUNT.
    counts: [u16; 3],
}

impl Header {
    /// The header of a standard-query response with one question; `None`
    /// for anything else.
    fn read(response: &[u8]) -> Option<Self> {
        if response.len() < HEADER_LEN {
            return None;
        }
        let flags_high = response[2];
        let is_response = flags_high & 0x80 != 0;
        let opcode = (flags_high >> 3) & 0x0F;
        if !is_response || opcode != 0 || read_u16(response, 4)? != 1 {
            return None;
        }
        Some(Self {
            flags_high,
            flags_low: response[3],
            counts: [
                read_u16(response, 6)?,
                read_u16(response, 8)?,
                read_u16(response, 10)?,
            ],
        })
    }
}

/// Walks the answer, authority and additional records from `pos`; returns
/// the upper RCODE bits of the OPT record (0 without one), or `None` at the
/// first record the fast path cannot vouch for.
fn walk_records(response: &[u8], mut pos: usize, counts: [u16; 3]) -> Option<u16> {
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
            if rdata_end > response.len() || !rdata_ok(response, rtype, rdata_start, rdata_end)? {
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
    Some(extended_rcode)
}

/// Whether the RDATA of a `rtype` record at `start..end` is one hickory-proto
/// would accept, for the types the fast path knows (false for the others);
/// `None` where a name in it runs off the message.
fn rdata_ok(response: &[u8], rtype: u16, start: usize, end: usize) -> Option<bool> {
    Some(match rtype {
        // hickory rejects empty RDATA outside updates; let it say so.
        _ if start == end => rtype == TYPE_OPT,
        TYPE_A => end - start == 4,
        TYPE_AAAA => end - start == 16,
        TYPE_NS | TYPE_CNAME | TYPE_PTR => skip_name(response, start)? == end,
        TYPE_SOA => {
            let after_mname = skip_name(response, start)?;
            let after_rname = skip_name(response, after_mname)?;
            after_rname + 20 == end
        }
        // hickory-proto reads LOC as opaque RDATA of an unknown type.
        TYPE_LOC => true,
        _ => false,
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

    /// A response to `iss.sat.example. LOC` with `rcode` and no records.
    fn response(rcode: ResponseCode) -> Message {
        let mut message = Message::new(0x1234, MessageType::Response, OpCode::Query);
        message.metadata.authoritative = true;
        message.metadata.response_code = rcode;
        message.add_query(Query::query(
            name("iss.sat.example."),
            RecordType::from(TYPE_LOC),
        ));
        message
    }

    /// The LOC answer to `iss.sat.example.`, as unknown RDATA.
    fn loc_answer() -> Record {
        let rdata = RData::Unknown {
            code: RecordType::from(TYPE_LOC),
            rdata: NULL::with(vec![
                0, 0x12, 0x16, 0x13, 0x6e, 0x8d, 0xd2, 0x1d, 0x5b, 0xa3, 0x99, 0x6b, 0x02, 0x7d,
                0x6a, 0x80,
            ]),
        };
        Record::from_rdata(name("iss.sat.example."), 60, rdata)
    }

    /// The zone's NS record.
    fn ns() -> Record {
        Record::from_rdata(
            name("sat.example."),
            60,
            RData::NS(NS(name("ns1.sat.example."))),
        )
    }

    /// The NS record's glue.
    fn glue() -> Record {
        Record::from_rdata(name("ns1.sat.example."), 60, RData::A(A::new(127, 0, 0, 1)))
    }

    /// The zone's SOA record.
    fn soa() -> Record {
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
    }

    /// Well-formed responses to `iss.sat.example. LOC` of the shapes servers
    /// send: positive answers with glue, referrals, NXDOMAIN with SOA, EDNS
    /// with extended RCODE, TC, and record types the fast path leaves to
    /// hickory. The tests refer to them by index.
    fn corpus() -> Vec<Vec<u8>> {
        let mut positive = response(ResponseCode::NoError);
        positive.add_answer(loc_answer());
        positive.add_authority(ns());
        positive.add_additional(glue());

        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        let mut with_edns = positive.clone();
        with_edns.set_edns(edns.clone());
        let mut badvers = response(ResponseCode::BADVERS);
        badvers.set_edns(edns);

        let mut nxdomain = response(ResponseCode::NXDomain);
        nxdomain.add_authority(soa());
        let mut truncated = response(ResponseCode::NoError);
        truncated.metadata.truncation = true;

        let mut query_not_response = response(ResponseCode::NoError);
        query_not_response.metadata.message_type = MessageType::Query;
        let mut other_question = Message::new(0x1234, MessageType::Response, OpCode::Query);
        other_question.add_query(Query::query(
            name("gps.sat.example."),
            RecordType::from(TYPE_LOC),
        ));

        [
            positive,                        // 0
            with_edns,                       // 1
            badvers,                         // 2
            nxdomain,                        // 3
            truncated,                       // 4
            mixed_types(),                   // 5
            response(ResponseCode::Refused), // 6
            query_not_response,              // 7
            other_question,                  // 8
        ]
        .into_iter()
        .map(|m| m.to_vec().unwrap())
        .collect()
    }

    /// A CNAME to a name with AAAA, TXT and MX records: types the fast path
    /// partly leaves to hickory.
    fn mixed_types() -> Message {
        let other = name("other.sat.example.");
        let mut mixed = response(ResponseCode::NoError);
        mixed.add_answer(Record::from_rdata(
            name("iss.sat.example."),
            60,
            RData::CNAME(CNAME(other.clone())),
        ));
        mixed.add_answer(Record::from_rdata(
            other.clone(),
            60,
            RData::AAAA(AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        ));
        mixed.add_answer(Record::from_rdata(
            other.clone(),
            60,
            RData::TXT(TXT::new(vec!["hello".to_owned()])),
        ));
        mixed.add_answer(Record::from_rdata(
            other,
            60,
            RData::MX(MX::new(10, name("mx.sat.example."))),
        ));
        mixed
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
        let answer = |rcode, truncated| Verdict::Answer { rcode, truncated };
        let corpus = corpus();
        let verdicts: Vec<_> = corpus.iter().map(|r| check_fast(r, expected)).collect();
        assert_eq!(verdicts[0], Some(answer(0, false)));
        assert_eq!(verdicts[1], Some(answer(0, false)));
        assert_eq!(verdicts[2], Some(answer(16, false)), "BADVERS via OPT");
        assert_eq!(verdicts[3], Some(answer(3, false)));
        assert_eq!(verdicts[4], Some(answer(0, true)));
        assert_eq!(verdicts[5], None, "TXT and MX are left to hickory");
        assert_eq!(
            check(&corpus[5], expected, CheckMode::Fast),
            answer(0, false)
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
