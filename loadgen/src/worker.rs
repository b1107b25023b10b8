//! One load-generating thread: its sockets, its in-flight tables, its
//! histogram, and the loop that drives them.
//!
//! Each worker is a plain OS thread running a loop without an async runtime:
//! queue what the load model allows, flush, wait on all its sockets with one
//! `ppoll`, read everything that arrived, repeat. Everything the loop touches
//! belongs to this thread alone; once a second it hands the coordinator the
//! histogram and counters of the second that just ended (by value, over a
//! channel) and starts new ones. No lock, no shared counter, no allocation
//! per query.
//!
//! Interval `k` covers `[measure_start + k s, measure_start + (k+1) s)`, so
//! negative intervals are warm-up. A query belongs to the phase it was due
//! in, and is only ever counted in an interval of that phase: answers and
//! timeouts of warm-up queries that land after warm-up are dropped, and the
//! measured intervals add up to exactly the measured queries.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

use hdrhistogram::Histogram;

use crate::error::LoadgenError;
use crate::inflight::{InFlight, Lookup};
use crate::query::{QuerySet, SplitMix64};
use crate::response::{CheckMode, ExpectedQuestion, Verdict, check, message_id};
use crate::schedule::{Clock, OpenLoopSchedule};
use crate::stats::{Counters, new_histogram, record_latency_ns};
use crate::transport::{Sink, Transport};

/// Length of a reporting interval: one second, as HdrHistogram logs and
/// progress bars usually use.
pub const INTERVAL_NS: u64 = 1_000_000_000;

/// Most queries one loop round takes off an open-loop timetable before
/// looking at responses again.
const MAX_ISSUE_PER_ROUND: usize = 256;

/// How a worker decides when to send.
#[derive(Debug, Clone)]
pub enum WorkerLoad {
    /// Keep this many queries in flight on each channel.
    Closed {
        /// Per-channel concurrency.
        per_channel: Vec<usize>,
    },
    /// Send on this timetable.
    Open(OpenLoopSchedule),
}

/// When a worker stops sending.
#[derive(Debug, Clone, Copy)]
pub enum WorkerStop {
    /// At this time (ns since the run's start).
    At(u64),
    /// After this many measured queries.
    After(u64),
}

/// Everything a worker needs to know before it starts.
#[derive(Debug, Clone)]
pub struct WorkerPlan {
    /// This worker's number, for messages and samples.
    pub index: usize,
    /// The load model.
    pub load: WorkerLoad,
    /// When warm-up ends and measurement begins (ns since start).
    pub measure_start_ns: u64,
    /// When to stop sending.
    pub stop: WorkerStop,
    /// How long to wait for an answer before counting a query lost.
    pub timeout_ns: u64,
    /// How thoroughly to check responses.
    pub check_mode: CheckMode,
    /// Seed for IDs and letter case.
    pub seed: u64,
    /// How long to poll without sleeping before blocking.
    pub spin_ns: u64,
    /// Open loop: most queries one channel may have in flight (what its
    /// receive buffer holds answers for, [`crate::window`]); a due query
    /// finding every channel at its window waits, its latency still timed
    /// from the due time.
    pub window: usize,
}

/// One worker's second of measurements, sent to the coordinator.
#[derive(Debug)]
pub struct IntervalSample {
    /// Which worker.
    pub worker: usize,
    /// Interval number relative to the start of measurement (negative:
    /// warm-up).
    pub index: i64,
    /// Interval start, ns since the run's start.
    pub start_ns: u64,
    /// Interval end, ns since the run's start (earlier than the nominal end
    /// for a worker's last sample).
    pub end_ns: u64,
    /// Latencies of answers in this interval, in µs.
    pub histogram: Histogram<u64>,
    /// Outcomes in this interval.
    pub counters: Counters,
    /// Whether this is the worker's final sample.
    pub last: bool,
}

/// What a worker reports when it is done.
#[derive(Debug)]
pub struct WorkerOutcome {
    /// When it stopped sending measured queries (ns since start).
    pub send_end_ns: u64,
    /// When its last measured answer arrived (ns since start).
    pub last_answer_ns: u64,
    /// Open loop: the most any measured query went out after its due time.
    pub max_send_lag_ns: u64,
    /// Open loop: measured queries that fell due while it was sending.
    pub scheduled: u64,
    /// Open loop: times a measured due query found every channel's window
    /// full of unanswered queries and had to wait (the server's backlog,
    /// not the generator's speed, held it back).
    pub window_stalls: u64,
    /// Why it stopped early, if it did.
    pub error: Option<LoadgenError>,
}

