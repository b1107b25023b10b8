//! A per-object memo of the last position computed, shared by every worker
//! thread without a lock or an allocation: a sequence lock over atomics.
//!
//! With `--position-quantum` every answer within a quantum asks for the same
//! position ([`crate::quantum`]); the first computes it and stores it here, the
//! others read it back. The slot lives inside its [`super::SatObject`], so a
//! reload, which builds new objects, can never serve a position computed from
//! the old elements, and a cloned object starts empty. What a reader gets is
//! exactly what the writer computed, or nothing: a torn read (a writer busy on
//! the slot) is detected by the sequence number and treated as a miss.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering, fence};

use crate::ephemeris::GeodeticFix;

/// Words in a key: the instant, then what else the value depends on (the LOC
/// precision model), as the caller encodes it. All zeros never matches.
pub const KEY_WORDS: usize = 5;

/// What a slot remembers: the fix and its LOC RDATA in wire form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotValue {
    /// The geodetic fix.
    pub fix: GeodeticFix,
    /// The encoded LOC RDATA.
    pub loc: [u8; 16],
}

/// One object's memo. Even sequence: stable; odd: a writer is in the slot.
pub struct PositionSlot {
    /// Bumped to odd before a write and to even after it.
    seq: AtomicU64,
    /// The key the value was computed for ([`KEY_WORDS`]).
    key: [AtomicU64; KEY_WORDS],
    /// Latitude, longitude, height and speed, as `f64` bits.
    fix: [AtomicU64; 4],
    /// The LOC RDATA's 16 bytes.
    loc: [AtomicU64; 2],
}

impl PositionSlot {
    /// An empty slot.
    pub fn new() -> Self {
        Self {
            seq: AtomicU64::new(0),
            key: Default::default(),
            fix: Default::default(),
            loc: Default::default(),
        }
    }

    /// The value stored for `key`, if that is what the slot holds.
    #[inline]
    pub fn get(&self, key: &[u64; KEY_WORDS]) -> Option<SlotValue> {
        let before = self.seq.load(Ordering::Acquire);
        if before & 1 == 1 {
            return None;
        }
        let stored = self.key.each_ref().map(|w| w.load(Ordering::Relaxed));
        let fix = self
            .fix
            .each_ref()
            .map(|w| f64::from_bits(w.load(Ordering::Relaxed)));
        let loc = self.loc.each_ref().map(|w| w.load(Ordering::Relaxed));
        // Orders the loads above before the re-check of the sequence.
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != before || stored != *key || *key == [0; KEY_WORDS] {
            return None;
        }
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&loc[0].to_le_bytes());
        bytes[8..].copy_from_slice(&loc[1].to_le_bytes());
        Some(SlotValue {
            fix: GeodeticFix {
                lat_deg: fix[0],
                lon_deg: fix[1],
                alt_m: fix[2],
                speed_km_s: fix[3],
            },
            loc: bytes,
        })
    }

    /// Stores `value` for `key`, unless another thread is writing the slot
    /// right now (then this value is simply not remembered).
    pub fn put(&self, key: &[u64; KEY_WORDS], value: &SlotValue) {
        let before = self.seq.load(Ordering::Relaxed);
        if before & 1 == 1
            || self
                .seq
                .compare_exchange(before, before + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // Orders the odd sequence before the stores below.
        fence(Ordering::Release);
        for (word, &k) in self.key.iter().zip(key) {
            word.store(k, Ordering::Relaxed);
        }
        let fix = value.fix;
        for (word, f) in self
            .fix
            .iter()
            .zip([fix.lat_deg, fix.lon_deg, fix.alt_m, fix.speed_km_s])
        {
            word.store(f.to_bits(), Ordering::Relaxed);
        }
        let (low, high) = value.loc.split_at(8);
        for (word, half) in self.loc.iter().zip([low, high]) {
            let mut eight = [0; 8];
            eight.copy_from_slice(half);
            word.store(u64::from_le_bytes(eight), Ordering::Relaxed);
        }
        self.seq.store(before + 2, Ordering::Release);
    }
}

impl Default for PositionSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// A copy of an object starts with an empty memo: it is a cache, and the
/// copy may be given other elements.
impl Clone for PositionSlot {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl fmt::Debug for PositionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PositionSlot")
            .field("seq", &self.seq.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn value(n: f64) -> SlotValue {
        SlotValue {
            fix: GeodeticFix {
                lat_deg: n,
                lon_deg: -n,
                alt_m: n * 1000.0,
                speed_km_s: n / 10.0,
            },
            loc: [n as u8; 16],
        }
    }

    #[test]
    fn a_slot_returns_what_was_stored_for_that_key_only() {
        let slot = PositionSlot::new();
        let key = [42, 1, 0, 0, 0];
        assert_eq!(slot.get(&key), None, "empty");
        assert_eq!(slot.get(&[0; KEY_WORDS]), None, "all zeros never matches");
        slot.put(&key, &value(3.0));
        assert_eq!(slot.get(&key), Some(value(3.0)));
        assert_eq!(slot.get(&[43, 1, 0, 0, 0]), None, "another instant");
        assert_eq!(slot.get(&[42, 2, 0, 0, 0]), None, "another precision model");
        assert_eq!(slot.clone().get(&key), None, "a copy starts empty");
    }

    #[test]
    fn readers_never_see_a_torn_value() {
        // Two writers store values whose every field derives from the key,
        // alternating between two keys, while two readers ask for both and
        // check that whatever they get belongs to the key they asked for.
        use std::sync::Barrier;
        use std::sync::atomic::AtomicBool;
        let slot = Arc::new(PositionSlot::new());
        let keys = [[1, 1, 0, 0, 0], [2, 1, 0, 0, 0]];
        slot.put(&keys[0], &value(1.0));
        let start = Arc::new(Barrier::new(4));
        let writing = Arc::new(AtomicBool::new(true));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (slot, start) = (Arc::clone(&slot), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    for i in 0..50_000 {
                        let k = i % 2;
                        slot.put(&keys[k], &value((k + 1) as f64));
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (slot, start) = (Arc::clone(&slot), Arc::clone(&start));
                let writing = Arc::clone(&writing);
                std::thread::spawn(move || {
                    start.wait();
                    let mut hits = 0u64;
                    while writing.load(Ordering::Relaxed) || hits == 0 {
                        for (k, key) in keys.iter().enumerate() {
                            if let Some(got) = slot.get(key) {
                                assert_eq!(got, value((k + 1) as f64));
                                hits += 1;
                            }
                        }
                    }
                    hits
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        writing.store(false, Ordering::Relaxed);
        for reader in readers {
            assert!(reader.join().unwrap() > 0);
        }
    }
}
