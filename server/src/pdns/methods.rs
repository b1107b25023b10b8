//! What each remote-backend method answers, from the service's zone,
//! catalogue and clock: the records come from [`records`], the same values
//! satloc's own DNS answers are built from, rendered as the zone-file text
//! PowerDNS parses.
//!
//! Every reply is a JSON object with a `result`: PowerDNS takes `false` for
//! "nothing here" (a name it then answers NXDOMAIN or NODATA for, a zone it
//! does not serve, a method with nothing to report), and throws on a body
//! without `result` -- an empty 200 becomes SERVFAIL. Messages for its log go
//! in `log`.

use hickory_proto::rr::{Name, RecordType};
use serde::Serialize;
use serde_json::{Value, json};

use super::call::{Call, CallError, Method};
use crate::answer::records::{self, RecordData, ZoneRecord};
use crate::loc::LOC;
use crate::service::Service;

/// The zone's id in PowerDNS's zone cache: satloc serves one zone.
pub const DOMAIN_ID: i64 = 1;

/// One record as the remote backend's `lookup` and `list` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendRecord {
    /// The owner name, fully qualified.
    pub qname: String,
    /// The type's mnemonic.
    pub qtype: &'static str,
    /// The data in zone-file syntax.
    pub content: String,
    /// Seconds.
    pub ttl: u32,
    /// Always [`DOMAIN_ID`].
    pub domain_id: i64,
    /// Authoritative data (not delegation glue).
    pub auth: bool,
}

impl BackendRecord {
    /// `record` as PowerDNS reads it.
    pub fn of(record: &ZoneRecord) -> Self {
        BackendRecord {
            qname: record.owner.to_ascii(),
            qtype: mnemonic(&record.data),
            content: record.data.to_string(),
            ttl: record.ttl,
            domain_id: DOMAIN_ID,
            auth: true,
        }
    }
}

fn mnemonic(data: &RecordData) -> &'static str {
    match data {
        RecordData::Soa(_) => "SOA",
        RecordData::Ns(_) => "NS",
        RecordData::A(_) => "A",
        RecordData::Aaaa(_) => "AAAA",
        RecordData::Loc(_) => "LOC",
        RecordData::Txt(_) => "TXT",
    }
}

/// The reply to `call`, as JSON: `{"result": …}`.
pub fn answer(service: &Service, call: &Call) -> Result<Value, CallError> {
    let result = match &call.method {
        Method::Initialize => Value::Bool(true),
        Method::Lookup => lookup(service, call)?,
        Method::List => list(service, call)?,
        Method::GetAllDomains => json!([domain_info(service)]),
        Method::GetDomainInfo => {
            let name = name_parameter(call, "name")?;
            if name == service.zone().apex {
                domain_info(service)
            } else {
                Value::Bool(false)
            }
        }
        // No metadata, keys or writes: "nothing" is what pdns expects.
        Method::GetAllDomainMetadata | Method::GetDomainMetadata | Method::Declined(_) => {
            Value::Bool(false)
        }
    };
    Ok(json!({ "result": result }))
}

/// The zone as `getAllDomains` and `getDomainInfo` describe it. The serial is
/// the SOA's, which changes when the elements do.
fn domain_info(service: &Service) -> Value {
    json!({
        "id": DOMAIN_ID,
        "zone": service.zone().apex.to_ascii(),
        "kind": "native",
        "serial": service.catalog().serial(),
        "notified_serial": 0,
        "last_check": 0,
        "masters": [],
    })
}