/// One interval of the run: one worker's while it records it, or every
/// worker's summed by the coordinator.
#[derive(Debug)]
pub(crate) struct Interval {
    /// Interval number relative to the start of measurement.
    pub(crate) index: i64,
    /// Start, ns since the run's start.
    pub(crate) start_ns: u64,
    /// End, ns since the run's start (the nominal end while recording).
    pub(crate) end_ns: u64,
    /// Latencies in µs.
    pub(crate) histogram: Histogram<u64>,
    /// Outcome counts.
    pub(crate) counters: Counters,
}

impl Interval {
    /// An empty interval `index` from `start_ns` to `end_ns`.
    pub(crate) fn new(index: i64, start_ns: u64, end_ns: u64) -> Self {
        Self {
            index,
            start_ns,
            end_ns,
            histogram: new_histogram(),
            counters: Counters::default(),
        }
    }

    /// The empty interval `index` of a run whose measurement starts at
    /// `measure_start_ns`.
    fn numbered(index: i64, measure_start_ns: u64) -> Self {
        Self::new(
            index,
            interval_start(measure_start_ns, index),
            interval_start(measure_start_ns, index + 1),
        )
    }
}

/// Start time of interval `index` when measurement starts at
/// `measure_start_ns`, clamped at the run's start.
fn interval_start(measure_start_ns: u64, index: i64) -> u64 {
    let offset = i128::from(index) * i128::from(INTERVAL_NS);
    let start = i128::from(measure_start_ns) + offset;
    u64::try_from(start.max(0)).unwrap_or(u64::MAX)
}

/// The part of a worker that responses update; the transport hands it
/// messages as a [`Sink`].
#[derive(Debug)]
struct State {
    /// This worker's number.
    worker: usize,
    /// The queries, shared read-only by all workers.
    queries: Arc<QuerySet>,
    /// How thoroughly to check responses.
    check_mode: CheckMode,
    /// One table per channel.
    inflight: Vec<InFlight>,
    /// When measurement begins.
    measure_start_ns: u64,
    /// The interval being recorded.
    interval: Interval,
    /// Where finished intervals go.
    samples: Sender<IntervalSample>,
    /// When the last measured answer arrived.
    last_answer_ns: u64,
}

impl State {
    /// Whether the current interval is a measured one.
    fn measuring(&self) -> bool {
        self.interval.index >= 0
    }

    /// Closes every interval that ended at or before `now_ns`.
    fn roll(&mut self, now_ns: u64) {
        while now_ns >= self.interval.end_ns {
            self.emit(false);
        }
    }

    /// Sends the current interval and starts the next one.
    fn emit(&mut self, last: bool) {
        let next = Interval::numbered(self.interval.index + 1, self.measure_start_ns);
        let finished = std::mem::replace(&mut self.interval, next);
        // The coordinator only goes away when the run is over.
        let _ = self.samples.send(IntervalSample {
            worker: self.worker,
            index: finished.index,
            start_ns: finished.start_ns,
            end_ns: finished.end_ns,
            histogram: finished.histogram,
            counters: finished.counters,
            last,
        });
    }

    /// Sends the current interval as the worker's last, ending at `now_ns`.
    fn emit_last(&mut self, now_ns: u64) {
        self.interval.end_ns = now_ns.max(self.interval.start_ns);
        self.emit(true);
    }
}

