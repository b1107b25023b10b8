//! A real resolver in front of satloc: Unbound, with `sat.example` as a stub
//! zone pointing at the server, must resolve what satloc serves and accept
//! its negative answers -- the same records a client asking satloc directly
//! gets. Needs `unbound` (Debian's package; `scripts/test.sh` installs it).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{NOW, Server, TempDir, query, udp, udp_raw};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};
use satloc_server::loc::LOC;

/// Unbound on a free loopback port, killed when dropped.
struct Unbound {
    child: Child,
    addr: SocketAddr,
    _dir: TempDir,
}

impl Unbound {
    /// Starts Unbound forwarding nothing, with `sat.example` stubbed to `satloc`.
    fn start(satloc: SocketAddr) -> Unbound {
        let port = free_udp_port();
        let dir = TempDir::new("unbound");
        let config = format!(
            "server:\n\
             \x20   interface: 127.0.0.1@{port}\n\
             \x20   port: {port}\n\
             \x20   do-daemonize: no\n\
             \x20   username: \"\"\n\
             \x20   chroot: \"\"\n\
             \x20   directory: \"{dir}\"\n\
             \x20   pidfile: \"\"\n\
             \x20   use-syslog: no\n\
             \x20   do-not-query-localhost: no\n\
             \x20   module-config: \"iterator\"\n\
             \x20   access-control: 127.0.0.0/8 allow\n\
             \x20   harden-glue: yes\n\
             \x20   qname-minimisation: yes\n\
             stub-zone:\n\
             \x20   name: \"sat.example\"\n\
             \x20   stub-addr: {ip}@{satloc_port}\n",
            dir = dir.0.display(),
            ip = satloc.ip(),
            satloc_port = satloc.port(),
        );
        let config_path = dir.write("unbound.conf", &config);
        let child = Command::new("unbound")
            .args(["-d", "-c", &config_path])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unbound is required for this test: apt-get install -y unbound");
        let unbound = Unbound {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: dir,
        };
        unbound.wait_until_answering();
        unbound
    }

    fn wait_until_answering(&self) {
        let probe = query("sat.example.", RecordType::SOA, None)
            .to_vec()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if udp_raw(self.addr, &probe, Duration::from_millis(200)).is_some() {
                return;
            }
        }
        panic!("unbound did not answer on {} within 10 s", self.addr);
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers(message: &Message, rtype: RecordType) -> Vec<RData> {
    message
        .answers
        .iter()
        .filter(|r| r.record_type() == rtype)
        .map(|r| r.data.clone())
        .collect()
}

#[test]
fn unbound_resolves_what_satloc_serves() {
    let satloc = Server::start(&["--now", NOW, "--ns", "ns1.sat.example=127.0.0.1"]);
    let unbound = Unbound::start(satloc.addr);
    for (name, rtype) in [
        ("iss.sat.example.", LOC),
        ("hubble.sat.example.", RecordType::TXT),
        ("sat.example.", RecordType::SOA),
        ("sat.example.", RecordType::NS),
        ("ns1.sat.example.", RecordType::A),
    ] {
        let direct = udp(satloc.addr, &query(name, rtype, None));
        let resolved = udp(unbound.addr, &query(name, rtype, None));
        assert_eq!(
            resolved.metadata.response_code,
            ResponseCode::NoError,
            "{name} {rtype}: {resolved}"
        );
        assert!(
            !answers(&direct, rtype).is_empty(),
            "{name} {rtype} directly: {direct}"
        );
        assert_eq!(
            answers(&resolved, rtype),
            answers(&direct, rtype),
            "{name} {rtype} through unbound"
        );
    }
    let nx = udp(unbound.addr, &query("nothing.sat.example.", LOC, None));
    assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain, "{nx}");
    let nodata = udp(
        unbound.addr,
        &query("iss.sat.example.", RecordType::AAAA, None),
    );
    assert_eq!(
        nodata.metadata.response_code,
        ResponseCode::NoError,
        "{nodata}"
    );
    assert!(nodata.answers.is_empty(), "{nodata}");
}
