//! Connection slots for the TCP transport: at most `max_connections` at once,
//! and when all are taken, the connection idle the longest is closed to admit
//! the new one.
//!
//! RFC 7766 section 6.2.3 lets a server under load close idle connections at
//! once; Knot's XDP TCP stack, over its connection limit, resets the least
//! recently active ones (`knot_tcp_sweep`). Doing it on demand, one per new
//! connection, costs well-behaved resolvers nothing until a slot is needed,
//! where a shorter idle timeout for everyone would. A connection is idle while
//! it waits for the first byte of its next message: no message partly read,
//! none being answered. A busy connection is never closed to make room; its
//! deadlines end it if it stalls, so when every slot is busy a new connection
//! waits for one (as BIND's TCP quota makes it wait) rather than being reset.
//!
//! The query path pays an atomic swap and a wake-up check per burst of
//! messages (busy, then idle again). Finding the oldest idle connection scans
//! the open ones; that is paid only when a new connection finds every slot
//! taken.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// [`Occupant::state`] of a connection reading or answering a message.
const BUSY: u64 = 0;
/// [`Occupant::state`] of a connection chosen to close for room.
const EVICTED: u64 = u64::MAX;

/// Connections counted as they open, close, and wait or make room. Relaxed
/// atomics: they change once per connection, and a scrape may read them a
/// moment late.
#[derive(Debug, Default)]
pub struct TcpCounters {
    /// Connections being served now.
    pub(super) open: AtomicU64,
    /// Idle connections closed to make room for a new one.
    pub(super) evicted: AtomicU64,
    /// New connections that found every slot busy (none idle) and waited.
    pub(super) queued: AtomicU64,
    /// Connections closed because a message took longer than the idle
    /// timeout to arrive, or its response to be taken.
    pub(super) slow: AtomicU64,
}

impl TcpCounters {
    /// Connections being served now.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Idle connections closed so far to make room for new ones.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// New connections so far that waited for a slot because every
    /// connection was busy.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Connections closed so far for being too slow to send a message or to
    /// take a response.
    pub fn slow(&self) -> u64 {
        self.slow.load(Ordering::Relaxed)
    }
}

/// The slots of one listener.
#[derive(Debug)]
pub(super) struct Slots {
    /// One permit per slot; a connection holds one until its task ends, so a
    /// slot is free only once its connection is really closed.
    permits: Arc<Semaphore>,
    /// Every open connection, by id: where the oldest idle one is looked for.
    open: Mutex<HashMap<u64, Arc<Occupant>>>,
    /// The next connection's id.
    next_id: AtomicU64,
    /// Stamps idle periods in the order they begin: the smallest stamp is the
    /// connection idle the longest. Starts at 1, so no stamp is [`BUSY`].
    idle_clock: AtomicU64,
    /// Woken when a connection goes idle, for a new connection waiting for a
    /// slot with none idle to take.
    went_idle: Notify,
}

/// One connection's state, shared between its task and the slots.
#[derive(Debug)]
struct Occupant {
    /// [`BUSY`], [`EVICTED`], or the idle clock's stamp when it went idle.
    /// Only the connection moves it between busy and idle; only the slots move
    /// it from idle to evicted, so a connection that has started a message is
    /// never evicted.
    state: AtomicU64,
    /// Wakes the connection when it is evicted.
    evicted: Notify,
}

/// A connection's slot: counted open from admission until it is dropped
/// (when the connection's task ends, however it ends).
#[derive(Debug)]
pub(super) struct Slot {
    id: u64,
    occupant: Arc<Occupant>,
    slots: Arc<Slots>,
    counters: Arc<TcpCounters>,
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    /// Slots for `max_connections` (at least one).
    pub(super) fn new(max_connections: usize) -> Arc<Self> {
        let max_connections = max_connections.max(1);
        Arc::new(Slots {
            permits: Arc::new(Semaphore::new(max_connections)),
            // Grows past this only for large limits; a connect rarely allocates.
            open: Mutex::new(HashMap::with_capacity(max_connections.min(4096))),
            next_id: AtomicU64::new(0),
            idle_clock: AtomicU64::new(1),
            went_idle: Notify::new(),
        })
    }