impl Sink for State {
    fn response(&mut self, channel: usize, message: &[u8], now_ns: u64) {
        self.roll(now_ns);
        let measuring = self.measuring();
        let counters = &mut self.interval.counters;
        let Some(id) = message_id(message) else {
            counters.unexpected += 1;
            return;
        };
        let table = &mut self.inflight[channel];
        let outstanding = match table.lookup(id) {
            Lookup::Pending(outstanding) => outstanding,
            Lookup::Late { measured } => {
                table.finish(id);
                if measured == measuring {
                    counters.late += 1;
                }
                return;
            }
            Lookup::Unknown => {
                counters.unexpected += 1;
                return;
            }
        };
        let query = outstanding.query as usize;
        let mut expected_buf = [0u8; 260];
        let expected = if self.queries.random_case() {
            let len =
                self.queries
                    .expected_question(query, outstanding.case_seed, &mut expected_buf);
            ExpectedQuestion {
                wire: &expected_buf[..len],
                exact_case: true,
            }
        } else {
            ExpectedQuestion {
                wire: self.queries.question(query),
                exact_case: false,
            }
        };
        let verdict = check(message, expected, self.check_mode);
        table.finish(id);
        if outstanding.measured != measuring {
            return;
        }
        match verdict {
            Verdict::Answer { rcode, truncated } => {
                counters.completed += 1;
                counters.rcodes[usize::from(rcode) % counters.rcodes.len()] += 1;
                counters.truncated += u64::from(truncated);
                record_latency_ns(
                    &mut self.interval.histogram,
                    now_ns.saturating_sub(outstanding.due_ns),
                );
                if measuring {
                    self.last_answer_ns = now_ns;
                }
            }
            Verdict::Mismatch => counters.mismatched += 1,
            Verdict::Malformed => counters.malformed += 1,
        }
    }

    fn closed(&mut self, channel: usize) {
        self.expire(channel, u64::MAX);
        self.interval.counters.reconnects += 1;
    }
}

impl State {
    /// Counts every query on any channel sent at or before `deadline_ns` as
    /// lost (`u64::MAX`: everything in flight).
    fn expire_all(&mut self, deadline_ns: u64) {
        for channel in 0..self.inflight.len() {
            self.expire(channel, deadline_ns);
        }
    }

    /// Counts every query on `channel` sent at or before `deadline_ns` as
    /// lost (`u64::MAX`: everything in flight).
    fn expire(&mut self, channel: usize, deadline_ns: u64) {
        let mut lost_measured = 0u64;
        let mut lost_warmup = 0u64;
        self.inflight[channel].expire(deadline_ns, |measured| {
            if measured {
                lost_measured += 1;
            } else {
                lost_warmup += 1;
            }
        });
        self.interval.counters.lost += if self.measuring() {
            lost_measured
        } else {
            lost_warmup
        };
    }
}

/// A load-generating thread's state.
#[derive(Debug)]
pub struct Worker<T: Transport> {
    /// The sockets or connections.
    transport: T,
    /// Everything responses update.
    state: State,
    /// The load model.
    load: WorkerLoad,
    /// When to stop sending.
    stop: WorkerStop,
    /// Per-query timeout.
    timeout_ns: u64,
    /// The shared clock.
    clock: Clock,
    /// Set by the coordinator to stop everyone early (Ctrl-C, another
    /// worker's fatal error).
    abort: Arc<AtomicBool>,
    /// Index of the next query to send.
    next_query: usize,
    /// Randomness for letter case.
    rng: SplitMix64,
    /// Open loop: the channel to try first for the next query.
    channel_cursor: usize,
    /// Open loop: the worst lateness of a measured send.
    max_send_lag_ns: u64,
    /// Open loop: waits of measured queries for a window to open.
    window_stalls: u64,
    /// When sending stopped.
    send_end_ns: u64,
    /// How long to look for answers before going to sleep.
    spin_ns: u64,
    /// Open loop: most queries in flight per channel.
    window: usize,
}

impl<T: Transport> Worker<T> {
    /// A worker that will drive `transport` according to `plan`.
    pub fn new(
        transport: T,
        queries: Arc<QuerySet>,
        plan: WorkerPlan,
        clock: Clock,
        samples: Sender<IntervalSample>,
        abort: Arc<AtomicBool>,
    ) -> Self {
        let mut rng = SplitMix64::new(plan.seed);
        let inflight = (0..transport.channels())
            .map(|_| InFlight::new((rng.next_u64() >> 48) as u16))
            .collect();
        let next_query = (plan.index * 7919) % queries.len();
        // The first interval is the one containing time zero.
        let first = -(plan.measure_start_ns.div_ceil(INTERVAL_NS) as i64);
        let state = State {
            worker: plan.index,
            queries,
            check_mode: plan.check_mode,
            inflight,
            measure_start_ns: plan.measure_start_ns,
            interval: Interval::numbered(first, plan.measure_start_ns),
            samples,
            last_answer_ns: plan.measure_start_ns,
        };
        Self {
            transport,
            state,
            load: plan.load,
            stop: plan.stop,
            timeout_ns: plan.timeout_ns,
            clock,
            abort,
            next_query,
            rng,
            channel_cursor: 0,
            max_send_lag_ns: 0,
            window_stalls: 0,
            send_end_ns: 0,
            spin_ns: plan.spin_ns,
            window: plan.window,
        }
    }

