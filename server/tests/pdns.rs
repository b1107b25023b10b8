//! satloc behind a real PowerDNS Authoritative: `pdns_server` with
//! `launch=remote` asks satloc's `--pdns-listen` backend for the zone, and
//! what it serves over UDP and TCP must be what satloc serves itself at the
//! same frozen `--now` -- the LOC and TXT of several objects, the apex SOA
//! and NS, NXDOMAIN with the SOA, NODATA for a type the zone lacks. Run once
//! with pdns's default GET calls and once with `post_json`.
//!
//! Needs `pdns_server` and its remote backend (Debian's `pdns-server` and
//! `pdns-backend-remote`; `scripts/test.sh` installs them): without them the
//! test fails rather than skips, so CI cannot pass it by not running it.

mod common;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{NOW, Server, TempDir, query, tcp_pipelined, udp, udp_raw};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType};
use satloc_server::loc::{LOC, LocRdata};

/// Where Debian puts pdns_server (`/usr/sbin`, which is not on every PATH).
const PDNS_SERVER: &str = "/usr/sbin/pdns_server";

/// The objects compared, by the names the embedded catalogue gives them: low
/// orbits, a NORAD number, and a Molniya orbit whose altitude is beyond the
/// 21,474,836 m where pdns's centimetre `int` would overflow (field notes,
/// "PowerDNS remote backend").
const OBJECTS: &[&str] = &["iss", "hubble", "25544", "noaa-19", "molniya-1-91"];

/// pdns_server in the foreground on a free loopback port with its own
/// configuration directory; killed when dropped.
struct Pdns {
    child: Child,
    addr: SocketAddr,
    dir: TempDir,
}

