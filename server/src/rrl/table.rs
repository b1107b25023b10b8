//! The rate limiter's state: a fixed array of token buckets, made once at
//! start, each one `AtomicU64` updated with compare-and-swap -- no lock and no
//! allocation per query, and the same memory whatever the number of sources.
//!
//! A bucket holds the second it was last used and its credit. The first
//! response of a new second finds it refilled to `rate`; each response takes
//! one; a response that finds none is limited, and the credit goes on down so
//! that it counts the limited responses of the second (the slip decision uses
//! that count: every K-th limited response slips). So a source gets `rate`
//! responses per second, and a burst after a quiet spell is one second's
//! worth, no more (Knot refills whole seconds the same way).
//!
//! Keys are hashed to a slot by multiplying with a random odd number drawn at
//! start (multiply-shift hashing). Two keys that land on one slot share its
//! credit: a collision can make the limiter stricter for both, never let more
//! through -- the safe way round for a limiter, since a limited legitimate
//! client still gets every K-th answer as a TC reply and retries over TCP,
//! which is never limited. So the hash need not resist an attacker (who could
//! spoof a victim's prefix outright rather than aim at its slot), and a keyed
//! cryptographic hash would cost about a hundred instructions per response
//! for nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use super::key::ResponseClass;

/// What a bucket said to one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Within the rate: send it.
    Pass,
    /// Over the rate: the `nth` limited response of its key this second
    /// (from 1).
    Limited {
        /// Which limited response of this second it is.
        nth: u32,
    },
}

/// The buckets.
#[derive(Debug)]
pub struct Table {
    /// Second of last use (high 32 bits) and credit (low 32, signed).
    slots: Box<[AtomicU64]>,
    /// How far to shift a key's product to keep the bits that index
    /// `slots` (whose length is a power of two).
    shift: u32,
    /// The odd multiplier of the slot hash, drawn at start.
    multiplier: u64,
}

fn pack(second: u32, credit: i32) -> u64 {
    (u64::from(second) << 32) | u64::from(credit as u32)
}

fn unpack(state: u64) -> (u32, i32) {
    ((state >> 32) as u32, state as u32 as i32)
}

impl Table {
    /// A table of at least `slots` buckets (rounded up to a power of two),
    /// allocated and zeroed now.
    pub fn new(slots: usize) -> Self {
        let len = slots.max(1).next_power_of_two();
        Table {
            slots: (0..len).map(|_| AtomicU64::new(0)).collect(),
            shift: 64 - len.trailing_zeros(),
            multiplier: rand::random::<u64>() | 1,
        }
    }

    /// How many buckets there are (never none).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// The slot of the key (`prefix`, `class`): the high bits of the key's
    /// product with the multiplier (the best-mixed bits of a product).
    pub fn slot_of(&self, prefix: &[u8; 8], class: ResponseClass) -> usize {
        // The prefix's last byte is its family, 4 or 6: the class (< 16)
        // joins it in the high half.
        let mut key = *prefix;
        key[7] |= (class as u8) << 4;
        let product = u64::from_le_bytes(key).wrapping_mul(self.multiplier);
        // A one-slot table shifts by 64, which `checked_shr` makes slot 0.
        product.checked_shr(self.shift).unwrap_or(0) as usize
    }

