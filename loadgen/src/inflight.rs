//! The queries one socket (or TCP connection) has in flight, keyed by DNS ID.
//!
//! IDs are handed out in sequence, so the table is a ring of all 65,536 IDs
//! and the outstanding queries form a window in it: the oldest is always at
//! the tail, which makes timeouts a walk from the tail instead of a search.
//! When the sequence wraps, an ID is reused only once its previous query has
//! been answered or has timed out; a query that timed out keeps its slot (as
//! `Expired`) until then, so an answer that arrives after the timeout is
//! recognised as late rather than mistaken for an answer to a new query or
//! counted as fast.

/// One ID's state.
#[derive(Debug, Clone, Copy, Default)]
enum SlotState {
    /// Never used, answered, or a late answer already seen.
    #[default]
    Free,
    /// Sent, waiting for an answer.
    Pending,
    /// Timed out and counted lost; an answer now is late.
    Expired,
}

/// One ID's query.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Where this ID is in its life.
    state: SlotState,
    /// Which query of the [`QuerySet`](crate::query::QuerySet) was sent.
    query: u32,
    /// The case pattern the name was sent with (`--random-case`).
    case_seed: u32,
    /// When the query was due: the actual send in a closed loop, the
    /// scheduled time in an open loop. Latency is measured from here.
    due_ns: u64,
    /// When it actually went out; the timeout runs from here.
    sent_ns: u64,
    /// Whether it was sent after warm-up and so counts in the results.
    measured: bool,
}

/// A query whose ID matched a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// Which query was sent.
    pub query: u32,
    /// Its case pattern.
    pub case_seed: u32,
    /// When it was due (latency origin).
    pub due_ns: u64,
    /// Whether it counts in the results.
    pub measured: bool,
}

/// What a response's ID refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A query still waiting.
    Pending(Outstanding),
    /// A query already counted lost; the flag says whether it was measured.
    Late {
        /// Whether the late query was sent after warm-up.
        measured: bool,
    },
    /// No query has this ID: a duplicate or a stray datagram.
    Unknown,
}

/// Number of distinct DNS IDs.
const ID_SPACE: usize = 1 << 16;

/// The in-flight table of one socket or connection.
#[derive(Debug)]
pub struct InFlight {
    /// One slot per ID.
    slots: Box<[Slot]>,
    /// The next ID to hand out.
    head: u16,
    /// The oldest ID that may still be pending.
    tail: u16,
    /// How many slots are `Pending`.
    pending: usize,
}

impl InFlight {
    /// An empty table whose first ID is `first_id` (randomised per socket so
    /// that runs do not all start at 0).
    pub fn new(first_id: u16) -> Self {
        Self {
            slots: vec![Slot::default(); ID_SPACE].into_boxed_slice(),
            head: first_id,
            tail: first_id,
            pending: 0,
        }
    }

    /// How many queries wait for an answer.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Takes the next ID for a query, or `None` when all 65,536 are pending.
    pub fn insert(
        &mut self,
        query: u32,
        case_seed: u32,
        due_ns: u64,
        sent_ns: u64,
        measured: bool,
    ) -> Option<u16> {
        let id = self.head;
        if matches!(self.slots[usize::from(id)].state, SlotState::Pending) {
            return None;
        }
        if self.pending == 0 {
            self.tail = id;
        } else if self.tail == id {
            // The window already spans the whole ring and this slot (free or
            // expired) becomes the newest: the oldest is the one after it.
            self.tail = id.wrapping_add(1);
        }
        self.slots[usize::from(id)] = Slot {
            state: SlotState::Pending,
            query,
            case_seed,
            due_ns,
            sent_ns,
            measured,
        };
        self.head = id.wrapping_add(1);
        self.pending += 1;
        Some(id)
    }

    /// Takes back the most recent [`InFlight::insert`] (the send failed).
    pub fn cancel_last(&mut self) {
        let id = self.head.wrapping_sub(1);
        let slot = &mut self.slots[usize::from(id)];
        if matches!(slot.state, SlotState::Pending) {
            slot.state = SlotState::Free;
            self.pending -= 1;
            self.head = id;
        }
    }

    /// What `id` refers to, without changing anything.
    pub fn lookup(&self, id: u16) -> Lookup {
        let slot = &self.slots[usize::from(id)];
        match slot.state {
            SlotState::Pending => Lookup::Pending(Outstanding {
                query: slot.query,
                case_seed: slot.case_seed,
                due_ns: slot.due_ns,
                measured: slot.measured,
            }),
            SlotState::Expired => Lookup::Late {
                measured: slot.measured,
            },
            SlotState::Free => Lookup::Unknown,
        }
    }

    /// Marks `id` answered (or its late answer seen); the slot is free again.
    pub fn finish(&mut self, id: u16) {
        let slot = &mut self.slots[usize::from(id)];
        if matches!(slot.state, SlotState::Pending) {
            self.pending -= 1;
        }
        slot.state = SlotState::Free;
    }