    /// Runs until the stop condition, drains what is in flight, and reports.
    pub fn run(mut self) -> WorkerOutcome {
        let error = self.drive().err();
        let now_ns = self.clock.now_ns();
        self.state.roll(now_ns);
        if error.is_some() {
            // Abandoned: whatever is still in flight will never be answered
            // as far as this run is concerned.
            if self.send_end_ns == 0 {
                self.send_end_ns = now_ns;
            }
            self.state.expire_all(u64::MAX);
        }
        self.state.emit_last(now_ns);
        let scheduled = match (&self.load, self.stop) {
            (WorkerLoad::Open(schedule), WorkerStop::At(end_ns)) => schedule
                .due_before(end_ns)
                .saturating_sub(schedule.due_before(self.state.measure_start_ns)),
            _ => 0,
        };
        WorkerOutcome {
            send_end_ns: self.send_end_ns,
            last_answer_ns: self.state.last_answer_ns,
            max_send_lag_ns: self.max_send_lag_ns,
            scheduled,
            window_stalls: self.window_stalls,
            error,
        }
    }

    /// The loop: send, flush, wait, receive, until stopped and drained.
    fn drive(&mut self) -> Result<(), LoadgenError> {
        let mut sending = true;
        loop {
            let now_ns = self.clock.now_ns();
            self.state.roll(now_ns);
            if sending && !self.may_send(now_ns) {
                sending = false;
                self.send_end_ns = now_ns;
            }
            self.expire(now_ns);
            if sending {
                match self.load {
                    WorkerLoad::Closed { .. } => self.issue_closed(now_ns),
                    WorkerLoad::Open(_) => self.issue_open(now_ns),
                }
            }
            self.transport
                .flush(&mut self.state)
                .map_err(|err| self.socket_error(err))?;
            if !sending && self.pending() == 0 && !self.transport.has_queued() {
                return Ok(());
            }
            let wake_ns = self.next_wake(sending);
            self.wait_until(wake_ns)
                .map_err(|err| self.socket_error(err))?;
            self.transport
                .receive(&self.clock, &mut self.state)
                .map_err(|err| self.socket_error(err))?;
        }
    }

    /// Waits for a ready channel or `wake_ns`: first by looking without
    /// sleeping for up to the spin time, then by sleeping.
    ///
    /// Sleeping costs a context switch and, on a virtual machine, a wake-up
    /// interrupt through the hypervisor; when the answer is due within tens
    /// of microseconds, looking again is cheaper than sleeping. The runs
    /// behind the 50 µs default are in loadgen/README.md ("Compared with
    /// dnsperf").
    fn wait_until(&mut self, wake_ns: u64) -> std::io::Result<()> {
        let spin_end_ns = self
            .clock
            .now_ns()
            .saturating_add(self.spin_ns)
            .min(wake_ns);
        loop {
            if self.transport.wait(Some(0))? {
                return Ok(());
            }
            let now_ns = self.clock.now_ns();
            if now_ns >= spin_end_ns {
                if now_ns < wake_ns {
                    self.transport.wait(Some(wake_ns - now_ns))?;
                }
                return Ok(());
            }
        }
    }

    /// Whether the stop condition still allows sending.
    fn may_send(&self, now_ns: u64) -> bool {
        if self.abort.load(Ordering::Relaxed) {
            return false;
        }
        match self.stop {
            WorkerStop::At(end_ns) => now_ns < end_ns,
            WorkerStop::After(remaining) => remaining > 0,
        }
    }

    /// Whether the request budget allows one more query of this phase.
    fn budget_allows(&self, measured: bool) -> bool {
        !measured || !matches!(self.stop, WorkerStop::After(0))
    }

    /// Queries in flight on all channels.
    fn pending(&self) -> usize {
        self.state.inflight.iter().map(InFlight::pending).sum()
    }