    /// Takes one response's worth of credit from `slot` at second `now`
    /// (any monotonic count of seconds), refilling it to `rate` first if it
    /// was last used in another second.
    pub fn take(&self, slot: usize, rate: u32, now: u32) -> Take {
        let bucket = &self.slots[slot];
        let rate = i32::try_from(rate).unwrap_or(i32::MAX);
        // Stored one up, so a zeroed slot reads as never used, even at second 0.
        let now = now.wrapping_add(1).max(1);
        let mut current = bucket.load(Ordering::Relaxed);
        loop {
            let (second, credit) = unpack(current);
            let credit = if second == now { credit } else { rate };
            // Past i32::MIN limited responses in one second, the count starts
            // again; only the slip rhythm notices.
            let next = credit.checked_sub(1).unwrap_or(-1);
            match bucket.compare_exchange_weak(
                current,
                pack(now, next),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) if credit > 0 => return Take::Pass,
                Ok(_) => {
                    return Take::Limited {
                        nth: next.unsigned_abs(),
                    };
                }
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_pack_and_unpack() {
        for (second, credit) in [(0, 0), (7, -1), (u32::MAX, i32::MIN), (1, i32::MAX)] {
            assert_eq!(unpack(pack(second, credit)), (second, credit));
        }
    }

    #[test]
    fn a_bucket_gives_rate_per_second_then_counts_the_limited() {
        let table = Table::new(16);
        assert_eq!(table.slots(), 16);
        let rate = 5;
        for second in [100, 101, 250] {
            for _ in 0..rate {
                assert_eq!(table.take(3, rate, second), Take::Pass, "second {second}");
            }
            for nth in 1..=4 {
                assert_eq!(table.take(3, rate, second), Take::Limited { nth });
            }
        }
        // A rate of 0 limits everything.
        assert_eq!(table.take(4, 0, 1), Take::Limited { nth: 1 });
        assert_eq!(table.take(4, 0, 1), Take::Limited { nth: 2 });
    }

    #[test]
    fn a_quiet_spell_buys_one_second_of_burst_not_more() {
        let table = Table::new(1);
        let passed = |second| {
            (0..100)
                .filter(|_| table.take(0, 10, second) == Take::Pass)
                .count()
        };
        assert_eq!(passed(1), 10);
        assert_eq!(passed(60), 10, "a minute idle: still one second's worth");
    }

    #[test]
    fn the_very_first_use_of_a_slot_is_a_full_bucket() {
        // A zeroed slot reads as "second 0, no credit": a key first seen at
        // second 0 must not be limited for it.
        let table = Table::new(4);
        assert_eq!(table.take(1, 2, 0), Take::Pass);
        assert_eq!(table.take(1, 2, 0), Take::Pass);
        assert_eq!(table.take(1, 2, 0), Take::Limited { nth: 1 });
    }

    #[test]
    fn slots_spread_prefixes_and_classes() {
        let table = Table::new(1 << 16);
        let mut slots: Vec<usize> = (0..=255u8)
            .flat_map(|b| {
                ResponseClass::ALL.map(|class| table.slot_of(&[192, 0, b, 0, 0, 0, 0, 4], class))
            })
            .collect();
        let all = slots.len();
        slots.sort_unstable();
        slots.dedup();
        // 1,536 keys into 65,536 slots: a handful of collisions at most.
        assert!(
            slots.len() > all - 40,
            "{} distinct slots of {all}",
            slots.len()
        );
        let other = Table::new(1 << 16);
        let prefix = [192, 0, 2, 0, 0, 0, 0, 4];
        let moved = (0..50u8)
            .filter(|&b| {
                let prefix = [192, 0, b, 0, 0, 0, 0, 4];
                table.slot_of(&prefix, ResponseClass::Normal)
                    != other.slot_of(&prefix, ResponseClass::Normal)
            })
            .count();
        assert!(
            moved > 45,
            "each start hashes differently ({moved} of 50 moved)"
        );
        assert_eq!(
            table.slot_of(&prefix, ResponseClass::Normal),
            table.slot_of(&prefix, ResponseClass::Normal)
        );
    }

    #[test]
    fn threads_racing_on_one_bucket_pass_exactly_rate() {
        let table = Table::new(1);
        let passed = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        if table.take(0, 1000, 42) == Take::Pass {
                            passed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(passed.load(Ordering::Relaxed), 1000);
        assert_eq!(table.take(0, 1000, 42), Take::Limited { nth: 39_001 });
    }
}
