//! Response rate limiting (RRL), the way Knot's `mod-rrl` and BIND's
//! `rate-limit` do it, so the server cannot be used to reflect a flood at a
//! spoofed victim.
//!
//! Each UDP response is charged to its key -- the client's prefix and the
//! response's class ([`key`]) -- in a fixed table of token buckets
//! ([`table`]). Within `rate` responses per second it goes out as built; past
//! it, every `slip`-th limited response goes out as an empty TC=1 reply
//! ([`slip`]) and the rest are dropped. TCP is never limited (a TCP client
//! has proved its address), nor are clients in `--rrl-exempt` prefixes, nor
//! queries carrying a server cookie that verifies (the service checks that
//! before asking). How to size it: the README, "Running on the internet".

pub mod key;
pub mod slip;
pub mod table;

use std::net::IpAddr;

use ipnet::IpNet;

pub use key::ResponseClass;
use table::{Table, Take};

/// BIND's default slip: every second limited response is a TC reply (Knot's
/// is 1, every one). Half the limited responses dropped halves what a victim
/// receives, and a real resolver still gets through after a retry or two.
pub const DEFAULT_SLIP: u32 = 2;
/// Buckets in the table: 2^18, 2 MiB, made at start (Knot's default table
/// has 393,241 entries).
pub const DEFAULT_SLOTS: usize = 1 << 18;

/// How the limiter is set up (`--rrl-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RrlOptions {
    /// Responses per second per prefix and class.
    pub rate: u32,
    /// Every `slip`-th limited response is sent as a TC reply; 0: none are.
    pub slip: u32,
    /// Prefixes never limited.
    pub exempt: Vec<IpNet>,
    /// Buckets in the table (rounded up to a power of two).
    pub slots: usize,
}

/// What to do with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it as built.
    Send,
    /// Over the rate: send it as a TC reply instead ([`slip::truncate`]).
    Slip(ResponseClass),
    /// Over the rate: send nothing.
    Drop(ResponseClass),
}

/// The rate limiter: its settings and its table.
#[derive(Debug)]
pub struct RateLimiter {
    /// Responses per second per key.
    rate: u32,
    /// Every `slip`-th limited response slips; 0: none.
    slip: u32,
    /// Prefixes that are never limited.
    exempt: Vec<IpNet>,
    /// The buckets.
    table: Table,
}

impl RateLimiter {
    /// A limiter with its whole table allocated now.
    pub fn new(options: RrlOptions) -> Self {
        RateLimiter {
            rate: options.rate,
            slip: options.slip,
            exempt: options.exempt,
            table: Table::new(options.slots),
        }
    }

    /// Decides for `response`, about to be sent over UDP to `client` at
    /// second `now` of a monotonic clock ([`now_s`]).
    pub fn check(&self, client: IpAddr, response: &[u8], now: u32) -> Verdict {
        if self.exempt.iter().any(|net| net.contains(&client)) {
            return Verdict::Send;
        }
        let class = ResponseClass::of(response);
        let slot = self.table.slot_of(&key::prefix(client), class);
        match self.table.take(slot, self.rate, now) {
            Take::Pass => Verdict::Send,
            Take::Limited { nth } if self.slip > 0 && nth % self.slip == 0 => Verdict::Slip(class),
            Take::Limited { .. } => Verdict::Drop(class),
        }
    }
}

/// Seconds of the system's coarse monotonic clock: the limiter counts whole
/// seconds, and the coarse clock is the cheapest to read (a few nanoseconds,
/// no time-stamp counter).
pub fn now_s() -> u32 {
    use nix::time::{ClockId, clock_gettime};
    // Truncated: the table compares seconds for equality only.
    clock_gettime(ClockId::CLOCK_MONOTONIC_COARSE).map_or(0, |now| now.tv_sec() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loc::LOC;
    use crate::testing::TestQuery;

    fn limiter(rate: u32, slip: u32, exempt: &[&str]) -> RateLimiter {
        RateLimiter::new(RrlOptions {
            rate,
            slip,
            exempt: exempt.iter().map(|net| net.parse().unwrap()).collect(),
            slots: 1024,
        })
    }

    /// A NOERROR response with one answer record (its bytes need only be
    /// classified).
    fn answer() -> Vec<u8> {
        let mut bytes = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        bytes[2] |= 0x80;
        bytes[7] = 1; // ANCOUNT
        bytes
    }

    fn nxdomain() -> Vec<u8> {
        let mut bytes = answer();
        bytes[3] = 3;
        bytes
    }

    fn tally(limiter: &RateLimiter, client: &str, response: &[u8], n: usize) -> [usize; 3] {
        let client = client.parse().unwrap();
        let mut counts = [0; 3];
        for _ in 0..n {
            match limiter.check(client, response, 7) {
                Verdict::Send => counts[0] += 1,
                Verdict::Slip(_) => counts[1] += 1,
                Verdict::Drop(_) => counts[2] += 1,
            }
        }
        counts
    }

    #[test]
    fn past_the_rate_every_slip_th_slips_and_the_rest_drop() {
        // 20x the rate in one second: rate sent, (19 x rate) / slip slipped.
        let rrl = limiter(10, 2, &[]);
        assert_eq!(tally(&rrl, "192.0.2.1", &answer(), 200), [10, 95, 95]);
        let all_slip = limiter(10, 1, &[]);
        assert_eq!(tally(&all_slip, "192.0.2.1", &answer(), 200), [10, 190, 0]);
        let no_slip = limiter(10, 0, &[]);
        assert_eq!(tally(&no_slip, "192.0.2.1", &answer(), 200), [10, 0, 190]);
        let third = limiter(10, 3, &[]);
        assert_eq!(tally(&third, "192.0.2.1", &answer(), 40), [10, 10, 20]);
    }

    #[test]
    fn prefixes_and_classes_have_budgets_of_their_own() {
        let rrl = limiter(5, 0, &[]);
        assert_eq!(tally(&rrl, "192.0.2.1", &answer(), 10), [5, 0, 5]);
        assert_eq!(
            tally(&rrl, "192.0.2.200", &answer(), 1),
            [0, 0, 1],
            "same /24"
        );
        assert_eq!(
            tally(&rrl, "192.0.3.1", &answer(), 10),
            [5, 0, 5],
            "next /24"
        );
        assert_eq!(
            tally(&rrl, "192.0.2.1", &nxdomain(), 10),
            [5, 0, 5],
            "another class"
        );
        assert_eq!(tally(&rrl, "2001:db8:0:100::1", &answer(), 6), [5, 0, 1]);
        assert_eq!(
            tally(&rrl, "2001:db8:0:1ff::1", &answer(), 1),
            [0, 0, 1],
            "same /56"
        );
    }

    #[test]
    fn exempt_prefixes_are_never_limited() {
        let rrl = limiter(1, 1, &["192.0.2.0/28", "2001:db8::/32"]);
        assert_eq!(tally(&rrl, "192.0.2.15", &answer(), 50), [50, 0, 0]);
        assert_eq!(tally(&rrl, "2001:db8:ffff::1", &answer(), 50), [50, 0, 0]);
        assert_eq!(
            tally(&rrl, "192.0.2.16", &answer(), 3),
            [1, 2, 0],
            "outside the /28"
        );
    }

    #[test]
    fn the_coarse_clock_moves_in_seconds() {
        let before = now_s();
        let after = now_s();
        assert!(after.wrapping_sub(before) <= 1);
    }
}