    /// A slot for a new connection: a free one, or one made by evicting the
    /// connection idle the longest, or, when every connection is busy, the
    /// first to come free. `None` when `shutdown` comes first.
    pub(super) async fn admit(
        self: &Arc<Self>,
        counters: &Arc<TcpCounters>,
        shutdown: &CancellationToken,
    ) -> Option<Slot> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => self.make_room(counters, shutdown).await?,
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let occupant = Arc::new(Occupant {
            state: AtomicU64::new(BUSY),
            evicted: Notify::new(),
        });
        self.lock_open().insert(id, Arc::clone(&occupant));
        counters.open.fetch_add(1, Ordering::Relaxed);
        Some(Slot {
            id,
            occupant,
            slots: Arc::clone(self),
            counters: Arc::clone(counters),
            _permit: permit,
        })
    }

    /// Every slot is taken: evicts the connection idle the longest and waits
    /// for its slot, or, with none idle, waits for a slot to come free or a
    /// connection to go idle.
    async fn make_room(
        &self,
        counters: &TcpCounters,
        shutdown: &CancellationToken,
    ) -> Option<OwnedSemaphorePermit> {
        let mut evicted = false;
        let mut queued = false;
        loop {
            if !evicted && self.evict_oldest_idle() {
                evicted = true;
                counters.evicted.fetch_add(1, Ordering::Relaxed);
            }
            if !evicted && !queued {
                queued = true;
                counters.queued.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("every TCP connection is busy; a new one waits for a slot");
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return None,
                permit = Arc::clone(&self.permits).acquire_owned() => return permit.ok(),
                // Once one connection is evicted, its slot is this one's; a
                // second eviction would close a connection for nobody.
                () = self.went_idle.notified(), if !evicted => {}
            }
        }
    }

    /// Marks the connection idle the longest as evicted and wakes it; false
    /// when no connection is idle.
    fn evict_oldest_idle(&self) -> bool {
        let open = self.lock_open();
        loop {
            let oldest = open
                .values()
                .map(|occupant| (occupant.state.load(Ordering::Acquire), occupant))
                .filter(|&(state, _)| state != BUSY && state != EVICTED)
                .min_by_key(|&(state, _)| state);
            let Some((stamp, occupant)) = oldest else {
                return false;
            };
            // It may have started a message since it was read: then it is
            // busy, and the search starts again.
            let claimed = occupant.state.compare_exchange(
                stamp,
                EVICTED,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            if claimed.is_ok() {
                occupant.evicted.notify_one();
                return true;
            }
        }
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Occupant>>> {
        // The map is consistent between statements; a panic elsewhere while it
        // was held leaves nothing half-done.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Slot {
    /// The connection waits for the first byte of its next message: it may be
    /// evicted from now on, the longest idle first.
    pub(super) fn idle(&self) {
        let stamp = self.slots.idle_clock.fetch_add(1, Ordering::Relaxed);
        let _ =
            self.occupant
                .state
                .compare_exchange(BUSY, stamp, Ordering::AcqRel, Ordering::Acquire);
        self.slots.went_idle.notify_one();
    }

    /// A message has started: the connection may no longer be evicted. False
    /// when it was evicted first (then it must close).
    pub(super) fn busy(&self) -> bool {
        self.occupant
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state != EVICTED).then_some(BUSY)
            })
            .is_ok()
    }

    /// Completes when the connection is evicted (at once if it already was).
    pub(super) async fn evicted(&self) {
        if self.occupant.state.load(Ordering::Acquire) == EVICTED {
            return;
        }
        self.occupant.evicted.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock_open().remove(&self.id);
        self.counters.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    /// `count` slots admitted into `slots`, all busy.
    async fn fill(slots: &Arc<Slots>, counters: &Arc<TcpCounters>, count: usize) -> Vec<Slot> {
        let shutdown = CancellationToken::new();
        let mut admitted = Vec::new();
        for _ in 0..count {
            admitted.push(slots.admit(counters, &shutdown).await.unwrap());
        }
        admitted
    }

    #[test]
    fn the_connection_idle_longest_makes_room_and_busy_ones_never_do() {
        runtime().block_on(async {
            let slots = Slots::new(3);
            let counters = Arc::new(TcpCounters::default());
            let admitted = fill(&slots, &counters, 3).await;
            // 1 went idle before 2; 0 is in the middle of a message.
            admitted[1].idle();
            admitted[2].idle();
            let shutdown = CancellationToken::new();
            let admit = slots.admit(&counters, &shutdown);
            tokio::pin!(admit);
            // Admission waits for the evicted connection to close.
            assert!(
                tokio::time::timeout(Duration::from_millis(50), &mut admit)
                    .await
                    .is_err()
            );
            assert!(!admitted[1].busy(), "1 was evicted");
            tokio::time::timeout(Duration::from_millis(50), admitted[1].evicted())
                .await
                .expect("and woken");
            assert!(admitted[2].busy(), "2 was not");
            assert!(admitted[0].busy(), "0 was not");
            assert_eq!(counters.evicted(), 1);
            let [first, second, third] = <[Slot; 3]>::try_from(admitted).unwrap();
            drop(second);
            let fourth = admit.await.expect("the freed slot");
            assert_eq!((counters.open(), counters.queued()), (3, 0));
            drop((first, third, fourth));
            assert_eq!(counters.open(), 0);
        });
    }

    #[test]
    fn with_every_connection_busy_a_new_one_waits_for_one_to_go_idle() {
        runtime().block_on(async {
            let slots = Slots::new(2);
            let counters = Arc::new(TcpCounters::default());
            let admitted = fill(&slots, &counters, 2).await;
            let shutdown = CancellationToken::new();
            let admit = slots.admit(&counters, &shutdown);
            tokio::pin!(admit);
            assert!(
                tokio::time::timeout(Duration::from_millis(50), &mut admit)
                    .await
                    .is_err()
            );
            assert_eq!((counters.queued(), counters.evicted()), (1, 0));
            // The first to finish its message goes idle and is evicted.
            admitted[1].idle();
            assert!(
                tokio::time::timeout(Duration::from_millis(50), &mut admit)
                    .await
                    .is_err(),
                "waits for the evicted connection to close"
            );
            tokio::time::timeout(Duration::from_millis(50), admitted[1].evicted())
                .await
                .expect("evicted once idle");
            assert!(admitted[0].busy());
            let [first, second] = <[Slot; 2]>::try_from(admitted).unwrap();
            drop(second);
            let third = admit.await.expect("its slot");
            assert_eq!((counters.queued(), counters.evicted()), (1, 1));
            drop((first, third));
        });
    }

    #[test]
    fn shutdown_ends_the_wait_for_a_slot() {
        runtime().block_on(async {
            let slots = Slots::new(1);
            let counters = Arc::new(TcpCounters::default());
            let _busy = fill(&slots, &counters, 1).await;
            let shutdown = CancellationToken::new();
            shutdown.cancel();
            assert!(slots.admit(&counters, &shutdown).await.is_none());
        });
    }

    #[test]
    fn a_connection_that_went_busy_again_is_not_evicted() {
        let slots = Slots::new(2);
        let counters = Arc::new(TcpCounters::default());
        let admitted = runtime().block_on(fill(&slots, &counters, 2));
        admitted[0].idle();
        assert!(admitted[0].busy());
        assert!(!slots.evict_oldest_idle(), "nobody idle");
        admitted[0].idle();
        admitted[1].idle();
        assert!(slots.evict_oldest_idle());
        assert!(!admitted[0].busy(), "the older idle one");
        assert!(admitted[1].busy());
    }
}
