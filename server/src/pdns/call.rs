//! One remote-backend call as PowerDNS's HTTP connector sends it, whichever
//! of its three encodings: GET with the arguments in the path (the default),
//! `post` (a form field `parameters` holding JSON) or `post_json` (the whole
//! call as a JSON object).
//!
//! The connector puts a call's arguments into the path in a fixed order (id,
//! domain_id, zonename, qname, name, kind, qtype), keeping only those the
//! call has, so which positional argument is which depends on the method:
//! [`Call::from_path`] names them per method, and every method then reads
//! named parameters whatever the encoding was. Each argument is
//! percent-encoded byte by byte (`.` as `%2e`), and method names arrive in
//! camelCase: they are matched without regard to case.

use std::fmt;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use url::form_urlencoded;

/// The methods satloc's backend answers, and those of the remote-backend
/// protocol it declines because its zone is read-only and unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// `initialize`: sent over pipes and sockets, not HTTP; answered anyway.
    Initialize,
    /// `lookup`: the records at a name, of one type or ANY.
    Lookup,
    /// `list`: every record of the zone.
    List,
    /// `getAllDomains`: the zones served, which fill pdns's zone cache.
    GetAllDomains,
    /// `getDomainInfo`: one zone's kind and serial.
    GetDomainInfo,
    /// `getAllDomainMetadata`: none here.
    GetAllDomainMetadata,
    /// `getDomainMetadata`: none here.
    GetDomainMetadata,
    /// A method of the protocol that satloc does not offer (writes, DNSSEC
    /// keys, TSIG, primary/secondary): "nothing", as pdns expects.
    Declined(&'static str),
}

/// Protocol methods satloc declines with `{"result":false}`: its zone is
/// computed, so there is nothing to write, sign, transfer or notify.
const DECLINED: &[&str] = &[
    "abortTransaction",
    "activateDomainKey",
    "addDomainKey",
    "calculateSOASerial",
    "commitTransaction",
    "createSecondaryDomain",
    "createSlaveDomain",
    "deactivateDomainKey",
    "deleteTSIGKey",
    "directBackendCmd",
    "feedEnts",
    "feedEnts3",
    "feedRecord",
    "getBeforeAndAfterNamesAbsolute",
    "getDomainKeys",
    "getTSIGKey",
    "getTSIGKeys",
    "getUnfreshSlaveInfos",
    "getUpdatedMasters",
    "getUpdatedPrimaries",
    "isMaster",
    "publishDomainKey",
    "removeDomainKey",
    "replaceRRSet",
    "searchComments",
    "searchRecords",
    "setDomainMetadata",
    "setFresh",
    "setNotified",
    "setTSIGKey",
    "startTransaction",
    "superMasterBackend",
    "unpublishDomainKey",
];

/// The methods answered, as the connector spells them (for error messages).
pub const ANSWERED: &str = "initialize, lookup, list, getAllDomains, getDomainInfo, \
                            getAllDomainMetadata, getDomainMetadata";

impl Method {
    /// The method named `name`, in any case.
    pub fn parse(name: &str) -> Result<Self, CallError> {
        let method = match name.to_ascii_lowercase().as_str() {
            "initialize" => Method::Initialize,
            "lookup" => Method::Lookup,
            "list" => Method::List,
            "getalldomains" => Method::GetAllDomains,
            "getdomaininfo" => Method::GetDomainInfo,
            "getalldomainmetadata" => Method::GetAllDomainMetadata,
            "getdomainmetadata" => Method::GetDomainMetadata,
            _ => match DECLINED.iter().find(|m| m.eq_ignore_ascii_case(name)) {
                Some(declined) => Method::Declined(declined),
                None => return Err(CallError::UnknownMethod(name.to_owned())),
            },
        };
        Ok(method)
    }

    /// The names of the positional path arguments the connector sends for
    /// this method, in its order.
    fn path_parameters(&self) -> &'static [&'static str] {
        match self {
            Method::Lookup => &["qname", "qtype"],
            Method::List => &["domain_id", "zonename"],
            Method::GetDomainInfo | Method::GetAllDomainMetadata => &["name"],
            Method::GetDomainMetadata => &["name", "kind"],
            Method::Initialize | Method::GetAllDomains | Method::Declined(_) => &[],
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Initialize => "initialize",
            Method::Lookup => "lookup",
            Method::List => "list",
            Method::GetAllDomains => "getAllDomains",
            Method::GetDomainInfo => "getDomainInfo",
            Method::GetAllDomainMetadata => "getAllDomainMetadata",
            Method::GetDomainMetadata => "getDomainMetadata",
            Method::Declined(name) => name,
        })
    }
}

