//! The per-query counters: requests by protocol, family and type, responses by
//! code, histograms of duration and sizes, and responses the rate limiter
//! stopped -- counted on the query path with no lock, no label lookup and no
//! allocation.
//!
//! Every counter is an `AtomicU64` in fixed arrays made up front, indexed by
//! label positions ([`super::classify`]). They live in shards, one per thread
//! that answers queries, so threads never write the same cache line: a thread
//! takes the next shard the first time it records and keeps it, and as the
//! only writer it adds with a plain load and store rather than a locked
//! read-modify-write. Threads beyond the shards made up front share one more
//! shard with atomic adds (correct, only slower). A scrape sums the shards;
//! it may see one query's counters half-updated, which the next scrape
//! corrects.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::classify::{RCODE_LABELS, TYPE_LABELS, query_type_index, rcode_index};
use super::ticks::Ticks;
use crate::engine::{Family, Protocol};
use crate::rrl::ResponseClass;

/// `proto` label values, in index order.
pub const PROTOCOLS: [&str; 2] = ["udp", "tcp"];
/// `family` label values, in index order: IANA address family numbers, as
/// CoreDNS labels them.
pub const FAMILIES: [&str; 2] = ["1", "2"];
/// Upper bounds of the duration histogram, in seconds: 0.25 ms doubling, as
/// CoreDNS's (`+Inf` follows).
pub const DURATION_BOUNDS_S: [f64; 16] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024,
    2.048, 4.096, 8.192,
];
/// Upper bounds of the size histograms, in bytes, as CoreDNS's (`+Inf` follows).
pub const SIZE_BOUNDS: [u64; 14] = [
    0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16_000, 32_000, 48_000, 64_000,
];

const DURATION_BUCKETS: usize = DURATION_BOUNDS_S.len() + 1;
const SIZE_BUCKETS: usize = SIZE_BOUNDS.len() + 1;
const REQUEST_SERIES: usize = PROTOCOLS.len() * FAMILIES.len() * TYPE_LABELS;
/// How many response classes the rate limiter counts by.
const RRL_CLASSES: usize = ResponseClass::ALL.len();

/// One writer's counters. Aligned so that two shards never share a cache line
/// (128 bytes: adjacent-line prefetch pairs 64-byte lines).
#[repr(align(128))]
#[derive(Debug)]
struct Shard {
    /// Requests by (protocol, family, type).
    requests: [AtomicU64; REQUEST_SERIES],
    /// Responses by code.
    responses: [AtomicU64; RCODE_LABELS],
    /// Durations by type: per-bucket counts (not cumulative).
    duration: [[AtomicU64; DURATION_BUCKETS]; TYPE_LABELS],
    /// Sum of durations by type, in ticks.
    duration_ticks: [AtomicU64; TYPE_LABELS],
    /// Request sizes by protocol: per-bucket counts.
    request_size: [[AtomicU64; SIZE_BUCKETS]; PROTOCOLS.len()],
    /// Sum of request sizes by protocol, in bytes.
    request_bytes: [AtomicU64; PROTOCOLS.len()],
    /// Response sizes by protocol: per-bucket counts.
    response_size: [[AtomicU64; SIZE_BUCKETS]; PROTOCOLS.len()],
    /// Sum of response sizes by protocol, in bytes.
    response_bytes: [AtomicU64; PROTOCOLS.len()],
    /// Responses over the rate limit, by class.
    rrl_limited: [AtomicU64; RRL_CLASSES],
    /// Of those, sent as TC replies, and dropped.
    rrl_slipped_dropped: [AtomicU64; 2],
}

fn zeros<const N: usize>() -> [AtomicU64; N] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

impl Shard {
    fn new() -> Box<Self> {
        Box::new(Shard {
            requests: zeros(),
            responses: zeros(),
            duration: std::array::from_fn(|_| zeros()),
            duration_ticks: zeros(),
            request_size: std::array::from_fn(|_| zeros()),
            request_bytes: zeros(),
            response_size: std::array::from_fn(|_| zeros()),
            response_bytes: zeros(),
            rrl_limited: zeros(),
            rrl_slipped_dropped: zeros(),
        })
    }
}

