//! What to send: questions from the command line or a dnsperf-style file,
//! turned once into DNS wire format by hickory-proto.
//!
//! A query message is the same bytes every time except for its 16-bit ID (and,
//! with `--random-case`, the case of the letters in its name), so each
//! question is encoded once up front and the hot path only copies the bytes
//! and patches those fields. The encoded question section is kept as the
//! template a response's question is compared against.

use std::path::Path;
use std::str::FromStr;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use crate::error::{LoadgenError, QueryError};

/// Offset of the question section in a DNS message: right after the 12-byte
/// header.
pub const HEADER_LEN: usize = 12;

/// The LOC record type (RFC 1876). hickory-proto has no variant for it, so a
/// LOC question travels as an unknown type with this number.
pub const TYPE_LOC: u16 = 29;

/// One question as the user asked for it: a name and a record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionSpec {
    /// The owner name, always fully qualified.
    pub name: Name,
    /// The record type asked for.
    pub qtype: RecordType,
}

impl QuestionSpec {
    /// Parses a name and a type mnemonic (`A`, `LOC`, `TYPE29`, ...).
    pub fn parse(name: &str, qtype: &str) -> Result<Self, QueryError> {
        let qtype = parse_record_type(qtype)?;
        let mut parsed = Name::from_ascii(name).map_err(|reason| QueryError::InvalidName {
            name: name.to_owned(),
            reason,
        })?;
        parsed.set_fqdn(true);
        // Find out now, not on the first send, if the name cannot go on the
        // wire (over 255 bytes in all).
        match parsed.to_bytes() {
            Ok(wire) if wire.len() <= 255 => {}
            _ => {
                return Err(QueryError::NameTooLong {
                    name: name.to_owned(),
                });
            }
        }
        Ok(Self {
            name: parsed,
            qtype,
        })
    }
}

/// Parses a record type mnemonic, case-insensitively: hickory-proto's names,
/// the types hickory-proto has no variant for but DNS load tests use (LOC),
/// and the RFC 3597 generic form `TYPEnnn`.
pub fn parse_record_type(text: &str) -> Result<RecordType, QueryError> {
    let upper = text.to_ascii_uppercase();
    if upper == "LOC" {
        return Ok(RecordType::from(TYPE_LOC));
    }
    if let Some(number) = upper.strip_prefix("TYPE")
        && let Ok(code) = number.parse::<u16>()
    {
        return Ok(RecordType::from(code));
    }
    RecordType::from_str(&upper).map_err(|_| QueryError::UnknownType {
        text: text.to_owned(),
    })
}

/// Reads a query file in dnsperf's format: one `name TYPE` per line; blank
/// lines and lines starting with `;` or `#` are skipped.
pub fn read_queries_file(path: &Path) -> Result<Vec<QuestionSpec>, LoadgenError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadgenError::QueriesFileRead {
        path: path.to_owned(),
        source,
    })?;
    parse_queries(&text, path)
}

/// Parses the text of a query file; `path` only names the file in errors.
pub fn parse_queries(text: &str, path: &Path) -> Result<Vec<QuestionSpec>, LoadgenError> {
    let mut questions = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_error = |problem: QueryError| LoadgenError::QueriesFileLine {
            path: path.to_owned(),
            line: index + 1,
            problem,
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let [name, qtype] = fields[..] else {
            return Err(line_error(QueryError::FieldCount {
                found: fields.len(),
                line: trimmed.to_owned(),
            }));
        };
        questions.push(QuestionSpec::parse(name, qtype).map_err(line_error)?);
    }
    if questions.is_empty() {
        return Err(LoadgenError::QueriesFileLine {
            path: path.to_owned(),
            line: text.lines().count(),
            problem: QueryError::NoQueries,
        });
    }
    Ok(questions)
}

/// EDNS(0) settings for every query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdnsOptions {
    /// Advertised UDP payload size in bytes.
    pub payload: u16,
    /// The DNSSEC OK bit.
    pub dnssec_ok: bool,
}

/// Header and OPT settings shared by all queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOptions {
    /// The RD bit.
    pub recursion_desired: bool,
    /// An OPT record, if any.
    pub edns: Option<EdnsOptions>,
    /// Randomise the case of the letters in each query name (DNS 0x20) and
    /// require the response to echo it exactly.
    pub random_case: bool,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            recursion_desired: true,
            edns: None,
            random_case: false,
        }
    }
}

/// A query encoded once, sent many times.
#[derive(Debug, Clone)]
struct PreparedQuery {
    /// The whole message with ID 0.
    wire: Box<[u8]>,
    /// Where the question section ends (after QTYPE and QCLASS).
    question_end: usize,
}