    /// Expires every query sent at or before `deadline_ns` (now minus the
    /// timeout; `u64::MAX` for everything, when the connection carrying
    /// them closed), oldest first, calling `on_lost(measured)` for each.
    pub fn expire(&mut self, deadline_ns: u64, mut on_lost: impl FnMut(bool)) {
        // While anything is pending, a pending slot lies between tail and
        // head, so this walk stops before it passes the head.
        while self.pending > 0 {
            let slot = &mut self.slots[usize::from(self.tail)];
            match slot.state {
                SlotState::Pending if slot.sent_ns <= deadline_ns => {
                    slot.state = SlotState::Expired;
                    self.pending -= 1;
                    on_lost(slot.measured);
                }
                SlotState::Pending => return,
                SlotState::Free | SlotState::Expired => {}
            }
            self.tail = self.tail.wrapping_add(1);
        }
        self.tail = self.head;
    }

    /// When the oldest pending query was sent, if any is pending.
    pub fn oldest_sent_ns(&mut self) -> Option<u64> {
        while self.pending > 0 {
            let slot = &self.slots[usize::from(self.tail)];
            if matches!(slot.state, SlotState::Pending) {
                return Some(slot.sent_ns);
            }
            self.tail = self.tail.wrapping_add(1);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_free_their_ids_and_timeouts_expire_oldest_first() {
        let mut table = InFlight::new(10);
        let a = table.insert(0, 0, 100, 100, true).unwrap();
        let b = table.insert(1, 0, 200, 200, true).unwrap();
        let c = table.insert(2, 0, 300, 300, false).unwrap();
        assert_eq!((a, b, c), (10, 11, 12));
        assert_eq!(table.pending(), 3);

        assert!(matches!(
            table.lookup(b),
            Lookup::Pending(Outstanding {
                query: 1,
                due_ns: 200,
                ..
            })
        ));
        table.finish(b);
        assert_eq!(
            table.lookup(b),
            Lookup::Unknown,
            "a second answer is unknown"
        );

        let mut lost = Vec::new();
        table.expire(250, |measured| lost.push(measured));
        assert_eq!(
            lost,
            vec![true],
            "only the query sent at 100 is past the deadline"
        );
        assert_eq!(table.lookup(a), Lookup::Late { measured: true });
        assert_eq!(table.oldest_sent_ns(), Some(300));

        table.expire(u64::MAX, |measured| lost.push(measured));
        assert_eq!(lost, vec![true, false]);
        assert_eq!(table.pending(), 0);
        assert_eq!(table.oldest_sent_ns(), None);
    }

    #[test]
    fn ids_wrap_around_and_a_pending_id_is_never_reused() {
        let mut table = InFlight::new(u16::MAX - 1);
        let first = table.insert(0, 0, 0, 0, true).unwrap();
        assert_eq!(first, u16::MAX - 1);
        assert_eq!(table.insert(0, 0, 0, 0, true), Some(u16::MAX));
        assert_eq!(table.insert(0, 0, 0, 0, true), Some(0), "wraps to 0");

        // Fill the whole ID space: the next insert would reuse `first`,
        // which is still pending, so it must fail.
        for _ in 3..ID_SPACE {
            assert!(table.insert(0, 0, 1, 1, true).is_some());
        }
        assert_eq!(table.pending(), ID_SPACE);
        assert_eq!(table.insert(0, 0, 2, 2, true), None);

        // Once `first` is answered its ID is free for the next query.
        table.finish(first);
        assert_eq!(table.insert(5, 0, 3, 3, true), Some(first));
        assert!(matches!(
            table.lookup(first),
            Lookup::Pending(Outstanding { query: 5, .. })
        ));

        // Timeouts still go oldest first: everything sent before 3 expires,
        // the reused ID (sent at 3, the newest) does not.
        let mut lost = 0;
        table.expire(2, |_| lost += 1);
        assert_eq!(lost, ID_SPACE - 1);
        assert_eq!(table.oldest_sent_ns(), Some(3));
    }

    #[test]
    fn an_expired_id_is_late_until_it_is_reused() {
        let mut table = InFlight::new(0);
        let id = table.insert(0, 0, 0, 0, true).unwrap();
        table.expire(0, |_| {});
        assert_eq!(table.lookup(id), Lookup::Late { measured: true });
        for _ in 1..ID_SPACE {
            table.insert(0, 0, 1, 1, true).unwrap();
        }
        // The sequence has come round to `id` again: the expired slot is
        // reused, and an answer now belongs to the new query.
        assert_eq!(table.insert(9, 0, 2, 2, true), Some(id));
        assert!(matches!(
            table.lookup(id),
            Lookup::Pending(Outstanding { query: 9, .. })
        ));
    }

    #[test]
    fn a_failed_send_gives_its_id_back() {
        let mut table = InFlight::new(0);
        table.insert(0, 0, 0, 0, true).unwrap();
        table.cancel_last();
        assert_eq!(table.pending(), 0);
        assert_eq!(table.insert(1, 0, 0, 0, true), Some(0));
    }
}