    /// Counts every query older than the timeout as lost.
    fn expire(&mut self, now_ns: u64) {
        if let Some(deadline_ns) = now_ns.checked_sub(self.timeout_ns) {
            self.state.expire_all(deadline_ns);
        }
    }

    /// Closed loop: tops every channel up to its concurrency.
    fn issue_closed(&mut self, now_ns: u64) {
        let measured = now_ns >= self.state.measure_start_ns;
        for channel in 0..self.state.inflight.len() {
            let limit = match &self.load {
                WorkerLoad::Closed { per_channel } => per_channel[channel],
                WorkerLoad::Open(_) => return,
            };
            while self.state.inflight[channel].pending() < limit {
                if !self.budget_allows(measured)
                    || !self.transport.can_queue(channel)
                    || !self.send_one(channel, now_ns, now_ns, measured)
                {
                    break;
                }
            }
        }
    }

    /// Open loop: sends every query whose due time has come, timed from
    /// that due time.
    fn issue_open(&mut self, now_ns: u64) {
        let channels = self.state.inflight.len();
        for _ in 0..MAX_ISSUE_PER_ROUND {
            let WorkerLoad::Open(schedule) = &self.load else {
                return;
            };
            let due_ns = schedule.next_due_ns();
            if due_ns > now_ns {
                return;
            }
            if let WorkerStop::At(end_ns) = self.stop
                && due_ns >= end_ns
            {
                return;
            }
            let measured = due_ns >= self.state.measure_start_ns;
            if !self.budget_allows(measured) {
                return;
            }
            let mut sent = false;
            for _ in 0..channels {
                let channel = self.channel_cursor;
                self.channel_cursor = (self.channel_cursor + 1) % channels;
                if self.transport.can_queue(channel)
                    && self.state.inflight[channel].pending() < self.window
                    && self.send_one(channel, due_ns, now_ns, measured)
                {
                    sent = true;
                    break;
                }
            }
            if !sent {
                // Every channel is full: the backlog waits, its latency
                // still counted from the due times.
                self.window_stalls += u64::from(measured);
                return;
            }
            if measured {
                self.max_send_lag_ns = self.max_send_lag_ns.max(now_ns - due_ns);
            }
            if let WorkerLoad::Open(schedule) = &mut self.load {
                schedule.advance();
            }
        }
    }

    /// Queues the next query on `channel`; false if the channel has no free
    /// ID.
    fn send_one(&mut self, channel: usize, due_ns: u64, now_ns: u64, measured: bool) -> bool {
        let query = self.next_query;
        let case_seed = if self.state.queries.random_case() {
            self.rng.next_u32()
        } else {
            0
        };
        let query_u32 = u32::try_from(query).unwrap_or(u32::MAX);
        let Some(id) =
            self.state.inflight[channel].insert(query_u32, case_seed, due_ns, now_ns, measured)
        else {
            return false;
        };
        let queries = &self.state.queries;
        self.transport
            .queue(channel, |buf| queries.encode(query, id, case_seed, buf));
        self.next_query = if query + 1 == queries.len() {
            0
        } else {
            query + 1
        };
        if measured == self.state.measuring() {
            self.state.interval.counters.sent += 1;
        }
        if measured && let WorkerStop::After(remaining) = &mut self.stop {
            *remaining -= 1;
        }
        true
    }

    /// The next moment the loop must wake even if no socket is ready.
    fn next_wake(&mut self, sending: bool) -> u64 {
        let mut wake = self.state.interval.end_ns;
        for table in &mut self.state.inflight {
            if let Some(sent_ns) = table.oldest_sent_ns() {
                wake = wake.min(sent_ns.saturating_add(self.timeout_ns));
            }
        }
        if sending {
            if let WorkerStop::At(end_ns) = self.stop {
                wake = wake.min(end_ns);
            }
            if let WorkerLoad::Open(schedule) = &self.load {
                wake = wake.min(schedule.next_due_ns());
            }
        }
        wake
    }

    /// Maps a socket error to the user-facing error.
    fn socket_error(&self, err: std::io::Error) -> LoadgenError {
        let server = self.transport.server();
        LoadgenError::from_socket(err, server, T::NAME, || {
            format!("{} socket error talking to {server}", T::NAME)
        })
    }
}