/// `lookup`: the records at `qname` of `qtype` (all of them for ANY), or
/// `false` when there are none, whether the name exists or not: pdns asks
/// ANY and tells NXDOMAIN from NODATA itself.
fn lookup(service: &Service, call: &Call) -> Result<Value, CallError> {
    let qname = name_parameter(call, "qname")?;
    let Some(qtype) = type_parameter(call)? else {
        return Ok(Value::Bool(false));
    };
    let zone = service.zone();
    if !zone.apex.zone_of(&qname) || matches!(qtype, RecordType::AXFR | RecordType::IXFR) {
        return Ok(Value::Bool(false));
    }
    let catalog = service.catalog();
    let found = records::lookup(zone, &catalog, service.clock().now(), &qname, qtype);
    if found.exists && found.answers.is_empty() && qtype == RecordType::ANY {
        return Ok(json!([{
            "qname": qname.to_ascii(),
            "qtype": "ENT",
            "content": "",
            "ttl": zone.ttl,
            "domain_id": DOMAIN_ID,
            "auth": true,
        }]));
    }
    Ok(records_or_false(&found.answers))
}

/// `list`: every record of the zone, if it is the zone asked for.
fn list(service: &Service, call: &Call) -> Result<Value, CallError> {
    let zone = service.zone();
    let ours = match call.optional("zonename")? {
        Some(_) => name_parameter(call, "zonename")? == zone.apex,
        None => call.required("domain_id")? == DOMAIN_ID.to_string(),
    };
    if !ours {
        return Ok(Value::Bool(false));
    }
    let catalog = service.catalog();
    let contents = records::zone_contents(zone, &catalog, service.clock().now());
    Ok(records_or_false(&contents))
}

fn records_or_false(records: &[ZoneRecord]) -> Value {
    if records.is_empty() {
        return Value::Bool(false);
    }
    let rendered: Vec<BackendRecord> = records.iter().map(BackendRecord::of).collect();
    // Plain strings and numbers: serialising them cannot fail.
    serde_json::to_value(rendered).unwrap_or(Value::Bool(false))
}

