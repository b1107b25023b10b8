//! Progress points for coz, and nothing at all without the `coz` feature.
//!
//! Each macro checks its name and then hands the visit to `__coz_visit!`, which is defined
//! twice, once under `cfg(feature = "coz")` and once (expanding to nothing) under
//! `cfg(not(feature = "coz"))`. A `cfg` written *inside* a `macro_rules!` body would be
//! evaluated in the crate that calls the macro (the server, which has no `coz` feature of
//! its own), so the choice has to be made here, where the helper is defined.
//!
//! With the feature on, a visit is one atomic add on the counter that coz itself reads
//! (the `coz` crate finds it through `_coz_get_counter`; outside `coz run` that symbol is
//! missing and a visit is a load and a branch). The counter is shared by all threads; it is
//! deliberately not batched per thread: coz reads the counters at the start and end of every
//! experiment, and the in-flight count of a latency pair (`begin - end`, read at the end of
//! the experiment) would be off by whatever the threads had not flushed yet.
//! `profiling/README.md` has the measured cost of the shared add.
//!
//! A latency pair also resets coz's begin and end counters once per name before the first
//! visit (`coz_latency.rs` says why); after that first time the check is one load of a
//! `Once`.
//!
//! Names end up in `profile.coz`, a tab-separated file, so a name is checked at compile time:
//! not empty, no tab, no newline.

/// A throughput progress point: call it each time one unit of useful work is finished
/// (for the server, each time a response has been handed to the socket).
///
/// coz reports how much faster this point would be visited if a line were faster.
/// Compiles to nothing without the `coz` feature.
///
/// ```
/// satloc_profiling::progress!("response");
/// ```
#[macro_export]
macro_rules! progress {
    ($name:literal) => {{
        const _: () = ::core::assert!(
            $crate::__private::is_valid_point_name($name),
            "progress point names must be non-empty, without tabs or newlines"
        );
        $crate::__coz_visit! { progress $name }
    }};
}

/// Start of a latency measurement: one arrival of the operation `name`. Pair it with
/// [`latency_end!`](crate::latency_end!) of the same name where the operation is finished.
///
/// coz derives the mean latency from arrivals, departures and the number in flight
/// (Little's law), so every begin should eventually be matched by one end.
/// Compiles to nothing without the `coz` feature.
///
/// ```
/// satloc_profiling::latency_begin!("query");
/// satloc_profiling::latency_end!("query");
/// ```
#[macro_export]
macro_rules! latency_begin {
    ($name:literal) => {{
        const _: () = ::core::assert!(
            $crate::__private::is_valid_point_name($name),
            "latency point names must be non-empty, without tabs or newlines"
        );
        $crate::__coz_visit! { latency begin $name }
    }};
}

/// End of a latency measurement: one departure of the operation `name`, begun with
/// [`latency_begin!`](crate::latency_begin!). Compiles to nothing without the `coz` feature.
///
/// ```
/// satloc_profiling::latency_begin!("query");
/// satloc_profiling::latency_end!("query");
/// ```
#[macro_export]
macro_rules! latency_end {
    ($name:literal) => {{
        const _: () = ::core::assert!(
            $crate::__private::is_valid_point_name($name),
            "latency point names must be non-empty, without tabs or newlines"
        );
        $crate::__coz_visit! { latency end $name }
    }};
}

/// What a visit does with the `coz` feature: `progress NAME`, or `latency begin|end NAME`.
#[cfg(feature = "coz")]
#[doc(hidden)]
#[macro_export]
macro_rules! __coz_visit {
    (progress $name:literal) => {
        $crate::__private::coz::progress!($name);
    };
    (latency $which:ident $name:literal) => {
        // Zero coz's counters for this name before its first visit (`coz_latency.rs`).
        static RESET: ::std::sync::Once = ::std::sync::Once::new();
        RESET.call_once(|| $crate::__private::reset_latency_counters($name));
        $crate::__private::coz::$which!($name);
    };
}

/// Without the `coz` feature a visit is nothing at all.
#[cfg(not(feature = "coz"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __coz_visit {
    ($($visit:tt)*) => {};
}

/// Prepares the calling thread for coz; call it first thing on every thread that runs
/// instrumented code (for tokio: `Builder::on_thread_start(satloc_profiling::thread_init)`).
///
/// coz's sampling signal handler runs on the thread's alternate signal stack, and the one
/// Rust's standard library installs is too small for it: the `coz` crate replaces it with a
/// 1 MiB stack. Without the `coz` feature this does nothing.
#[inline]
pub fn thread_init() {
    #[cfg(feature = "coz")]
    coz::thread_init();
}

/// Whether `name` can be written into `profile.coz` as it is: not empty, and no tab or
/// newline to break the tab-separated line. Evaluated at compile time by the macros.
#[doc(hidden)]
#[must_use]
pub const fn is_valid_point_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if matches!(bytes[i], b'\t' | b'\n' | b'\r') {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_valid_point_name;

    #[test]
    fn point_names_that_would_break_profile_coz_are_rejected() {
        assert!(is_valid_point_name("response"));
        assert!(is_valid_point_name("query latency"));
        assert!(!is_valid_point_name(""));
        assert!(!is_valid_point_name("a\tb"));
        assert!(!is_valid_point_name("a\nb"));
    }

    #[test]
    fn macros_expand_in_statement_and_expression_position() {
        crate::progress!("test-progress");
        crate::latency_begin!("test-latency");
        let end = || crate::latency_end!("test-latency");
        end();
        crate::thread_init();
    }
}
