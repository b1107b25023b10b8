//! The provided-buffer ring: receive buffers the kernel picks from itself, so a
//! multishot receive needs no buffer named per datagram.
//!
//! Two allocations live as long as the ring: the ring of entries (page-aligned,
//! shared with the kernel, which reads it) and the arena the entries point into
//! (which the kernel writes datagrams into). A buffer is the kernel's from the
//! moment it is published until a completion names its id; from then on it is
//! ours until [`BufRing::give_back`] and [`BufRing::publish`] hand it back. The
//! io-uring crate leaves this structure to its user, hence the `unsafe` here,
//! kept to this file.
#![allow(unsafe_code)]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::Submitter;
use io_uring::types::BufRingEntry;

/// A registered ring of `count` receive buffers of `len` bytes each.
pub(super) struct BufRing {
    /// The entries the kernel reads: page-aligned, `count` of them.
    entries: NonNull<BufRingEntry>,
    entries_layout: Layout,
    /// The buffers: `count * len` bytes, written by the kernel.
    arena: NonNull<u8>,
    arena_layout: Layout,
    /// Buffers in the ring (a power of two, as the kernel requires).
    count: u16,
    /// Bytes per buffer.
    len: usize,
    /// Our tail: entries written but not yet published.
    tail: u16,
    /// Buffer-group id the receive names.
    group: u16,
}

impl std::fmt::Debug for BufRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufRing")
            .field("count", &self.count)
            .field("len", &self.len)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl BufRing {
    /// Allocates `count` buffers of `len` bytes, every one handed to the kernel
    /// once [`register`](Self::register)ed.
    pub(super) fn new(count: u16, len: usize, group: u16) -> io::Result<Self> {
        assert!(
            count.is_power_of_two(),
            "a buffer ring holds a power of two"
        );
        let page = page_size();
        let entries_layout = Layout::from_size_align(
            (usize::from(count) * size_of::<BufRingEntry>()).max(page),
            page,
        )
        .map_err(io::Error::other)?;
        let arena_layout =
            Layout::array::<u8>(usize::from(count) * len).map_err(io::Error::other)?;
        // SAFETY: both layouts have a non-zero size (count and len are non-zero,
        // the ring is at least a page).
        let entries = NonNull::new(unsafe { alloc_zeroed(entries_layout) }.cast::<BufRingEntry>());
        let arena = NonNull::new(unsafe { alloc_zeroed(arena_layout) });
        let (Some(entries), Some(arena)) = (entries, arena) else {
            return Err(io::Error::from(io::ErrorKind::OutOfMemory));
        };
        let mut ring = Self {
            entries,
            entries_layout,
            arena,
            arena_layout,
            count,
            len,
            tail: 0,
            group,
        };
        for bid in 0..count {
            ring.give_back(bid);
        }
        ring.publish();
        Ok(ring)
    }

    /// Registers the ring with `submitter`'s io_uring as buffer group `group`.
    pub(super) fn register(&self, submitter: &Submitter<'_>) -> io::Result<()> {
        // SAFETY: the entries stay allocated, at this address, until `self` is
        // dropped, and the owner drops the io_uring (which unregisters) first.
        unsafe {
            submitter.register_buf_ring_with_flags(
                self.entries.as_ptr() as u64,
                self.count,
                self.group,
                0,
            )
        }
    }

    /// The buffer group receives name.
    pub(super) fn group(&self) -> u16 {
        self.group
    }

    /// The first `len` bytes of buffer `bid`, which a completion handed to us.
    pub(super) fn buffer(&self, bid: u16, len: usize) -> &[u8] {
        let start = self.start_of(bid);
        // SAFETY: `start..start + len` lies inside the arena (clamped to one
        // buffer), and the kernel does not write buffer `bid` between the
        // completion that named it and `give_back` (the caller's contract).
        unsafe { std::slice::from_raw_parts(self.arena.as_ptr().add(start), len.min(self.len)) }
    }

    /// Where buffer `bid` starts, as a pointer the kernel may be given to read
    /// from while the buffer is ours.
    pub(super) fn buffer_ptr(&self, bid: u16) -> *mut u8 {
        // SAFETY: the offset is inside the arena (`start_of` checks `bid`).
        unsafe { self.arena.as_ptr().add(self.start_of(bid)) }
    }

    fn start_of(&self, bid: u16) -> usize {
        assert!(bid < self.count, "buffer id {bid} out of the ring");
        usize::from(bid) * self.len
    }

    /// Queues buffer `bid` for the kernel again; [`publish`](Self::publish)
    /// makes every queued one visible.
    pub(super) fn give_back(&mut self, bid: u16) {
        let slot = usize::from(self.tail & (self.count - 1));
        let addr = self.buffer_ptr(bid) as u64;
        // SAFETY: `slot < count`, inside the entries allocation; the kernel
        // reads an entry only once the published tail has moved past it, which
        // it has not yet.
        let entry = unsafe { &mut *self.entries.as_ptr().add(slot) };
        entry.set_addr(addr);
        entry.set_len(u32::try_from(self.len).unwrap_or(u32::MAX));
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Publishes the buffers given back since the last call.
    pub(super) fn publish(&mut self) {
        // SAFETY: the tail field lives in the first entry of the ring, which is
        // allocated and initialised; the kernel reads it with acquire ordering,
        // so the entries written before this release store are seen with it.
        unsafe {
            let tail = BufRingEntry::tail(self.entries.as_ptr()).cast::<AtomicU16>();
            (*tail).store(self.tail, Ordering::Release);
        }
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: both were allocated in `new` with exactly these layouts.
        unsafe {
            dealloc(self.entries.as_ptr().cast::<u8>(), self.entries_layout);
            dealloc(self.arena.as_ptr(), self.arena_layout);
        }
    }
}

/// The kernel requires the ring to start on a page boundary.
fn page_size() -> usize {
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).unwrap_or(4096).max(4096)
}