/// Adds `n` to a counter. `EXCLUSIVE`: the calling thread is the shard's only
/// writer, so a relaxed load and store suffice (no locked instruction).
#[inline(always)]
fn add<const EXCLUSIVE: bool>(counter: &AtomicU64, n: u64) {
    if EXCLUSIVE {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    } else {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// The first bucket whose bound is at least `value` (the last is `+Inf`).
#[inline(always)]
fn bucket(bounds: &[u64], value: u64) -> usize {
    // Linear: nearly every value falls in the first bucket or two.
    bounds
        .iter()
        .position(|&bound| value <= bound)
        .unwrap_or(bounds.len())
}

/// Process-wide writer numbers: a thread's is its shard in every
/// [`QueryMetrics`], so a thread that takes shard `n` of one takes shard `n`
/// of all, and no two threads ever write one shard.
static NEXT_WRITER: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's writer number, once it has recorded anything.
    static WRITER: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn writer() -> usize {
    WRITER.with(|writer| {
        let mut number = writer.get();
        if number == usize::MAX {
            number = NEXT_WRITER.fetch_add(1, Ordering::Relaxed);
            writer.set(number);
        }
        number
    })
}

/// Counters for every query the service answers.
#[derive(Debug)]
pub struct QueryMetrics {
    /// One per writer thread, written without locked instructions.
    shards: Box<[Box<Shard>]>,
    /// For threads past `shards`: atomic adds.
    shared: Box<Shard>,
    /// Times queries.
    ticks: Ticks,
    /// [`DURATION_BOUNDS_S`] in ticks.
    duration_bounds: [u64; DURATION_BOUNDS_S.len()],
}

/// A query's start, from [`QueryMetrics::start`].
#[derive(Debug, Clone, Copy)]
pub struct Started(u64);

impl QueryMetrics {
    /// Counters with room for `writers` threads writing without locked
    /// instructions (more work, correctly, on a shared shard), timed by `ticks`.
    pub fn new(writers: usize, ticks: Ticks) -> Self {
        QueryMetrics {
            shards: (0..writers).map(|_| Shard::new()).collect(),
            shared: Shard::new(),
            ticks,
            duration_bounds: DURATION_BOUNDS_S.map(|s| ticks.from_seconds(s)),
        }
    }

    /// The clock's reading as a query starts.
    #[inline]
    pub fn start(&self) -> Started {
        Started(self.ticks.now())
    }

    /// Counts one query that started at `started`, arrived as `query` over
    /// `protocol` and `family`, and was answered with `response` (`None`:
    /// dropped unanswered).
    #[inline]
    pub fn record(
        &self,
        started: Started,
        query: &[u8],
        protocol: Protocol,
        family: Family,
        response: Option<&[u8]>,
    ) {
        let elapsed = self.ticks.now().wrapping_sub(started.0);
        match self.shards.get(writer()) {
            Some(shard) => self.count::<true>(shard, elapsed, query, protocol, family, response),
            None => self.count::<false>(&self.shared, elapsed, query, protocol, family, response),
        }
    }

    #[inline(always)]
    fn count<const EXCLUSIVE: bool>(
        &self,
        shard: &Shard,
        elapsed: u64,
        query: &[u8],
        protocol: Protocol,
        family: Family,
        response: Option<&[u8]>,
    ) {
        let proto = protocol as usize;
        let kind = query_type_index(query);
        let series = (proto * FAMILIES.len() + family as usize) * TYPE_LABELS + kind;
        add::<EXCLUSIVE>(&shard.requests[series], 1);
        let at = bucket(&self.duration_bounds, elapsed);
        add::<EXCLUSIVE>(&shard.duration[kind][at], 1);
        add::<EXCLUSIVE>(&shard.duration_ticks[kind], elapsed);
        let size = query.len() as u64;
        add::<EXCLUSIVE>(&shard.request_size[proto][bucket(&SIZE_BOUNDS, size)], 1);
        add::<EXCLUSIVE>(&shard.request_bytes[proto], size);
        if let Some(response) = response {
            add::<EXCLUSIVE>(&shard.responses[rcode_index(response)], 1);
            let size = response.len() as u64;
            add::<EXCLUSIVE>(&shard.response_size[proto][bucket(&SIZE_BOUNDS, size)], 1);
            add::<EXCLUSIVE>(&shard.response_bytes[proto], size);
        }
    }

    /// Counts one response the rate limiter stopped: of `class`, sent as a TC
    /// reply (`slipped`) or dropped.
    #[inline]
    pub fn record_limited(&self, class: ResponseClass, slipped: bool) {
        let (shard, exclusive) = match self.shards.get(writer()) {
            Some(shard) => (shard.as_ref(), true),
            None => (self.shared.as_ref(), false),
        };
        let counters = [
            &shard.rrl_limited[class as usize],
            &shard.rrl_slipped_dropped[usize::from(!slipped)],
        ];
        for counter in counters {
            if exclusive {
                add::<true>(counter, 1);
            } else {
                add::<false>(counter, 1);
            }
        }
    }

    /// Every counter summed over the shards, for a scrape.
    pub fn snapshot(&self) -> QuerySnapshot {
        let mut snapshot = QuerySnapshot::default();
        for shard in self.shards.iter().chain(std::iter::once(&self.shared)) {
            snapshot.add(shard);
        }
        snapshot.duration_sum_s = snapshot
            .duration_ticks
            .iter()
            .map(|&ticks| self.ticks.to_seconds(ticks))
            .collect();
        snapshot
    }
}

/// A histogram's per-bucket counts (not cumulative) and sum.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramSnapshot {
    /// Count per bucket, the last being `+Inf`.
    pub buckets: Vec<u64>,
    /// Sum of the observations.
    pub sum: f64,
}

impl HistogramSnapshot {
    /// Observations in all.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// [`QueryMetrics`] summed, in label order.
#[derive(Debug, Clone, Default)]
pub struct QuerySnapshot {
    /// Requests by (protocol, family, type), flattened.
    requests: Vec<u64>,
    /// Responses by code.
    pub responses: Vec<u64>,
    duration: Vec<Vec<u64>>,
    duration_ticks: Vec<u64>,
    duration_sum_s: Vec<f64>,
    request_size: Vec<Vec<u64>>,
    request_bytes: Vec<u64>,
    response_size: Vec<Vec<u64>>,
    response_bytes: Vec<u64>,
    /// Responses over the rate limit, by class ([`ResponseClass::ALL`] order).
    pub rrl_limited: Vec<u64>,
    /// Limited responses sent as TC replies, and dropped.
    rrl_slipped_dropped: Vec<u64>,
}

fn add_into(total: &mut Vec<u64>, counters: &[AtomicU64]) {
    total.resize(counters.len(), 0);
    for (sum, counter) in total.iter_mut().zip(counters) {
        *sum += counter.load(Ordering::Relaxed);
    }
}

fn add_rows<const N: usize>(total: &mut Vec<Vec<u64>>, rows: &[[AtomicU64; N]]) {
    total.resize(rows.len(), Vec::new());
    for (sum, row) in total.iter_mut().zip(rows) {
        add_into(sum, row);
    }
}

impl QuerySnapshot {
    fn add(&mut self, shard: &Shard) {
        add_into(&mut self.requests, &shard.requests);
        add_into(&mut self.responses, &shard.responses);
        add_rows(&mut self.duration, &shard.duration);
        add_into(&mut self.duration_ticks, &shard.duration_ticks);
        add_rows(&mut self.request_size, &shard.request_size);
        add_into(&mut self.request_bytes, &shard.request_bytes);
        add_rows(&mut self.response_size, &shard.response_size);
        add_into(&mut self.response_bytes, &shard.response_bytes);
        add_into(&mut self.rrl_limited, &shard.rrl_limited);
        add_into(&mut self.rrl_slipped_dropped, &shard.rrl_slipped_dropped);
    }

    /// Limited responses sent as TC replies.
    pub fn rrl_slipped(&self) -> u64 {
        self.rrl_slipped_dropped.first().copied().unwrap_or(0)
    }

    /// Limited responses dropped.
    pub fn rrl_dropped(&self) -> u64 {
        self.rrl_slipped_dropped.get(1).copied().unwrap_or(0)
    }

    /// Requests over `protocol` index, `family` index, of `kind` (type index).
    pub fn requests(&self, protocol: usize, family: usize, kind: usize) -> u64 {
        self.requests[(protocol * FAMILIES.len() + family) * TYPE_LABELS + kind]
    }

    /// The duration histogram of queries of `kind` (type index), in seconds.
    pub fn duration(&self, kind: usize) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: self.duration[kind].clone(),
            sum: self.duration_sum_s[kind],
        }
    }

    /// The request size histogram over `protocol` (index), in bytes.
    pub fn request_size(&self, protocol: usize) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: self.request_size[protocol].clone(),
            sum: self.request_bytes[protocol] as f64,
        }
    }

    /// The response size histogram over `protocol` (index), in bytes.
    pub fn response_size(&self, protocol: usize) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: self.response_size[protocol].clone(),
            sum: self.response_bytes[protocol] as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loc::LOC;
    use crate::metrics::classify::{QUERY_TYPES, rcode_label, type_label};
    use crate::testing::TestQuery;

    fn index_of(label: &str) -> usize {
        (0..TYPE_LABELS).find(|&i| type_label(i) == label).unwrap()
    }

    #[test]
    fn a_query_is_counted_once_in_every_family_of_metrics() {
        let metrics = QueryMetrics::new(1, Ticks::monotonic());
        let query = TestQuery::new("iss.sat.example.", LOC)
            .edns(1232)
            .to_bytes();
        let mut response = query.clone();
        response[2] |= 0x80;
        response[3] = 3; // NXDOMAIN
        response.resize(150, 0);
        let started = metrics.start();
        metrics.record(started, &query, Protocol::Tcp, Family::V6, Some(&response));
        metrics.record(
            metrics.start(),
            &query[..3],
            Protocol::Udp,
            Family::V4,
            None,
        );
        let snapshot = metrics.snapshot();
        let loc = index_of("LOC");
        let other = QUERY_TYPES.len();
        assert_eq!(snapshot.requests(1, 1, loc), 1);
        assert_eq!(snapshot.requests(0, 0, other), 1);
        let total: u64 = snapshot.requests.iter().sum();
        assert_eq!(total, 2);
        let nxdomain = (0..RCODE_LABELS)
            .find(|&i| rcode_label(i) == "NXDOMAIN")
            .unwrap();
        assert_eq!(snapshot.responses[nxdomain], 1);
        assert_eq!(
            snapshot.responses.iter().sum::<u64>(),
            1,
            "the dropped one has none"
        );
        assert_eq!(snapshot.duration(loc).count(), 1);
        assert_eq!(snapshot.duration(loc).buckets[0], 1, "well under 0.25 ms");
        assert_eq!(snapshot.duration(other).count(), 1);
        let tcp_requests = snapshot.request_size(1);
        assert_eq!(tcp_requests.sum, query.len() as f64);
        assert_eq!(
            tcp_requests.buckets[1],
            1,
            "{} bytes: (0, 100]",
            query.len()
        );
        assert_eq!(snapshot.request_size(0).buckets[1], 1, "3 bytes: (0, 100]");
        let tcp_responses = snapshot.response_size(1);
        assert_eq!((tcp_responses.sum, tcp_responses.buckets[2]), (150.0, 1));
        assert_eq!(snapshot.response_size(0).count(), 0);
    }

    #[test]
    fn limited_responses_are_counted_by_class_and_fate() {
        for writers in [1, 0] {
            let metrics = QueryMetrics::new(writers, Ticks::monotonic());
            metrics.record_limited(ResponseClass::Normal, true);
            metrics.record_limited(ResponseClass::Normal, false);
            metrics.record_limited(ResponseClass::Any, false);
            let snapshot = metrics.snapshot();
            assert_eq!(snapshot.rrl_limited, [2, 0, 0, 0, 0, 1], "{writers} shards");
            assert_eq!((snapshot.rrl_slipped(), snapshot.rrl_dropped()), (1, 2));
        }
    }

    #[test]
    fn values_fall_in_the_first_bucket_that_holds_them() {
        assert_eq!(bucket(&SIZE_BOUNDS, 0), 0);
        assert_eq!(bucket(&SIZE_BOUNDS, 1), 1);
        assert_eq!(bucket(&SIZE_BOUNDS, 100), 1);
        assert_eq!(bucket(&SIZE_BOUNDS, 101), 2);
        assert_eq!(bucket(&SIZE_BOUNDS, 70_000), SIZE_BOUNDS.len(), "+Inf");
        let metrics = QueryMetrics::new(0, Ticks::monotonic());
        assert_eq!(metrics.duration_bounds[0], 250_000, "ns");
        assert_eq!(bucket(&metrics.duration_bounds, 250_000), 0);
        assert_eq!(bucket(&metrics.duration_bounds, 250_001), 1);
        assert_eq!(bucket(&metrics.duration_bounds, 9_000_000_000), 16, "+Inf");
    }

    /// Four threads each adding without locked instructions would lose counts
    /// if any two wrote one shard.
    #[test]
    fn threads_with_shards_of_their_own_lose_nothing() {
        let metrics = QueryMetrics::new(1024, Ticks::monotonic());
        let query = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    assert!(writer() < 1024, "a shard of its own");
                    for _ in 0..100_000 {
                        let started = metrics.start();
                        metrics.record(started, &query, Protocol::Udp, Family::V4, Some(&query));
                    }
                });
            }
        });
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.requests(0, 0, index_of("LOC")), 400_000);
        assert_eq!(snapshot.duration(index_of("LOC")).count(), 400_000);
    }

    #[test]
    fn threads_past_the_shards_share_one_and_lose_nothing() {
        // No exclusive shards at all: every thread adds atomically to the shared one.
        let metrics = QueryMetrics::new(0, Ticks::monotonic());
        let query = TestQuery::new("iss.sat.example.", LOC).to_bytes();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        metrics.record(
                            metrics.start(),
                            &query,
                            Protocol::Udp,
                            Family::V4,
                            Some(&query),
                        );
                    }
                });
            }
        });
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.requests(0, 0, index_of("LOC")), 40_000);
        assert_eq!(snapshot.responses.iter().sum::<u64>(), 40_000);
    }
}
