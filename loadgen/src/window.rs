//! How many queries one UDP socket may have in flight: no more than its
//! receive buffer holds answers for.
//!
//! The kernel drops a datagram that arrives when a socket's buffer is full
//! (`RcvbufErrors` in `/proc/net/snmp`, `d` in `ss -m`), and a closed loop
//! of N queries on one socket can have N answers arrive at once. So the
//! window per socket follows from the buffer the kernel actually granted
//! (it caps requests at `net.core.rmem_max` unless forced as root), and high
//! concurrency is spread over as many sockets as it takes. dnsperf, which
//! keeps the default 208 KiB, loses queries this way at `-q 1000` and above
//! against a fast server (loadgen/README.md, "Against the echo floor").

/// Kernel memory one small answer takes in a receive buffer. Measured: a
/// 40-byte datagram on loopback is charged 832 bytes (`ss -m` after 100
/// unread datagrams, Linux 6.1); 1280 leaves room for answers up to about
/// 400 bytes. Larger answers overrun the estimate, which only matters when
/// the buffer is also small.
pub const ANSWER_TRUESIZE: usize = 1280;

/// Most sockets one thread opens (also `--sockets`'s limit).
pub const MAX_SOCKETS: usize = 1024;

/// How many answers a receive buffer of `recv_buffer_bytes` (as the kernel
/// reports it back: twice what was asked) holds; at least one. Only three
/// quarters of it count: Linux gives the memory of datagrams already read
/// back to a UDP socket in steps of a quarter of its buffer
/// (`udp_rmem_release`), so up to that much can still be charged.
pub fn answers_held(recv_buffer_bytes: usize) -> usize {
    (recv_buffer_bytes / 4 * 3 / ANSWER_TRUESIZE).max(1)
}

/// Sockets for a thread keeping `concurrency` queries in flight when each
/// socket holds `held` answers: the usual `default` (never more sockets than
/// queries), or more when that many cannot hold the answers.
pub fn sockets_for(concurrency: usize, held: usize, default: usize) -> usize {
    let usual = concurrency.min(default);
    concurrency
        .div_ceil(held.max(1))
        .max(usual)
        .clamp(1, MAX_SOCKETS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_buffer_holds_about_120_answers() {
        // 212,992 bytes: Linux's default rmem, what dnsperf's sockets get.
        assert_eq!(answers_held(212_992), 124);
        assert_eq!(answers_held(8 << 20), 4915);
        assert_eq!(answers_held(100), 1, "a tiny buffer still allows one");
    }

    #[test]
    fn low_concurrency_keeps_the_usual_sockets() {
        assert_eq!(sockets_for(1, 4915, 4), 1);
        assert_eq!(sockets_for(3, 4915, 4), 3);
        assert_eq!(sockets_for(3000, 4915, 4), 4);
    }

    #[test]
    fn high_concurrency_gets_a_socket_per_buffer_full() {
        assert_eq!(sockets_for(1000, 124, 4), 9);
        assert_eq!(sockets_for(3000, 124, 4), 25);
        assert_eq!(sockets_for(3000, 249, 4), 13);
        // Each socket's share (split evenly) then fits its buffer.
        for (concurrency, held) in [(1000, 124), (3000, 124), (999, 7), (5, 1)] {
            let sockets = sockets_for(concurrency, held, 4);
            assert!(
                concurrency.div_ceil(sockets) <= held,
                "{concurrency}/{held}"
            );
        }
    }

    #[test]
    fn never_more_than_the_socket_limit() {
        assert_eq!(sockets_for(1_000_000, 1, 4), MAX_SOCKETS);
        assert_eq!(sockets_for(0, 1, 4), 1);
    }
}
