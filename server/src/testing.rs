//! Queries built the way clients build them, with hickory-proto: the one
//! builder the tests, the benches and the fuzzer share, so that they all ask
//! the same questions.
//!
//! ```
//! use satloc_server::loc::LOC;
//! use satloc_server::testing::TestQuery;
//!
//! // What `dig LOC iss.sat.example` sends: RD set, EDNS with a 1232-byte payload.
//! let bytes = TestQuery::new("iss.sat.example.", LOC).id(0x4242).edns(1232).to_bytes();
//! assert_eq!(&bytes[..2], &[0x42, 0x42]);
//! ```

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Name, RecordType};

use std::net::{IpAddr, Ipv4Addr};

use crate::answer::cookie::OPTION_COOKIE;
use crate::answer::{Client, CookieSecret};

/// The cookie secret of the tests' servers (fixed, so answers repeat).
pub static TEST_SECRET: CookieSecret = CookieSecret::new([7; 16]);

/// The address the tests' queries come from (TEST-NET-1).
pub const TEST_CLIENT_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// A client at [`TEST_CLIENT_ADDR`] of a server keyed with [`TEST_SECRET`].
pub fn test_client() -> Client<'static> {
    Client {
        addr: TEST_CLIENT_ADDR,
        secret: &TEST_SECRET,
    }
}

/// A query under construction: one question, recursion desired (as stub
/// resolvers and dig send it), ID 0 and no EDNS until set otherwise.
#[derive(Debug, Clone)]
pub struct TestQuery {
    message: Message,
}

impl TestQuery {
    /// A query for `name` and `rtype`.
    ///
    /// # Panics
    /// When `name` is not a domain name: the builder is for fixed test input.
    pub fn new(name: &str, rtype: RecordType) -> Self {
        let name = Name::from_ascii(name)
            .unwrap_or_else(|err| panic!("test query name {name:?} is not a domain name: {err}"));
        let mut message = Message::new(0, MessageType::Query, OpCode::Query);
        message.metadata.recursion_desired = true;
        message.add_query(Query::query(name, rtype));
        Self { message }
    }

    /// Sets the message ID.
    pub fn id(mut self, id: u16) -> Self {
        self.message.metadata.id = id;
        self
    }

    /// Sets or clears RD.
    pub fn recursion_desired(mut self, rd: bool) -> Self {
        self.message.metadata.recursion_desired = rd;
        self
    }

    /// Sets or clears CD.
    pub fn checking_disabled(mut self, cd: bool) -> Self {
        self.message.metadata.checking_disabled = cd;
        self
    }

    /// Sets or clears AD.
    pub fn authentic_data(mut self, ad: bool) -> Self {
        self.message.metadata.authentic_data = ad;
        self
    }

    /// Adds an EDNS OPT record (if there is none yet) advertising `payload`
    /// bytes (hickory-proto raises anything below 512 to 512).
    pub fn edns(mut self, payload: u16) -> Self {
        self.opt().set_max_payload(payload);
        self
    }

    /// Sets the EDNS DO bit, adding an OPT record if there is none.
    pub fn dnssec_ok(mut self, dnssec_ok: bool) -> Self {
        self.opt().set_dnssec_ok(dnssec_ok);
        self
    }

    /// Sets the EDNS version, adding an OPT record if there is none.
    pub fn edns_version(mut self, version: u8) -> Self {
        self.opt().set_version(version);
        self
    }

    /// Adds a COOKIE option (RFC 7873) holding `data` -- a client cookie, or
    /// a client and a server cookie -- adding an OPT record if there is none.
    /// Any length goes, so tests can send malformed ones too.
    pub fn cookie(mut self, data: &[u8]) -> Self {
        self.opt()
            .options_mut()
            .insert(EdnsOption::Unknown(OPTION_COOKIE, data.to_vec()));
        self
    }

    /// The query as a hickory-proto message.
    pub fn message(self) -> Message {
        self.message
    }

    /// The query's wire bytes.
    ///
    /// # Panics
    /// When hickory-proto cannot encode the message (it can encode every query
    /// this builder makes).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.message
            .to_vec()
            .unwrap_or_else(|err| panic!("test query cannot be encoded: {err}"))
    }

    fn opt(&mut self) -> &mut Edns {
        self.message.edns.get_or_insert_with(Edns::new)
    }
}