/// Why a request is not a call satloc can answer. Each message names what
/// was received and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The path names no method.
    #[error("no method: expected /dns/<method>/<arguments> (GET or post) or a post_json body")]
    NoMethod,
    /// Not a method of the remote-backend protocol.
    #[error("unknown method \"{0}\": this backend answers {ANSWERED}")]
    UnknownMethod(String),
    /// A path segment that does not decode to text.
    #[error("argument \"{0}\" is not percent-encoded UTF-8")]
    BadEncoding(String),
    /// More path segments than the method takes.
    #[error("{method} takes at most {expected} path arguments ({names}), got {got}")]
    TooManyArguments {
        /// The method.
        method: String,
        /// How many it takes.
        expected: usize,
        /// Their names.
        names: String,
        /// How many came.
        got: usize,
    },
    /// A body that is not the JSON the connector sends.
    #[error("body is not a remote-backend call: {0}")]
    BadBody(String),
    /// A parameter the method needs is missing.
    #[error("{method}: parameter \"{name}\" is missing")]
    MissingParameter {
        /// The method.
        method: String,
        /// The parameter.
        name: &'static str,
    },
    /// A parameter that is not a string or a number.
    #[error("{method}: parameter \"{name}\" must be a string or a number, got {got}")]
    BadParameter {
        /// The method.
        method: String,
        /// The parameter.
        name: &'static str,
        /// What came instead.
        got: String,
    },
    /// A name that is not a domain name.
    #[error("{method}: \"{text}\" is not a domain name: {reason}")]
    BadName {
        /// The method.
        method: String,
        /// The name as received.
        text: String,
        /// What hickory-proto found wrong with it.
        reason: String,
    },
    /// A record type that is not a type mnemonic.
    #[error("{method}: \"{0}\" is not a record type (e.g. ANY, LOC, TXT, TYPE29)", method = .1)]
    BadType(String, String),
}

/// A decoded call: the method and its named parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// What is asked.
    pub method: Method,
    /// Its parameters by name, as the connector sends them in JSON.
    pub params: Map<String, Value>,
}

impl Call {
    /// A GET (or `post` without a body) call: `path` is what follows the
    /// backend's base path (`lookup/iss%2esat%2eexample%2e/ANY`), `query`
    /// the URL's query string.
    pub fn from_path(path: &str, query: Option<&str>) -> Result<Self, CallError> {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let method = Method::parse(&decode(segments.next().ok_or(CallError::NoMethod)?)?)?;
        let args: Vec<String> = segments.map(decode).collect::<Result<_, _>>()?;
        let names = method.path_parameters();
        // A declined method is answered "nothing" whatever it was given.
        if args.len() > names.len() && !matches!(method, Method::Declined(_)) {
            return Err(CallError::TooManyArguments {
                method: method.to_string(),
                expected: names.len(),
                names: names.join(", "),
                got: args.len(),
            });
        }
        // Arguments the call lacks are left out, from the front: `list`
        // comes with or without its domain_id.
        let skipped = names.len().saturating_sub(args.len());
        let skipped = if method == Method::List { skipped } else { 0 };
        let mut params: Map<String, Value> = names[skipped..]
            .iter()
            .zip(args)
            .map(|(name, value)| ((*name).to_owned(), Value::String(value)))
            .collect();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            params
                .entry(key.into_owned())
                .or_insert(Value::String(value.into_owned()));
        }
        Ok(Call { method, params })
    }

    /// A POST call: `post_json` (the body is `{"method":…,"parameters":{…}}`,
    /// sent to the base path) or `post` (the method in `path`, the body a
    /// form whose `parameters` field holds the parameters as JSON).
    pub fn from_body(path: &str, body: &[u8]) -> Result<Self, CallError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| CallError::BadBody("not UTF-8".to_owned()))?
            .trim();
        if text.is_empty() {
            return Self::from_path(path, None);
        }
        if text.starts_with('{') {
            let mut call: Map<String, Value> = serde_json::from_str(text)
                .map_err(|err| CallError::BadBody(format!("not a JSON object: {err}")))?;
            let method = match call.remove("method") {
                Some(Value::String(name)) => Method::parse(&name)?,
                _ => {
                    return Err(CallError::BadBody(
                        "expected a \"method\" string in the JSON object".to_owned(),
                    ));
                }
            };
            return Ok(Call {
                method,
                params: parameters_object(call.remove("parameters"))?,
            });
        }
        let mut call = Self::from_path(path, None)?;
        for (key, value) in form_urlencoded::parse(text.as_bytes()) {
            if key == "parameters" {
                let parsed = serde_json::from_str(&value).map_err(|err| {
                    CallError::BadBody(format!("the parameters field is not JSON: {err}"))
                })?;
                call.params.extend(parameters_object(Some(parsed))?);
            }
        }
        Ok(call)
    }

    /// The parameter `name` as text (numbers are spelled out, as the
    /// connector puts them in paths), if present.
    pub fn optional(&self, name: &'static str) -> Result<Option<String>, CallError> {
        match self.params.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(other) => Err(CallError::BadParameter {
                method: self.method.to_string(),
                name,
                got: other.to_string(),
            }),
        }
    }

    /// The parameter `name` as text; missing is an error.
    pub fn required(&self, name: &'static str) -> Result<String, CallError> {
        self.optional(name)?
            .ok_or_else(|| CallError::MissingParameter {
                method: self.method.to_string(),
                name,
            })
    }
}