impl Pdns {
    /// Starts pdns_server with satloc's backend at `backend` and the extra
    /// `remote-connection-string` options `options` (e.g. `,post_json=1`).
    fn start(backend: SocketAddr, options: &str) -> Pdns {
        let port = free_port();
        let dir = TempDir::new("pdns");
        let config = format!(
            "launch=remote\n\
             remote-connection-string=http:url=http://{backend}/dns{options}\n\
             local-address=127.0.0.1\n\
             local-port={port}\n\
             # No outside query for the security status.\n\
             security-poll-suffix=\n\
             # Caches as the README recommends for live positions.\n\
             query-cache-ttl=0\n\
             negquery-cache-ttl=0\n\
             cache-ttl=1\n\
             socket-dir={dir}\n\
             guardian=no\n\
             daemon=no\n\
             disable-syslog=yes\n\
             receiver-threads=1\n\
             distributor-threads=1\n\
             loglevel=5\n",
            dir = dir.0.display(),
        );
        dir.write("pdns.conf", &config);
        let log = std::fs::File::create(dir.0.join("pdns.log")).unwrap();
        let binary = if Path::new(PDNS_SERVER).exists() {
            PDNS_SERVER
        } else {
            "pdns_server"
        };
        let child = Command::new(binary)
            .arg(format!("--config-dir={}", dir.0.display()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect(
                "pdns_server is required for this test: \
                 apt-get install -y pdns-server pdns-backend-remote",
            );
        let pdns = Pdns {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        pdns.wait_until_serving_the_zone();
        pdns
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("pdns.log")).unwrap_or_default()
    }

    /// Waits until pdns answers the apex SOA with NOERROR: REFUSED means it
    /// has not filled its zone cache from `getAllDomains` yet.
    fn wait_until_serving_the_zone(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let probe = query("sat.example.", RecordType::SOA, None);
            let reply = udp_raw(
                self.addr,
                &probe.to_vec().unwrap(),
                Duration::from_millis(300),
            )
            .and_then(|bytes| Message::from_vec(&bytes).ok());
            if reply.is_some_and(|r| r.metadata.response_code == ResponseCode::NoError) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "pdns_server did not serve sat.example on {} within 15 s; its log:\n{}",
            self.addr,
            self.log()
        );
    }
}

impl Drop for Pdns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free for both UDP and TCP.
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// satloc with `args` and the backend on a free port, and that port, read
/// from its log.
fn start_satloc(args: &[&str]) -> (Server, SocketAddr) {
    let mut all = vec![
        "--now",
        NOW,
        "--ns",
        "ns1.sat.example=127.0.0.1",
        "--pdns-listen",
        "127.0.0.1:0",
    ];
    all.extend_from_slice(args);
    let server = Server::start(&all);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let log = server.log_text();
        let found = log
            .split("PowerDNS remote backend on http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|addr| addr.parse().ok());
        if let Some(addr) = found {
            return (server, addr);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "satloc did not say where the backend listens; log:\n{}",
        server.log_text()
    );
}

/// One exchange with `addr` over UDP or TCP.
fn ask(addr: SocketAddr, tcp: bool, name: &str, rtype: RecordType) -> Message {
    let message = query(name, rtype, None);
    if tcp {
        tcp_pipelined(addr, &[message]).remove(0)
    } else {
        udp(addr, &message)
    }
}

/// A section as comparable values: owner, type, TTL and data, in order
/// (the owner lower-cased: pdns echoes the question's spelling too, but
/// the comparison is about the records). LOC data, opaque to hickory-proto,
/// is shown in its presentation form so a failure reads like `dig`.
fn records(section: &[Record]) -> Vec<(String, RecordType, u32, String)> {
    section
        .iter()
        .map(|r| {
            let data = match &r.data {
                RData::Unknown { code, rdata } if *code == LOC => LocRdata::decode(&rdata.anything)
                    .map_or_else(|err| format!("bad LOC: {err}"), |loc| loc.to_string()),
                other => other.to_string(),
            };
            (
                r.name.to_ascii().to_ascii_lowercase(),
                r.record_type(),
                r.ttl,
                data,
            )
        })
        .collect()
}

/// The answers through pdns equal satloc's own, record for record.
fn same_answers(satloc: SocketAddr, pdns: SocketAddr, tcp: bool, name: &str, rtype: RecordType) {
    let direct = ask(satloc, tcp, name, rtype);
    let through = ask(pdns, tcp, name, rtype);
    let how = format!("{name} {rtype} over {}", if tcp { "TCP" } else { "UDP" });
    assert_eq!(
        direct.metadata.response_code,
        ResponseCode::NoError,
        "{how}: {direct}"
    );
    assert!(
        !direct.answers.is_empty(),
        "{how}: satloc answered nothing: {direct}"
    );
    assert_eq!(
        through.metadata.response_code,
        ResponseCode::NoError,
        "{how}: {through}"
    );
    assert!(through.metadata.authoritative, "{how}: not AA: {through}");
    assert_eq!(records(&through.answers), records(&direct.answers), "{how}");
}

/// A negative answer through pdns: `rcode`, no answers, and satloc's SOA
/// (the same as satloc's own negative answer carries) in the authority
/// section.
fn negative(
    satloc: SocketAddr,
    pdns: SocketAddr,
    tcp: bool,
    name: &str,
    rtype: RecordType,
    rcode: ResponseCode,
) {
    let direct = ask(satloc, tcp, name, rtype);
    let through = ask(pdns, tcp, name, rtype);
    let how = format!("{name} {rtype} over {}", if tcp { "TCP" } else { "UDP" });
    assert_eq!(
        direct.metadata.response_code, rcode,
        "{how}: satloc: {direct}"
    );
    assert_eq!(through.metadata.response_code, rcode, "{how}: {through}");
    assert!(through.answers.is_empty(), "{how}: {through}");
    let soa = records(&through.authorities);
    assert_eq!(soa.len(), 1, "{how}: {through}");
    assert_eq!(soa[0].1, RecordType::SOA, "{how}: {through}");
    assert_eq!(soa, records(&direct.authorities), "{how}");
}

/// Everything the module doc promises, through pdns with `options`.
fn pdns_serves_what_satloc_serves(options: &str) {
    let (satloc, backend) = start_satloc(&[]);
    let pdns = Pdns::start(backend, options);
    for tcp in [false, true] {
        for object in OBJECTS {
            let name = format!("{object}.sat.example.");
            same_answers(satloc.addr, pdns.addr, tcp, &name, LOC);
            same_answers(satloc.addr, pdns.addr, tcp, &name, RecordType::TXT);
        }
        same_answers(satloc.addr, pdns.addr, tcp, "sat.example.", RecordType::SOA);
        same_answers(satloc.addr, pdns.addr, tcp, "sat.example.", RecordType::NS);
        same_answers(
            satloc.addr,
            pdns.addr,
            tcp,
            "ns1.sat.example.",
            RecordType::A,
        );
        negative(
            satloc.addr,
            pdns.addr,
            tcp,
            "nothing.sat.example.",
            LOC,
            ResponseCode::NXDomain,
        );
        negative(
            satloc.addr,
            pdns.addr,
            tcp,
            "iss.sat.example.",
            RecordType::AAAA,
            ResponseCode::NoError,
        );
    }
    let errors: Vec<String> = pdns
        .log()
        .lines()
        .filter(|line| line.contains("rror") || line.contains("xception"))
        .map(str::to_owned)
        .collect();
    assert!(
        errors.is_empty(),
        "pdns logged errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn pdns_serves_what_satloc_serves_over_get() {
    pdns_serves_what_satloc_serves("");
}

#[test]
fn pdns_serves_what_satloc_serves_over_post_json() {
    pdns_serves_what_satloc_serves(",post_json=1");
}

/// Objects whose TXT is unusual, through pdns's zone-file parser: a name with
/// quotes, a backslash and non-ASCII bytes (escaped as `\DDD`), an orbit above
/// what LOC can encode (TXT only, LOC is NODATA), and elements SGP4 fails on
/// (TXT with the reason, at the 255-byte limit).
#[test]
fn pdns_serves_odd_objects_as_satloc_does() {
    let dir = TempDir::new("pdns-odd");
    let odd = dir.write(
        "odd.tle",
        "ODD \"NAME\" \\ \u{dc}\n\
         1 25544U 98067A   25333.83453771  .00008010  00000+0  15237-3 0  9993\n\
         2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850\n",
    );
    let edge_cases = common::fixtures().join("catalogs/edge-cases.tle");
    let edge_cases = edge_cases.to_string_lossy();
    let (satloc, backend) = start_satloc(&["--catalog", &odd, "--catalog", &edge_cases]);
    let pdns = Pdns::start(backend, "");
    for tcp in [false, true] {
        for name in ["25544", "90001", "90002"] {
            let name = format!("{name}.sat.example.");
            same_answers(satloc.addr, pdns.addr, tcp, &name, RecordType::TXT);
        }
        same_answers(satloc.addr, pdns.addr, tcp, "25544.sat.example.", LOC);
        for name in ["90001", "90002"] {
            let name = format!("{name}.sat.example.");
            negative(
                satloc.addr,
                pdns.addr,
                tcp,
                &name,
                LOC,
                ResponseCode::NoError,
            );
        }
    }
    // The bytes themselves, not only equal to satloc's: the name came through.
    let txt = ask(pdns.addr, false, "25544.sat.example.", RecordType::TXT);
    let RData::TXT(data) = &txt.answers[0].data else {
        panic!("not TXT: {txt}");
    };
    assert!(
        data.txt_data[0].starts_with("ODD \"NAME\" \\ \u{dc} (NORAD 25544)".as_bytes()),
        "{txt}"
    );
}
