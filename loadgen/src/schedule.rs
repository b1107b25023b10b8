//! When queries go out: the run's clock, the open-loop timetable, and the
//! per-thread share of the run's concurrency, rate and request budget.
//!
//! Every thread reads time from one [`Clock`] (nanoseconds since the run
//! started), so due times, send times and interval bounds taken on different
//! threads compare directly.
//!
//! In an open loop every query has a due time fixed before the run starts
//! (`first + k × interval`), whatever the server does. Latency is measured
//! from that due time, not from when the query actually left: if the server
//! stalls and the generator falls behind, the queries it could not send on
//! time carry the delay in their latency instead of silently disappearing
//! from the percentiles (the coordinated-omission correction of wrk2).
//! Threads interleave their timetables so the merged stream is evenly spaced.

use std::time::{Duration, Instant, SystemTime};

/// Nanoseconds since the run started, the same origin on every thread.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The run's time zero.
    origin: Instant,
}

impl Clock {
    /// A clock whose zero is now.
    pub fn start() -> Self {
        Self {
            origin: Instant::now(),
        }
    }

    /// A clock whose zero is the wall-clock time `start`, now or just past:
    /// hosts that agreed on `start` share their zero as closely as their
    /// wall clocks agree.
    pub fn started_at(start: SystemTime) -> Self {
        let late = SystemTime::now()
            .duration_since(start)
            .unwrap_or(Duration::ZERO);
        let now = Instant::now();
        Self {
            origin: now.checked_sub(late).unwrap_or(now),
        }
    }

    /// Nanoseconds since zero.
    pub fn now_ns(&self) -> u64 {
        duration_ns(self.origin.elapsed())
    }
}

/// One thread's open-loop timetable.
#[derive(Debug, Clone)]
pub struct OpenLoopSchedule {
    /// Due time of this thread's first query, ns since the run's start.
    first_due_ns: f64,
    /// Time between this thread's queries in ns.
    interval_ns: f64,
    /// How many queries have been taken off the timetable.
    issued: u64,
}

impl OpenLoopSchedule {
    /// The timetable of thread `thread` of `threads` for a total of
    /// `rate_qps` queries per second.
    pub fn new(rate_qps: f64, thread: usize, threads: usize) -> Self {
        let interval_ns = 1e9 * threads as f64 / rate_qps;
        Self {
            first_due_ns: interval_ns * thread as f64 / threads as f64,
            interval_ns,
            issued: 0,
        }
    }

    /// When the next query is due, ns since the run's start.
    pub fn next_due_ns(&self) -> u64 {
        (self.first_due_ns + self.issued as f64 * self.interval_ns) as u64
    }

    /// Takes the next query off the timetable.
    pub fn advance(&mut self) {
        self.issued += 1;
    }

    /// How many queries fall due before `end_ns`.
    pub fn due_before(&self, end_ns: u64) -> u64 {
        let span = end_ns as f64 - self.first_due_ns;
        if span <= 0.0 {
            0
        } else {
            (span / self.interval_ns).ceil() as u64
        }
    }
}

/// Splits `total` into `parts` shares that differ by at most one, larger
/// shares first.
pub fn split_evenly(total: u64, parts: usize) -> Vec<u64> {
    let parts_u64 = parts as u64;
    (0..parts_u64)
        .map(|index| total / parts_u64 + u64::from(index < total % parts_u64))
        .collect()
}

/// Converts a duration to whole nanoseconds, saturating.
pub fn duration_ns(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_interleave_into_an_even_stream() {
        // 1000 qps over 2 threads: each sends every 2 ms, offset by 1 ms.
        let mut a = OpenLoopSchedule::new(1000.0, 0, 2);
        let mut b = OpenLoopSchedule::new(1000.0, 1, 2);
        let mut due = Vec::new();
        for _ in 0..3 {
            due.push(a.next_due_ns());
            a.advance();
            due.push(b.next_due_ns());
            b.advance();
        }
        assert_eq!(
            due,
            vec![0, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]
        );
    }

    #[test]
    fn due_before_counts_the_timetable() {
        let schedule = OpenLoopSchedule::new(1000.0, 0, 1);
        assert_eq!(schedule.due_before(0), 0);
        assert_eq!(schedule.due_before(1), 1);
        assert_eq!(schedule.due_before(1_000_000_000), 1000);
    }

    #[test]
    fn shares_differ_by_at_most_one() {
        assert_eq!(split_evenly(10, 3), vec![4, 3, 3]);
        assert_eq!(split_evenly(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split_evenly(0, 1), vec![0]);
    }
}