/// The queries to cycle through, pre-encoded.
#[derive(Debug, Clone)]
pub struct QuerySet {
    /// The encoded queries, in the order given.
    queries: Vec<PreparedQuery>,
    /// Whether names are sent in random case.
    random_case: bool,
}

impl QuerySet {
    /// Encodes each question with hickory-proto.
    pub fn build(questions: &[QuestionSpec], options: QueryOptions) -> Result<Self, LoadgenError> {
        if questions.is_empty() {
            return Err(LoadgenError::InvalidConfig(
                "no queries to send: give --qname or --queries".to_owned(),
            ));
        }
        let mut queries = Vec::with_capacity(questions.len());
        for question in questions {
            let mut message = Message::new(0, MessageType::Query, OpCode::Query);
            message.metadata.recursion_desired = options.recursion_desired;
            message.add_query(Query::query(question.name.clone(), question.qtype));
            if let Some(edns_options) = options.edns {
                let mut edns = Edns::new();
                edns.set_max_payload(edns_options.payload.max(512));
                edns.set_dnssec_ok(edns_options.dnssec_ok);
                message.set_edns(edns);
            }
            let wire = message
                .to_vec()
                .map_err(|reason| LoadgenError::InvalidQuery {
                    query: format!("{} {}", question.name, question.qtype),
                    problem: QueryError::Encode { reason },
                })?;
            // The question is the first name in the message, so hickory never
            // compresses it: it is the name's plain wire form, then 4 bytes.
            let name_len = question.name.to_bytes().map_or(0, |wire| wire.len());
            let question_end = HEADER_LEN + name_len + 4;
            if wire.len() < question_end {
                return Err(LoadgenError::InvalidQuery {
                    query: question.name.to_string(),
                    problem: QueryError::QuestionNotInMessage,
                });
            }
            queries.push(PreparedQuery {
                wire: wire.into_boxed_slice(),
                question_end,
            });
        }
        Ok(Self {
            queries,
            random_case: options.random_case,
        })
    }

    /// How many distinct queries there are.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Never true: building an empty set is an error.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// The longest encoded query in bytes, to size send buffers.
    pub fn max_len(&self) -> usize {
        self.queries
            .iter()
            .map(|query| query.wire.len())
            .max()
            .unwrap_or(0)
    }

    /// Whether names go out in random case.
    pub fn random_case(&self) -> bool {
        self.random_case
    }

    /// Writes query `index` with `id` (and the case pattern of `case_seed`
    /// when random case is on) to the front of `out`; returns its length.
    ///
    /// `out` must hold at least [`QuerySet::max_len`] bytes.
    pub fn encode(&self, index: usize, id: u16, case_seed: u32, out: &mut [u8]) -> usize {
        let query = &self.queries[index];
        let len = query.wire.len();
        out[..len].copy_from_slice(&query.wire);
        out[..2].copy_from_slice(&id.to_be_bytes());
        if self.random_case {
            apply_case_pattern(&mut out[HEADER_LEN..query.question_end - 4], case_seed);
        }
        len
    }

    /// The question section of query `index` as sent with `case_seed`: what
    /// a response must echo. Written into `out`; returns the length.
    pub fn expected_question(&self, index: usize, case_seed: u32, out: &mut [u8]) -> usize {
        let question = self.question(index);
        out[..question.len()].copy_from_slice(question);
        if self.random_case {
            apply_case_pattern(&mut out[..question.len() - 4], case_seed);
        }
        question.len()
    }

    /// The question section template of query `index` (original case).
    pub fn question(&self, index: usize) -> &[u8] {
        let query = &self.queries[index];
        &query.wire[HEADER_LEN..query.question_end]
    }
}

/// Flips the case of ASCII letters in a wire-format name according to the
/// bits of a pseudo-random stream derived from `seed`: the same seed always
/// gives the same pattern, so a response can be checked without storing the
/// name that was sent. Length octets are left alone.
pub fn apply_case_pattern(name: &mut [u8], seed: u32) {
    let mut stream = SplitMix64::new(u64::from(seed));
    let mut bits = stream.next_u64();
    let mut used = 0u32;
    let mut pos = 0;
    while pos < name.len() {
        let label_len = usize::from(name[pos]);
        if label_len == 0 || label_len > 63 {
            break;
        }
        let end = (pos + 1 + label_len).min(name.len());
        for byte in &mut name[pos + 1..end] {
            if byte.is_ascii_alphabetic() {
                if used == 64 {
                    bits = stream.next_u64();
                    used = 0;
                }
                if bits & 1 == 1 {
                    *byte ^= 0x20;
                }
                bits >>= 1;
                used += 1;
            }
        }
        pos = end;
    }
}

