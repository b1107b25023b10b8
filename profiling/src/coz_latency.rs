//! Zeroes coz's latency counters before their first use: Debian's coz 0.2.2 leaves them
//! uninitialised, which makes every latency it reports garbage (`docs/profiling.md`, *coz
//! 0.2.2's latency counters*).
//!
//! The `coz` crate gives no way to reset a counter, so this module asks coz for the begin and
//! end counters itself, through the same `_coz_get_counter` entry point the `coz` crate uses,
//! and stores 0 in both before anything has counted: once per name, by whichever
//! `latency_begin!`/`latency_end!` call site runs first; every call site first waits on its
//! own `Once`, so no visit is counted before the reset. Outside `coz run` the entry point is
//! missing and nothing happens. With a coz that initialises its counters the reset is
//! harmless.

#![allow(unsafe_code)]

use std::collections::BTreeSet;
use std::ffi::{CString, c_char, c_int};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `COZ_COUNTER_TYPE_BEGIN` and `COZ_COUNTER_TYPE_END` from `coz.h`.
const COUNTER_TYPE_BEGIN: c_int = 2;
const COUNTER_TYPE_END: c_int = 3;

/// Latency point names whose counters were already reset.
static RESET: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// `coz_counter_t` from `coz.h`: the visit count coz reads, and a field coz does not use.
#[repr(C)]
struct CozCounter {
    count: AtomicUsize,
    _backoff: usize,
}

type GetCounter = unsafe extern "C" fn(c_int, *const c_char) -> *mut CozCounter;

/// Sets the begin and end counters of latency point `name` to 0, the first time it is called
/// for that name in this process.
pub fn reset_latency_counters(name: &'static str) {
    let mut reset = RESET
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !reset.insert(name) {
        return;
    }
    let Some(get_counter) = coz_get_counter() else {
        return;
    };
    let Ok(c_name) = CString::new(name) else {
        return;
    };
    for counter_type in [COUNTER_TYPE_BEGIN, COUNTER_TYPE_END] {
        // SAFETY: `get_counter` is coz's `_coz_get_counter`, whose C signature is
        // `coz_counter_t* (int, const char*)`; the name is a valid NUL-terminated string that
        // outlives the call. coz copies the name and returns a pointer to a counter owned by
        // its profiler for the rest of the process, or null.
        let counter = unsafe { get_counter(counter_type, c_name.as_ptr()) };
        // SAFETY: a non-null result points to a live, suitably aligned `coz_counter_t` that
        // is never freed; its `count` field is only ever accessed atomically (by coz with
        // `__atomic_*`, by the `coz` crate through `AtomicUsize`), so an atomic store is
        // sound alongside them.
        if let Some(counter) = unsafe { counter.as_ref() } {
            counter.count.store(0, Ordering::SeqCst);
        }
    }
}

/// coz's `_coz_get_counter`, if this process runs under `coz run` (libcoz is preloaded).
fn coz_get_counter() -> Option<GetCounter> {
    const SYMBOL: &[u8] = b"_coz_get_counter\0";
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks the symbol up.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, SYMBOL.as_ptr().cast()) };
    if address.is_null() {
        return None;
    }
    // SAFETY: the symbol is libcoz's `_coz_get_counter`, a C function with exactly the
    // `GetCounter` signature (coz.h declares it so, and the `coz` crate calls it the same way).
    Some(unsafe { std::mem::transmute::<*mut libc::c_void, GetCounter>(address) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_coz_the_reset_is_a_no_op_and_remembered() {
        assert!(coz_get_counter().is_none());
        reset_latency_counters("test-reset");
        reset_latency_counters("test-reset");
        assert!(RESET.lock().unwrap().contains("test-reset"));
    }
}
