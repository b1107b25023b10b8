//! Binding the UDP sockets and TCP listeners before the runtime starts.
//!
//! UDP and TCP share each address. With several UDP sockets per address they
//! are bound with `SO_REUSEPORT`, so the kernel spreads datagrams over them by
//! flow and each runtime worker can own one (the PowerDNS/Knot pattern). Port 0
//! is resolved by the first bind and reused for the rest, so tests can ask for
//! "any free port" and still get UDP and TCP on the same one; when the port the
//! kernel chose for UDP is taken for TCP (by some other connection's local
//! port), another is tried.

use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

/// Bound, non-blocking sockets ready for [`super::run`].
#[derive(Debug)]
pub struct Listeners {
    /// UDP sockets, `per_address` for each address.
    pub udp: Vec<UdpSocket>,
    /// One TCP listener per address.
    pub tcp: Vec<TcpListener>,
    /// The addresses actually bound (port 0 resolved), one per requested address.
    pub local_addrs: Vec<SocketAddr>,
}

impl Listeners {
    /// Binds `per_address` UDP sockets and one TCP listener on each address.
    pub fn bind(addrs: &[SocketAddr], per_address: usize) -> io::Result<Self> {
        let per_address = per_address.max(1);
        let mut listeners = Listeners {
            udp: Vec::new(),
            tcp: Vec::new(),
            local_addrs: Vec::new(),
        };
        for &requested in addrs {
            let mut attempt = 1;
            let (udp, tcp, addr) = loop {
                match bind_one(requested, per_address) {
                    Err(err)
                        if requested.port() == 0
                            && err.kind() == io::ErrorKind::AddrInUse
                            && attempt < ANY_PORT_ATTEMPTS =>
                    {
                        attempt += 1;
                    }
                    bound => break bound?,
                }
            };
            listeners.udp.extend(udp);
            listeners.tcp.push(tcp);
            listeners.local_addrs.push(addr);
        }
        Ok(listeners)
    }
}

/// How many ports are tried for a requested port 0.
const ANY_PORT_ATTEMPTS: usize = 10;

/// `per_address` UDP sockets and a TCP listener on one address (port 0: the
/// port the first UDP bind gets).
fn bind_one(
    requested: SocketAddr,
    per_address: usize,
) -> io::Result<(Vec<UdpSocket>, TcpListener, SocketAddr)> {
    let mut addr = requested;
    let mut udp = Vec::with_capacity(per_address);
    for _ in 0..per_address {
        let socket = udp_socket(addr, per_address > 1)
            .map_err(|e| with_context(e, format!("cannot bind UDP {addr}")))?;
        addr = socket.local_addr()?;
        udp.push(socket);
    }
    let tcp = tcp_listener(addr).map_err(|e| with_context(e, format!("cannot bind TCP {addr}")))?;
    Ok((udp, tcp, addr))
}

fn with_context(err: io::Error, context: String) -> io::Error {
    io::Error::new(err.kind(), format!("{context}: {err}"))
}

fn udp_socket(addr: SocketAddr, reuse_port: bool) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        // Keep [::] and 0.0.0.0 independent so both can be listed.
        socket.set_only_v6(true)?;
    }
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    // Bursts from a load generator should queue, not drop.
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

fn tcp_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_zero_gives_udp_and_tcp_the_same_port() {
        let listeners = Listeners::bind(&["127.0.0.1:0".parse().unwrap()], 3).unwrap();
        assert_eq!(listeners.udp.len(), 3);
        let port = listeners.local_addrs[0].port();
        assert_ne!(port, 0);
        for socket in &listeners.udp {
            assert_eq!(socket.local_addr().unwrap().port(), port);
        }
        assert_eq!(listeners.tcp[0].local_addr().unwrap().port(), port);
    }

    /// The kind survives the added context: it is what decides whether a
    /// port-0 bind tries another port.
    #[test]
    fn a_port_taken_for_tcp_only_is_addr_in_use() {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        if UdpSocket::bind(addr).is_err() {
            return; // the UDP port is taken as well: nothing to show here
        }
        let err = Listeners::bind(&[addr], 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
        assert!(
            err.to_string().contains(&format!("cannot bind TCP {addr}")),
            "{err}"
        );
    }

    #[test]
    fn a_taken_port_is_an_error_naming_it() {
        let first = Listeners::bind(&["127.0.0.1:0".parse().unwrap()], 1).unwrap();
        let err = Listeners::bind(&first.local_addrs, 1).unwrap_err();
        assert!(
            err.to_string().contains(&first.local_addrs[0].to_string()),
            "{err}"
        );
    }
}
