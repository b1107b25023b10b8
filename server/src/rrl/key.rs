//! What the rate limiter counts by: the source prefix a response would go to,
//! and the class of the response, read from its wire bytes.
//!
//! Prefixes are IPv4 /24 and IPv6 /56, as Knot and BIND take them: one
//! customer network or a provider's pool of resolvers counts as one source,
//! so an attacker cannot spread a flood over neighbouring spoofed addresses.
//! Classes follow Knot's `mod-rrl` (less WILDCARD and DNSSEC, which this
//! server never produces), so a flood of one kind of answer does not use up
//! the budget of another: a resolver's NXDOMAINs are not limited because
//! someone reflects LOC answers at its network.

use std::net::IpAddr;

use crate::answer::wire::{HEADER_LEN, skip_name, u16_at};

/// Responses this large or larger are their own class (Knot's threshold):
/// they are what a reflection attack wants most.
pub const LARGE_RESPONSE: usize = 1024;
/// The query type ANY.
const TYPE_ANY: u16 = 255;

/// The kinds of response that are rate-limited separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseClass {
    /// An answer with records.
    Normal,
    /// NXDOMAIN: the name does not exist.
    NxDomain,
    /// NOERROR with an empty answer section (NODATA, referrals, truncation).
    Empty,
    /// Any other response code (FORMERR, REFUSED, NOTIMP, ...).
    Error,
    /// A response of [`LARGE_RESPONSE`] bytes or more.
    Large,
    /// An answer to a question of type ANY.
    Any,
}

impl ResponseClass {
    /// Every class, in label order.
    pub const ALL: [ResponseClass; 6] = [
        ResponseClass::Normal,
        ResponseClass::NxDomain,
        ResponseClass::Empty,
        ResponseClass::Error,
        ResponseClass::Large,
        ResponseClass::Any,
    ];

    /// The class's name in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseClass::Normal => "normal",
            ResponseClass::NxDomain => "nxdomain",
            ResponseClass::Empty => "empty",
            ResponseClass::Error => "error",
            ResponseClass::Large => "large",
            ResponseClass::Any => "any",
        }
    }

    /// The class of `response`, in Knot's order: the response code first
    /// (from the header), then the question type, then the size, then
    /// whether anything was answered.
    pub fn of(response: &[u8]) -> ResponseClass {
        let rcode = response.get(3).map_or(0, |flags| flags & 0x0f);
        match rcode {
            0 => {}
            3 => return ResponseClass::NxDomain,
            _ => return ResponseClass::Error,
        }
        if question_type(response) == Some(TYPE_ANY) {
            return ResponseClass::Any;
        }
        if response.len() >= LARGE_RESPONSE {
            return ResponseClass::Large;
        }
        if u16_at(response, 6).unwrap_or(0) == 0 {
            return ResponseClass::Empty;
        }
        ResponseClass::Normal
    }
}

/// The type of the response's first question, if it has one.
fn question_type(response: &[u8]) -> Option<u16> {
    if u16_at(response, 4)? == 0 {
        return None;
    }
    u16_at(response, skip_name(response, HEADER_LEN)?)
}

/// The bytes that name `addr`'s prefix: the first three bytes of an IPv4
/// address (/24) or the first seven of an IPv6 one (/56), then zeros, and
/// last the family (4 or 6).
pub fn prefix(addr: IpAddr) -> [u8; 8] {
    let mut key = [0u8; 8];
    match addr {
        IpAddr::V4(v4) => {
            key[..3].copy_from_slice(&v4.octets()[..3]);
            key[7] = 4;
        }
        IpAddr::V6(v6) => {
            key[..7].copy_from_slice(&v6.octets()[..7]);
            key[7] = 6;
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
    use hickory_proto::rr::rdata::TXT;
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    use super::*;
    use crate::loc::LOC;

    fn response(code: ResponseCode, qtype: RecordType, answers: usize, text: usize) -> Vec<u8> {
        let name = Name::from_ascii("iss.sat.example.").unwrap();
        let mut message = Message::new(1, MessageType::Response, OpCode::Query);
        message.metadata.response_code = code;
        message.add_query(Query::query(name.clone(), qtype));
        for _ in 0..answers {
            let txt = TXT::new(vec!["x".repeat(text)]);
            message.add_answer(Record::from_rdata(name.clone(), 5, RData::TXT(txt)));
        }
        message.to_vec().unwrap()
    }

    #[test]
    fn responses_fall_in_knots_classes() {
        let class =
            |code, qtype, answers, text| ResponseClass::of(&response(code, qtype, answers, text));
        use ResponseClass::*;
        assert_eq!(class(ResponseCode::NoError, LOC, 1, 10), Normal);
        assert_eq!(class(ResponseCode::NoError, LOC, 0, 0), Empty, "NODATA");
        assert_eq!(class(ResponseCode::NXDomain, LOC, 0, 0), NxDomain);
        assert_eq!(class(ResponseCode::Refused, LOC, 0, 0), Error);
        assert_eq!(class(ResponseCode::FormErr, LOC, 0, 0), Error);
        assert_eq!(class(ResponseCode::NoError, RecordType::ANY, 1, 10), Any);
        assert_eq!(class(ResponseCode::NoError, RecordType::ANY, 0, 0), Any);
        assert_eq!(class(ResponseCode::NoError, RecordType::TXT, 5, 250), Large);
        assert_eq!(
            class(ResponseCode::NXDomain, RecordType::ANY, 0, 0),
            NxDomain,
            "rcode first"
        );
        assert_eq!(ResponseClass::of(&[]), Empty, "nothing to read: no records");
        let labels: Vec<&str> = ResponseClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            labels,
            ["normal", "nxdomain", "empty", "error", "large", "any"]
        );
    }

    #[test]
    fn prefixes_are_ipv4_slash_24_and_ipv6_slash_56() {
        let key = |text: &str| prefix(text.parse().unwrap());
        assert_eq!(key("192.0.2.1"), key("192.0.2.254"));
        assert_ne!(key("192.0.2.1"), key("192.0.3.1"));
        assert_eq!(key("127.0.0.1"), [127, 0, 0, 0, 0, 0, 0, 4]);
        assert_ne!(key("127.0.0.1"), key("127.0.1.1"), "the two test sources");
        assert_eq!(key("2001:db8:1:2300::1"), key("2001:db8:1:23ff:ffff::9"));
        assert_ne!(key("2001:db8:1:2300::1"), key("2001:db8:1:2400::1"));
        assert_ne!(key("0.0.0.0"), key("::"), "families never share a prefix");
    }
}