/// The parameter `name` as a domain name, fully qualified and lower case
/// (pdns sends names with their trailing dot; one without is taken as
/// fully qualified too).
fn name_parameter(call: &Call, name: &'static str) -> Result<Name, CallError> {
    let text = call.required(name)?;
    let mut parsed = Name::from_ascii(&text).map_err(|err| CallError::BadName {
        method: call.method.to_string(),
        text: text.clone(),
        reason: err.to_string(),
    })?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// The `qtype` parameter: `ANY`, a mnemonic or `TYPEnnn`, in any case. A
/// mnemonic hickory-proto does not know (pdns has types of its own, such as
/// ALIAS) is `None`: a type the zone holds nothing of.
fn type_parameter(call: &Call) -> Result<Option<RecordType>, CallError> {
    let text = call.required("qtype")?;
    let upper = text.to_ascii_uppercase();
    if upper.is_empty()
        || !upper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(CallError::BadType(text, call.method.to_string()));
    }
    if upper == "LOC" {
        return Ok(Some(LOC));
    }
    if let Some(number) = upper.strip_prefix("TYPE") {
        return match number.parse::<u16>() {
            Ok(code) => Ok(Some(RecordType::from(code))),
            Err(_) => Err(CallError::BadType(text, call.method.to_string())),
        };
    }
    Ok(upper.parse::<RecordType>().ok())
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use hickory_proto::op::Message;
    use hickory_proto::rr::RData;

    use super::*;
    use crate::answer::AnswerPath;
    use crate::catalog::{Catalog, NamingOptions, Source};
    use crate::clock::Clock;
    use crate::engine::{Handler, Protocol};
    use crate::loc::LocRdata;
    use crate::synthetic::PlantedCost;
    use crate::testing::TestQuery;
    use crate::zone::Zone;

    const NOW: &str = "2026-11-28T12:00:00Z";

    /// The embedded catalogue at a frozen instant, on the fast answer path
    /// (which writes the wire format itself, apart from [`records`]), with
    /// an in-zone name server one label below an empty non-terminal.
    fn service() -> Service {
        let catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog;
        let mut zone = Zone::new("sat.example").unwrap();
        let ns = Name::from_ascii("ns1.dns.sat.example.").unwrap();
        zone.nameservers = vec![ns.clone()];
        zone.ns_addresses = vec![(ns, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])];
        Service::new(
            zone,
            Clock::frozen_at(NOW).unwrap(),
            catalog,
            AnswerPath::Fast,
            PlantedCost::calibrate(0),
        )
    }

    fn call(path: &str) -> Value {
        let call = Call::from_path(path, None).unwrap();
        answer(&service(), &call).unwrap()
    }

    /// The records of a lookup reply, as (qname, qtype, content).
    fn records(reply: &Value) -> Vec<(String, String, String)> {
        reply["result"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list of records: {reply}"))
            .iter()
            .map(|r| {
                let text = |key: &str| r[key].as_str().unwrap().to_owned();
                assert_eq!(r["domain_id"], DOMAIN_ID, "{r}");
                assert_eq!(r["auth"], true, "{r}");
                (text("qname"), text("qtype"), text("content"))
            })
            .collect()
    }

    /// satloc's own DNS answer to `name`/`rtype`, through the service's
    /// answer path.
    fn dns_answer(service: &Service, name: &str, rtype: RecordType) -> Message {
        let query = TestQuery::new(name, rtype).to_bytes();
        let mut out = Vec::new();
        service.handle(
            &query,
            Protocol::Udp,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            &mut out,
        );
        Message::from_vec(&out).unwrap()
    }

    #[test]
    fn get_all_domains_lists_the_zone_with_its_serial() {
        let reply = call("getAllDomains");
        let zones = reply["result"].as_array().unwrap();
        assert_eq!(zones.len(), 1, "{reply}");
        assert_eq!(zones[0]["zone"], "sat.example.");
        assert_eq!(zones[0]["id"], DOMAIN_ID);
        assert_eq!(zones[0]["kind"], "native");
        assert_eq!(zones[0]["serial"], service().catalog().serial());
    }

    #[test]
    fn get_domain_info_knows_only_the_zone() {
        assert_eq!(
            call("getDomainInfo/sat%2eexample%2e")["result"]["zone"],
            "sat.example."
        );
        assert_eq!(
            call("getDomainInfo/SAT%2eEXAMPLE")["result"]["zone"],
            "sat.example."
        );
        assert_eq!(call("getDomainInfo/other%2eexample%2e")["result"], false);
        assert_eq!(
            call("getAllDomainMetadata/sat%2eexample%2e")["result"],
            false
        );
    }

    #[test]
    fn lookup_any_gives_loc_and_txt_of_an_object() {
        let found = records(&call("lookup/iss%2esat%2eexample%2e/ANY"));
        let types: Vec<&str> = found.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(types, ["LOC", "TXT"], "{found:?}");
        assert!(found.iter().all(|(name, _, _)| name == "iss.sat.example."));
        assert!(
            found[1].2.starts_with("\"ISS (ZARYA) (NORAD 25544)"),
            "{found:?}"
        );
    }

    #[test]
    fn lookup_loc_content_is_the_dns_answers_loc_in_presentation_form() {
        let service = service();
        for name in ["iss", "hubble", "molniya-1-91", "25544"] {
            let qname = format!("{name}.sat.example.");
            let message = dns_answer(&service, &qname, LOC);
            let [record] = message.answers.as_slice() else {
                panic!("{qname}: {message}");
            };
            let RData::Unknown { rdata, .. } = &record.data else {
                panic!("{qname}: not opaque LOC data: {record}");
            };
            let wire = LocRdata::decode(&rdata.anything).unwrap().to_string();
            let path = format!("lookup/{}/LOC", qname.replace('.', "%2e"));
            let reply = answer(&service, &Call::from_path(&path, None).unwrap()).unwrap();
            let found = records(&reply);
            assert_eq!(found, [(qname.clone(), "LOC".to_owned(), wire)], "{qname}");
            assert_eq!(reply["result"][0]["ttl"], record.ttl, "{qname}");
        }
    }

    #[test]
    fn lookup_at_the_apex_gives_soa_and_ns() {
        let found = records(&call("lookup/sat%2eexample%2e/ANY"));
        assert_eq!(
            found,
            [
                (
                    "sat.example.".to_owned(),
                    "SOA".to_owned(),
                    format!(
                        "ns1.sat.example. hostmaster.sat.example. {} 14400 3600 1209600 5",
                        service().catalog().serial()
                    )
                ),
                (
                    "sat.example.".to_owned(),
                    "NS".to_owned(),
                    "ns1.dns.sat.example.".to_owned()
                ),
            ]
        );
        let soa = records(&call("lookup/sat%2eexample%2e/soa"));
        assert_eq!(soa, found[..1]);
    }

    #[test]
    fn nothing_there_is_false_never_an_empty_list() {
        for path in [
            // No such object.
            "lookup/nothing%2esat%2eexample%2e/ANY",
            // pdns's wildcard probe before it says NXDOMAIN.
            "lookup/%2a%2esat%2eexample%2e/ANY",
            // An object has no addresses: NODATA, which pdns works out itself.
            "lookup/iss%2esat%2eexample%2e/AAAA",
            // A type pdns knows and hickory-proto does not.
            "lookup/iss%2esat%2eexample%2e/ALIAS",
            // Outside the zone, and transfers.
            "lookup/iss%2eother%2eexample%2e/ANY",
            "lookup/sat%2eexample%2e/AXFR",
            "list/2/other%2eexample%2e",
        ] {
            assert_eq!(call(path), json!({ "result": false }), "{path}");
        }
    }

    #[test]
    fn an_empty_non_terminal_exists_for_pdns() {
        let reply = call("lookup/dns%2esat%2eexample%2e/ANY");
        assert_eq!(
            records(&reply),
            [(
                "dns.sat.example.".to_owned(),
                "ENT".to_owned(),
                String::new()
            )]
        );
        let host = records(&call("lookup/ns1%2edns%2esat%2eexample%2e/A"));
        assert_eq!(host[0].2, "127.0.0.1");
    }

    #[test]
    fn list_gives_every_name_with_its_records() {
        for path in ["list/1/sat%2eexample%2e", "list/sat%2eexample%2e"] {
            let found = records(&call(path));
            assert_eq!(found[0].1, "SOA", "{path}");
            for name in ["iss", "25544", "hubble", "molniya-1-91"] {
                let qname = format!("{name}.sat.example.");
                let types: Vec<&str> = found
                    .iter()
                    .filter(|(owner, _, _)| *owner == qname)
                    .map(|(_, t, _)| t.as_str())
                    .collect();
                assert_eq!(types, ["LOC", "TXT"], "{path}: {qname}");
            }
        }
    }

    #[test]
    fn post_json_calls_get_the_same_answers_as_get() {
        let service = service();
        let body = br#"{"method":"lookup","parameters":{"qname":"iss.sat.example.","qtype":"ANY","remote":"127.0.0.1","local":"0.0.0.0","real-remote":"127.0.0.1/32","zone-id":1}}"#;
        let posted = answer(&service, &Call::from_body("", body).unwrap()).unwrap();
        let got = answer(
            &service,
            &Call::from_path("lookup/iss%2esat%2eexample%2e/ANY", None).unwrap(),
        )
        .unwrap();
        assert_eq!(posted, got);
    }

    #[test]
    fn bad_parameters_are_errors_that_name_them() {
        let service = service();
        let cases = [
            (
                "lookup/iss%2esat%2eexample%2e",
                "lookup: parameter \"qtype\" is missing",
            ),
            (
                "lookup/iss%2esat%2eexample%2e/L%20C",
                "lookup: \"L C\" is not a record type",
            ),
            (
                "lookup/iss%2esat%2eexample%2e/TYPE99999",
                "lookup: \"TYPE99999\" is not a record type",
            ),
            (
                "lookup/a%2e%2eb/ANY",
                "lookup: \"a..b\" is not a domain name",
            ),
            (
                "getDomainInfo",
                "getDomainInfo: parameter \"name\" is missing",
            ),
            ("list", "list: parameter \"domain_id\" is missing"),
        ];
        for (path, expected) in cases {
            let call = Call::from_path(path, None).unwrap();
            let err = answer(&service, &call).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{path}: {err}");
        }
    }
}
