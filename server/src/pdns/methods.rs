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
