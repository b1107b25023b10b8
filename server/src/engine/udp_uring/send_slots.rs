//! One send slot per receive buffer: the response bytes, and the `msghdr` and
//! `iovec` a `sendmsg` submission points to.
//!
//! Slot `i` belongs to whoever holds receive buffer `i`, so a slot is never
//! needed twice at once and never runs out: the receive buffer is kept until
//! its answer's send completes (the response goes back to the address the
//! query's buffer holds, with no copy), then both are free together. The kernel
//! reads a slot's header, vector and bytes until that send completes; nothing
//! here touches a slot in between.
#![allow(unsafe_code)]

use std::ptr;

/// Every slot's response capacity: the largest UDP response the server writes
/// (`--max-udp-payload` is at most 4096; the echo floor returns at most a
/// receive slot), reserved up front so no answer grows a buffer.
const RESPONSE_CAPACITY: usize = 4096;

/// The send side of every slot.
pub(super) struct SendSlots {
    /// The answer written for each slot.
    responses: Box<[Vec<u8>]>,
    /// One vector per slot, pointing at its response.
    iovecs: Box<[libc::iovec]>,
    /// One header per slot, pointing at its vector and its peer's address.
    headers: Box<[libc::msghdr]>,
}

impl std::fmt::Debug for SendSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendSlots")
            .field("slots", &self.responses.len())
            .finish_non_exhaustive()
    }
}

impl SendSlots {
    pub(super) fn new(count: u16) -> Self {
        let count = usize::from(count);
        Self {
            responses: (0..count)
                .map(|_| Vec::with_capacity(RESPONSE_CAPACITY))
                .collect(),
            iovecs: (0..count)
                .map(|_| libc::iovec {
                    iov_base: ptr::null_mut(),
                    iov_len: 0,
                })
                .collect(),
            headers: (0..count).map(|_| empty_msghdr()).collect(),
        }
    }

    /// Slot `bid`'s response buffer, for the handler to write into.
    pub(super) fn response(&mut self, bid: u16) -> &mut Vec<u8> {
        &mut self.responses[usize::from(bid)]
    }

    /// Points slot `bid`'s header at its response and at the peer address
    /// `name` (`name_len` bytes, inside the query's receive buffer, which stays
    /// unchanged until the send completes); returns the header to submit.
    pub(super) fn prepare(
        &mut self,
        bid: u16,
        name: *mut u8,
        name_len: u32,
    ) -> *const libc::msghdr {
        let i = usize::from(bid);
        let response = &mut self.responses[i];
        self.iovecs[i] = libc::iovec {
            iov_base: response.as_mut_ptr().cast(),
            iov_len: response.len(),
        };
        let header = &mut self.headers[i];
        header.msg_name = name.cast();
        header.msg_namelen = name_len;
        header.msg_iov = ptr::from_mut(&mut self.iovecs[i]);
        header.msg_iovlen = 1;
        ptr::from_ref(header)
    }
}

/// A header naming nothing: no address, no vectors, no control data.
pub(super) fn empty_msghdr() -> libc::msghdr {
    // SAFETY: `msghdr` is plain data (pointers and integers), for which all
    // zeroes is the valid "empty" value; it has private padding on some
    // targets, so it cannot be built field by field portably.
    unsafe { std::mem::zeroed() }
}
