//! A whole run: open the sockets, start one worker per thread, gather their
//! per-second samples as they come, and sum them into the final report.
//!
//! The coordinating thread does no measuring. It receives each worker's
//! interval samples over a channel, adds up the samples of the same second
//! from every worker once all of them have reported it, and then uses that
//! second three ways: the progress line, one line of the HdrHistogram log,
//! and (for measured seconds) the running totals. The totals are therefore
//! exactly the sum of the logged intervals, which is what makes `merge`
//! exact.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::net::{TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::config::{Config, LoadModel, StopCondition, TransportKind};
use crate::error::LoadgenError;
use crate::hdrlog::HdrLogWriter;
use crate::progress::Progress;
use crate::report::{LoadReport, OpenLoopReport, Report};
use crate::schedule::{Clock, OpenLoopSchedule, duration_ns, split_evenly};
use crate::stats::{Counters, LatencySummary, new_histogram};
use crate::transport::Transport;
use crate::transport::tcp::{TcpTransport, open_connections};
use crate::transport::udp::{UdpTransport, open_sockets};
use crate::worker::{
    Interval, IntervalSample, Worker, WorkerLoad, WorkerOutcome, WorkerPlan, WorkerStop,
};

/// Largest UDP response accepted: the protocol's limit, so that no answer a
/// server may legally send is cut short.
const MAX_UDP_RESPONSE: usize = 65_535;

/// What a run measured.
#[derive(Debug)]
pub struct RunResult {
    /// The summary.
    pub report: Report,
    /// Latencies of all measured answers, in µs.
    pub histogram: Histogram<u64>,
    /// All measured outcomes.
    pub counters: Counters,
    /// Why the run ended early or failed, if it did; the report holds what
    /// was measured until then.
    pub error: Option<LoadgenError>,
}

/// One thread's sockets or connections, opened before the run starts.
#[derive(Debug)]
enum Channels {
    /// Connected UDP sockets.
    Udp(Vec<UdpSocket>),
    /// Connected TCP streams.
    Tcp(Vec<TcpStream>),
}