/// `parameters` of a JSON call: an object, or absent for methods without.
fn parameters_object(value: Option<Value>) -> Result<Map<String, Value>, CallError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(params)) => Ok(params),
        Some(other) => Err(CallError::BadBody(format!(
            "\"parameters\" must be an object, got {other}"
        ))),
    }
}

/// One percent-encoded path segment as text.
fn decode(segment: &str) -> Result<String, CallError> {
    percent_decode_str(segment)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| CallError::BadEncoding(segment.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_paths_name_their_arguments_per_method() {
        let call = Call::from_path("lookup/iss%2esat%2eexample%2e/ANY", None).unwrap();
        assert_eq!(call.method, Method::Lookup);
        assert_eq!(call.required("qname").unwrap(), "iss.sat.example.");
        assert_eq!(call.required("qtype").unwrap(), "ANY");
        let list = Call::from_path("list/1/sat%2eexample%2e", None).unwrap();
        assert_eq!(list.required("domain_id").unwrap(), "1");
        assert_eq!(list.required("zonename").unwrap(), "sat.example.");
        let list = Call::from_path("list/sat%2eexample%2e", None).unwrap();
        assert_eq!(list.required("zonename").unwrap(), "sat.example.");
        let all = Call::from_path("getAllDomains", Some("includeDisabled=true")).unwrap();
        assert_eq!(all.method, Method::GetAllDomains);
        assert_eq!(all.required("includeDisabled").unwrap(), "true");
    }

    #[test]
    fn method_names_match_in_any_case() {
        for name in ["getAllDomains", "getalldomains", "GETALLDOMAINS"] {
            assert_eq!(Method::parse(name).unwrap(), Method::GetAllDomains);
        }
        assert_eq!(
            Method::parse("GetUpdatedMasters").unwrap(),
            Method::Declined("getUpdatedMasters")
        );
    }

    #[test]
    fn post_json_and_post_form_carry_the_same_call() {
        let json = br#"{"method":"lookup","parameters":{"qname":"iss.sat.example.","qtype":"LOC","zone-id":1}}"#;
        let from_json = Call::from_body("", json).unwrap();
        let form = b"parameters=%7B%22qname%22%3A%22iss.sat.example.%22%2C%22qtype%22%3A%22LOC%22%2C%22zone-id%22%3A1%7D";
        let from_form = Call::from_body("lookup", form).unwrap();
        assert_eq!(from_json, from_form);
        assert_eq!(from_json.required("zone-id").unwrap(), "1");
    }

    #[test]
    fn bad_calls_say_what_was_expected() {
        let cases: &[(Result<Call, CallError>, &str)] = &[
            (Call::from_path("", None), "no method"),
            (
                Call::from_path("frobnicate/x", None),
                "unknown method \"frobnicate\": this backend answers initialize, lookup",
            ),
            (
                Call::from_path("lookup/a/ANY/extra", None),
                "lookup takes at most 2 path arguments (qname, qtype), got 3",
            ),
            (
                Call::from_path("lookup/%ff/ANY", None),
                "argument \"%ff\" is not percent-encoded UTF-8",
            ),
            (Call::from_body("", b"{nope"), "not a JSON object"),
            (
                Call::from_body("", br#"{"parameters":{}}"#),
                "expected a \"method\" string",
            ),
            (
                Call::from_body("", br#"{"method":"lookup","parameters":[1]}"#),
                "\"parameters\" must be an object, got [1]",
            ),
        ];
        for (result, expected) in cases {
            let err = result.as_ref().unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        let call =
            Call::from_body("", br#"{"method":"lookup","parameters":{"qname":[]}}"#).unwrap();
        assert_eq!(
            call.required("qname").unwrap_err().to_string(),
            "lookup: parameter \"qname\" must be a string or a number, got []"
        );
        assert_eq!(
            call.required("qtype").unwrap_err().to_string(),
            "lookup: parameter \"qtype\" is missing"
        );
    }
}