/// A small, fast pseudo-random generator (SplitMix64): good enough to pick
/// letter cases and IDs, not for anything secret.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    /// The running state.
    state: u64,
}

impl SplitMix64 {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next 32 pseudo-random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_types_parse_by_mnemonic_generic_form_and_loc() {
        assert_eq!(parse_record_type("a").unwrap(), RecordType::A);
        assert_eq!(parse_record_type("AAAA").unwrap(), RecordType::AAAA);
        assert_eq!(u16::from(parse_record_type("LOC").unwrap()), TYPE_LOC);
        assert_eq!(u16::from(parse_record_type("type29").unwrap()), TYPE_LOC);
        assert!(
            parse_record_type("NOPE")
                .unwrap_err()
                .to_string()
                .contains("NOPE")
        );
    }

    #[test]
    fn queries_file_skips_comments_and_blank_lines() {
        let text = "; dnsperf comment\n\niss.sat.example LOC\n# another\nexample.com. A\n";
        let questions = parse_queries(text, Path::new("q.txt")).unwrap();
        assert_eq!(questions.len(), 2);
        assert_eq!(questions[0].name.to_string(), "iss.sat.example.");
        assert_eq!(u16::from(questions[0].qtype), TYPE_LOC);
        assert_eq!(questions[1].qtype, RecordType::A);
    }

    #[test]
    fn queries_file_errors_name_file_line_and_problem() {
        let text = "ok.example A\nbroken.example\n";
        let err = parse_queries(text, Path::new("q.txt")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "q.txt:2: expected \"name TYPE\", found 1 field: \"broken.example\""
        );

        let err = parse_queries("a.example BOGUS\n", Path::new("q.txt")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("q.txt:1: unknown record type \"BOGUS\""),
            "{err}"
        );

        let long_label = "x".repeat(64);
        let err =
            parse_queries(&format!("{long_label}.example A\n"), Path::new("q.txt")).unwrap_err();
        assert!(
            err.to_string().starts_with("q.txt:1: invalid name"),
            "{err}"
        );

        let err = parse_queries("; only a comment\n", Path::new("q.txt")).unwrap_err();
        assert!(err.to_string().contains("no queries in file"), "{err}");
    }

    #[test]
    fn encoded_query_is_hickorys_message_with_the_id_patched() {
        let questions = [QuestionSpec::parse("iss.sat.example", "LOC").unwrap()];
        let options = QueryOptions {
            edns: Some(EdnsOptions {
                payload: 1232,
                dnssec_ok: true,
            }),
            ..QueryOptions::default()
        };
        let set = QuerySet::build(&questions, options).unwrap();
        let mut buf = [0u8; 512];
        let len = set.encode(0, 0xBEEF, 0, &mut buf);
        let message = Message::from_vec(&buf[..len]).unwrap();
        assert_eq!(message.metadata.id, 0xBEEF);
        assert!(message.metadata.recursion_desired);
        assert_eq!(message.queries[0].name().to_string(), "iss.sat.example.");
        assert_eq!(u16::from(message.queries[0].query_type()), TYPE_LOC);
        let edns = message.edns.expect("OPT record");
        assert_eq!(edns.max_payload(), 1232);
        assert!(edns.flags().dnssec_ok);
        // The question template is the bytes right after the header.
        assert_eq!(
            set.question(0),
            &buf[HEADER_LEN..HEADER_LEN + set.question(0).len()]
        );
    }

    #[test]
    fn random_case_changes_only_letters_and_is_reproducible_from_the_seed() {
        let questions =
            [QuestionSpec::parse("abcdefghijklmnop.qrstuvwxyz-09.example", "A").unwrap()];
        let options = QueryOptions {
            random_case: true,
            ..QueryOptions::default()
        };
        let set = QuerySet::build(&questions, options).unwrap();
        let mut sent = [0u8; 512];
        let len = set.encode(0, 1, 0xDEAD_BEEF, &mut sent);
        let question_len = set.question(0).len();
        let sent_question = &sent[HEADER_LEN..HEADER_LEN + question_len];
        assert_ne!(sent_question, set.question(0), "some letters flip");
        assert!(sent_question.eq_ignore_ascii_case(set.question(0)));
        let mut expected = [0u8; 512];
        let expected_len = set.expected_question(0, 0xDEAD_BEEF, &mut expected);
        assert_eq!(&expected[..expected_len], sent_question);
        // hickory still reads it as the same name.
        let message = Message::from_vec(&sent[..len]).unwrap();
        assert_eq!(message.queries[0].name(), &questions[0].name);
    }
}