/// Runs the configured load until it stops or `abort` is set, and reports.
///
/// Errors before any query is sent (sockets, refused TCP connections, an
/// output file) are returned as `Err`; errors during the run end it early
/// and come back in [`RunResult::error`] beside what was measured.
pub fn run(config: &Config, abort: Arc<AtomicBool>) -> Result<RunResult, LoadgenError> {
    let transport_name = match config.transport {
        TransportKind::Udp => UdpTransport::NAME,
        TransportKind::Tcp => TcpTransport::NAME,
    };
    let channels = (0..config.threads)
        .map(|_| match config.transport {
            TransportKind::Udp => open_sockets(
                config.server,
                config.channels_per_thread,
                config.socket_buffer_bytes,
            )
            .map(Channels::Udp),
            TransportKind::Tcp => {
                open_connections(config.server, config.channels_per_thread, config.timeout)
                    .map(Channels::Tcp)
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| {
            LoadgenError::from_socket(err, config.server, transport_name, || {
                format!("cannot open {transport_name} sockets to {}", config.server)
            })
        })?;

    let hdr_log = match &config.hdr_log {
        Some(path) => Some((
            path.clone(),
            BufWriter::new(File::create(path).map_err(|source| LoadgenError::Output {
                path: path.clone(),
                source,
            })?),
        )),
        None => None,
    };

    let clock = Clock::start();
    let measure_start_ns = duration_ns(config.warmup);
    let measure_start_wall = SystemTime::now() + config.warmup;
    let mut log_writer = match hdr_log {
        Some((path, file)) => Some((
            path.clone(),
            HdrLogWriter::start(file, measure_start_wall, &describe(config))
                .map_err(|source| LoadgenError::Output { path, source })?,
        )),
        None => None,
    };

    let plans = plan_workers(config, measure_start_ns);
    let (samples_tx, samples_rx) = mpsc::channel::<IntervalSample>();
    let mut handles = Vec::with_capacity(config.threads);
    for (plan, channels) in plans.into_iter().zip(channels) {
        let queries = Arc::clone(&config.queries);
        let samples = samples_tx.clone();
        let abort = Arc::clone(&abort);
        let server = config.server;
        let connect_timeout = config.timeout;
        let index = plan.index;
        let handle = thread::Builder::new()
            .name(format!("loadgen-{index}"))
            .spawn(move || {
                let max_query_len = queries.max_len();
                let abort_on_error = Arc::clone(&abort);
                let outcome = match channels {
                    Channels::Udp(sockets) => {
                        let transport =
                            UdpTransport::new(server, sockets, max_query_len, MAX_UDP_RESPONSE);
                        Worker::new(transport, queries, plan, clock, samples, abort).run()
                    }
                    Channels::Tcp(streams) => {
                        let transport =
                            TcpTransport::new(server, streams, connect_timeout, max_query_len);
                        Worker::new(transport, queries, plan, clock, samples, abort).run()
                    }
                };
                if outcome.error.is_some() {
                    // One worker's fatal error (a refused port) ends the run
                    // for all of them.
                    abort_on_error.store(true, Ordering::Relaxed);
                }
                outcome
            })
            .map_err(|source| LoadgenError::Socket {
                context: format!("cannot start worker thread {index}"),
                source,
            })?;
        handles.push(handle);
    }
    drop(samples_tx);

    let progress = Progress::new(config.progress, config.stop, config.warmup);
    let mut merger = IntervalMerger::new(config.threads);
    let mut totals = Counters::default();
    let mut histogram = new_histogram();
    let mut output_error = None;
    let mut handle_second = |second: Interval| {
        let length_ns = second.end_ns.saturating_sub(second.start_ns);
        if second.index >= 0 {
            totals += &second.counters;
            let _ = histogram.add(&second.histogram);
            if let Some((path, writer)) = &mut log_writer {
                let start = Duration::from_nanos(second.start_ns.saturating_sub(measure_start_ns));
                if let Err(source) =
                    writer.write_interval(&second.histogram, start, Duration::from_nanos(length_ns))
                {
                    output_error.get_or_insert(LoadgenError::Output {
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
        let qps = if length_ns > 0 {
            second.counters.completed as f64 * 1e9 / length_ns as f64
        } else {
            0.0
        };
        progress.second(
            second.index < 0,
            second.end_ns as f64 / 1e9,
            qps,
            second.histogram.value_at_quantile(0.99),
            totals.lost,
            totals.completed + totals.lost + totals.errors(),
        );
    };
    while let Ok(sample) = samples_rx.recv() {
        for second in merger.add(sample) {
            handle_second(second);
        }
    }
    for second in merger.finish() {
        handle_second(second);
    }
    progress.finish();

    let mut outcomes = Vec::with_capacity(handles.len());
    let mut error = None;
    for (index, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(outcome) => outcomes.push(outcome),
            Err(_) => {
                error.get_or_insert(LoadgenError::WorkerPanic(index));
            }
        }
    }
    for outcome in &mut outcomes {
        if let Some(worker_error) = outcome.error.take() {
            error.get_or_insert(worker_error);
        }
    }

    let end_ns = outcomes
        .iter()
        .map(|outcome| outcome.send_end_ns.max(outcome.last_answer_ns))
        .max()
        .unwrap_or(measure_start_ns);
    let elapsed = Duration::from_nanos(end_ns.saturating_sub(measure_start_ns));
    if let Some((path, writer)) = log_writer
        && let Err(source) = writer.finish(&totals, elapsed)
    {
        output_error.get_or_insert(LoadgenError::Output { path, source });
    }
    let responses = totals.completed + totals.late + totals.mismatched + totals.malformed;
    if error.is_none() && totals.sent > 0 && responses == 0 && !abort.load(Ordering::Relaxed) {
        error = Some(LoadgenError::NoResponse {
            server: config.server,
            sent: totals.sent,
            timeout: config.timeout,
        });
    }
    let error = error.or(output_error);
    let report = build_report(
        config,
        &totals,
        &histogram,
        elapsed,
        &outcomes,
        measure_start_ns,
        error.as_ref(),
    );
    Ok(RunResult {
        report,
        histogram,
        counters: totals,
        error,
    })
}

/// One line saying what is being measured, for the log header.
fn describe(config: &Config) -> String {
    let load = match config.load {
        LoadModel::Closed { concurrency } => format!("closed loop, concurrency {concurrency}"),
        LoadModel::Open { rate_qps } => format!("open loop, {rate_qps} qps"),
    };
    format!(
        "{} {}: {} over {}, {load}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        config.server,
        config.transport.name().to_ascii_uppercase()
    )
}

/// Splits the run's load, budget and sockets over the worker threads.
fn plan_workers(config: &Config, measure_start_ns: u64) -> Vec<WorkerPlan> {
    let threads = config.threads;
    let concurrency_shares = match config.load {
        LoadModel::Closed { concurrency } => split_evenly(concurrency as u64, threads),
        LoadModel::Open { .. } => vec![0; threads],
    };
    let request_shares = match config.stop {
        StopCondition::Requests(requests) => split_evenly(requests, threads),
        StopCondition::Duration(_) => vec![0; threads],
    };
    (0..threads)
        .map(|index| {
            let load = match config.load {
                LoadModel::Closed { .. } => WorkerLoad::Closed {
                    per_channel: split_evenly(
                        concurrency_shares[index],
                        config.channels_per_thread,
                    )
                    .into_iter()
                    .map(|share| usize::try_from(share).unwrap_or(usize::MAX))
                    .collect(),
                },
                LoadModel::Open { rate_qps } => {
                    WorkerLoad::Open(OpenLoopSchedule::new(rate_qps, index, threads))
                }
            };
            let stop = match config.stop {
                StopCondition::Duration(duration) => {
                    WorkerStop::At(measure_start_ns.saturating_add(duration_ns(duration)))
                }
                StopCondition::Requests(_) => WorkerStop::After(request_shares[index]),
            };
            WorkerPlan {
                index,
                load,
                measure_start_ns,
                stop,
                timeout_ns: duration_ns(config.timeout),
                check_mode: config.check_mode,
                seed: config.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                spin_ns: duration_ns(config.spin),
            }
        })
        .collect()
}

/// Turns the totals into the report.
fn build_report(
    config: &Config,
    totals: &Counters,
    histogram: &Histogram<u64>,
    elapsed: Duration,
    outcomes: &[WorkerOutcome],
    measure_start_ns: u64,
    error: Option<&LoadgenError>,
) -> Report {
    // A name is shown with what it resolved to; an address needs no gloss.
    let typed = config
        .server_name
        .trim_start_matches('[')
        .trim_end_matches(']');
    let server = if typed.parse::<std::net::IpAddr>().is_ok()
        || typed.parse::<std::net::SocketAddr>().is_ok()
        || config.server_name.parse::<std::net::SocketAddr>().is_ok()
    {
        config.server.to_string()
    } else {
        format!("{} ({})", config.server_name, config.server)
    };
    let (load, open_loop) = match config.load {
        LoadModel::Closed { concurrency } => (
            LoadReport {
                mode: "closed",
                concurrency: Some(concurrency),
                target_qps: None,
            },
            None,
        ),
        LoadModel::Open { rate_qps } => {
            let (scheduled, window_s) = match config.stop {
                StopCondition::Duration(duration) => (
                    outcomes.iter().map(|outcome| outcome.scheduled).sum(),
                    duration.as_secs_f64(),
                ),
                StopCondition::Requests(requests) => {
                    let send_end = outcomes.iter().map(|o| o.send_end_ns).max().unwrap_or(0);
                    (
                        requests,
                        Duration::from_nanos(send_end.saturating_sub(measure_start_ns))
                            .as_secs_f64(),
                    )
                }
            };
            let achieved_qps = if window_s > 0.0 {
                totals.sent as f64 / window_s
            } else {
                0.0
            };
            let shortfall_pct = (100.0 * (1.0 - achieved_qps / rate_qps)).max(0.0);
            let max_send_lag_ns = outcomes
                .iter()
                .map(|o| o.max_send_lag_ns)
                .max()
                .unwrap_or(0);
            (
                LoadReport {
                    mode: "open",
                    concurrency: None,
                    target_qps: Some(rate_qps),
                },
                Some(OpenLoopReport {
                    target_qps: rate_qps,
                    scheduled,
                    achieved_qps,
                    shortfall_pct,
                    max_send_lag_us: max_send_lag_ns / 1000,
                }),
            )
        }
    };
    let mut report = Report::new(
        format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        elapsed.as_secs_f64(),
        totals.completed,
        LatencySummary::from_histogram(histogram),
    );
    report.server = Some(server);
    report.transport = Some(config.transport.name());
    report.load = Some(load);
    report.threads = Some(config.threads);
    report.sockets_per_thread = Some(config.channels_per_thread);
    report.open_loop = open_loop;
    report.error = error.map(|err| format!("{err:#}"));
    report.with_counters(totals)
}

/// Sums the workers' samples second by second, releasing a second once
/// every worker still running has reported it.
#[derive(Debug)]
struct IntervalMerger {
    /// The latest interval each worker has reported.
    reported: Vec<Option<i64>>,
    /// Which workers have sent their last sample.
    finished: Vec<bool>,
    /// Seconds not yet complete, summed over the workers so far.
    pending: BTreeMap<i64, Interval>,
}

impl IntervalMerger {
    /// A merger for `workers` workers.
    fn new(workers: usize) -> Self {
        Self {
            reported: vec![None; workers],
            finished: vec![false; workers],
            pending: BTreeMap::new(),
        }
    }

    /// Adds a sample; returns the seconds it completed, oldest first.
    fn add(&mut self, sample: IntervalSample) -> Vec<Interval> {
        let entry = self
            .pending
            .entry(sample.index)
            .or_insert_with(|| Interval::new(sample.index, sample.start_ns, sample.end_ns));
        entry.start_ns = entry.start_ns.min(sample.start_ns);
        entry.end_ns = entry.end_ns.max(sample.end_ns);
        // Same bounds on both sides, so adding cannot fail.
        let _ = entry.histogram.add(&sample.histogram);
        entry.counters += &sample.counters;
        self.reported[sample.worker] = Some(sample.index);
        if sample.last {
            self.finished[sample.worker] = true;
        }
        let horizon = self
            .reported
            .iter()
            .zip(&self.finished)
            .filter(|&(_, &finished)| !finished)
            .map(|(reported, _)| reported.unwrap_or(i64::MIN))
            .min()
            .unwrap_or(i64::MAX);
        let mut complete = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > horizon {
                break;
            }
            complete.push(entry.remove());
        }
        complete
    }

    /// Everything still pending, oldest first (the run is over).
    fn finish(&mut self) -> Vec<Interval> {
        std::mem::take(&mut self.pending).into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::record_latency_ns;

    fn sample(worker: usize, index: i64, latency_us: u64, last: bool) -> IntervalSample {
        let mut histogram = new_histogram();
        record_latency_ns(&mut histogram, latency_us * 1000);
        IntervalSample {
            worker,
            index,
            start_ns: 0,
            end_ns: 1,
            histogram,
            counters: Counters {
                completed: 1,
                ..Counters::default()
            },
            last,
        }
    }

    #[test]
    fn a_second_is_released_when_every_running_worker_reported_it() {
        let mut merger = IntervalMerger::new(2);
        assert!(merger.add(sample(0, 0, 10, false)).is_empty());
        assert!(merger.add(sample(0, 1, 10, false)).is_empty());
        let done = merger.add(sample(1, 0, 20, false));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].index, 0);
        assert_eq!(done[0].counters.completed, 2);
        assert_eq!(done[0].histogram.len(), 2);
        // Worker 1 finishes in second 1: second 1 is complete.
        let done = merger.add(sample(1, 1, 30, true));
        assert_eq!(done.iter().map(|m| m.index).collect::<Vec<_>>(), vec![1]);
        // Worker 0 runs on alone.
        let done = merger.add(sample(0, 2, 10, false));
        assert_eq!(done.iter().map(|m| m.index).collect::<Vec<_>>(), vec![2]);
        assert!(merger.finish().is_empty());
    }
}
