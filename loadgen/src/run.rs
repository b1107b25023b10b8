//! A whole run, phase by phase: wait for `--start-at` if given, open every
//! thread's sockets, start one worker thread each, collect their seconds as
//! they come (the `collect` module), join them, and sum what they measured
//! into the final report.

use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::alignment::ALIGNMENT_TOLERANCE;
use crate::collect::{Collected, Collector, LogFile};
use crate::config::{Config, LoadModel, StopCondition, TransportKind};
use crate::error::LoadgenError;
use crate::hdrlog::LogHeader;
use crate::progress::Progress;
use crate::query::QuerySet;
use crate::report::{LoadReport, OpenLoopReport, Report};
use crate::schedule::{Clock, OpenLoopSchedule, duration_ns, split_evenly};
use crate::stats::{Counters, LatencySummary, MeasuredSecond};
use crate::transport::Transport;
use crate::transport::tcp::{TcpTransport, open_connections};
use crate::transport::udp::{UdpTransport, granted_receive_buffer, open_sockets};
use crate::window;
use crate::worker::{IntervalSample, Worker, WorkerLoad, WorkerOutcome, WorkerPlan, WorkerStop};

/// Largest UDP response accepted: the protocol's limit, so that no answer a
/// server may legally send is cut short.
const MAX_UDP_RESPONSE: usize = 65_535;

/// How long before `--start-at` the sockets are opened: long enough for
/// connecting not to delay the start, short enough for a server's TCP idle
/// timeout (satloc-server's default is 10 s) not to close them first.
const START_PREROLL: Duration = Duration::from_secs(1);

/// Longest sleep while waiting for `--start-at`, so an interrupt is seen.
const WAIT_STEP: Duration = Duration::from_millis(100);

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
    /// The wall-clock time measurement began (the end of warm-up), which
    /// the seconds count from.
    pub measure_start: SystemTime,
    /// Every measured second, when [`Config::keep_seconds`] asked for them.
    pub seconds: Vec<MeasuredSecond>,
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
    if let Some(start_at) = config.start_at {
        check_on_time(start_at)?;
        let preroll = start_at.checked_sub(START_PREROLL).unwrap_or(start_at);
        wait_until(preroll, start_at, &abort)?;
    }
    let fitted = fit_window(config)?;
    let config = &fitted;
    let channels = open_channels(config)?;
    let log_file = config.hdr_log.as_deref().map(LogFile::create).transpose()?;
    let (clock, start_wall) = start_clock(config.start_at, &abort)?;
    let measure_start_ns = duration_ns(config.warmup);
    let measure_start_wall = start_wall + config.warmup;
    let description = describe(config);
    let header = LogHeader {
        description: &description,
        host: Some(&config.host),
        start_at: config.start_at,
    };
    let log = log_file
        .map(|file| LogFile::start(file, measure_start_wall, &header))
        .transpose()?;

    let (samples_tx, samples_rx) = mpsc::channel::<IntervalSample>();
    let start = RunStart {
        clock,
        measure_start_ns,
        measure_start_wall,
        abort: &abort,
    };
    let handles = spawn_workers(config, channels, &start, samples_tx)?;
    let progress = Progress::new(config.progress, config.stop, config.warmup);
    let collected = Collector::new(progress, log, measure_start_ns)
        .keeping_seconds(config.keep_seconds)
        .collect(&samples_rx, config.threads);
    let (outcomes, worker_error) = join_workers(handles);
    Ok(finish(config, &start, collected, outcomes, worker_error))
}

/// Where the run starts from: its clock, the end of warm-up, and the flag
/// that stops it early; shared by the workers and the final tally.
#[derive(Debug)]
struct RunStart<'a> {
    /// The run's clock.
    clock: Clock,
    /// When warm-up ends (ns since the run's start).
    measure_start_ns: u64,
    /// When warm-up ends, on the wall clock.
    measure_start_wall: SystemTime,
    /// Set to stop every worker early.
    abort: &'a Arc<AtomicBool>,
}

/// The run's clock and the wall-clock time of its zero: now, or, with
/// `--start-at`, that time once it has come (so every host's intervals
/// count from the same instant).
fn start_clock(
    start_at: Option<SystemTime>,
    abort: &AtomicBool,
) -> Result<(Clock, SystemTime), LoadgenError> {
    match start_at {
        None => Ok((Clock::start(), SystemTime::now())),
        Some(start_at) => {
            wait_until(start_at, start_at, abort)?;
            check_on_time(start_at)?;
            Ok((Clock::started_at(start_at), start_at))
        }
    }
}

/// Refuses to start more than the alignment tolerance after `start_at`: a
/// late host's seconds would not line up with the others'.
fn check_on_time(start_at: SystemTime) -> Result<(), LoadgenError> {
    match SystemTime::now().duration_since(start_at) {
        Ok(late) if late > ALIGNMENT_TOLERANCE => Err(LoadgenError::StartAtPassed {
            start_at: humantime::format_rfc3339(start_at).to_string(),
            late_s: late.as_secs_f64(),
            tolerance_ms: ALIGNMENT_TOLERANCE.as_millis(),
        }),
        _ => Ok(()),
    }
}

/// Sleeps until the wall clock reads `deadline`, watching `abort`
/// (`start_at` is for the message).
fn wait_until(
    deadline: SystemTime,
    start_at: SystemTime,
    abort: &AtomicBool,
) -> Result<(), LoadgenError> {
    loop {
        if abort.load(Ordering::Relaxed) {
            return Err(LoadgenError::InterruptedBeforeStart {
                start_at: humantime::format_rfc3339(start_at).to_string(),
            });
        }
        match deadline.duration_since(SystemTime::now()) {
            Ok(left) if !left.is_zero() => thread::sleep(left.min(WAIT_STEP)),
            _ => return Ok(()),
        }
    }
}

/// The configuration with each UDP socket's window set from the receive
/// buffer the kernel grants, and, unless `--sockets` was given, enough
/// sockets per thread for a closed loop's answers to fit their buffers
/// ([`crate::window`]). TCP is returned as it is.
fn fit_window(config: &Config) -> Result<Config, LoadgenError> {
    let mut fitted = config.clone();
    if config.transport != TransportKind::Udp {
        return Ok(fitted);
    }
    let granted =
        granted_receive_buffer(config.server, config.socket_buffer_bytes).map_err(|err| {
            LoadgenError::from_socket(err, config.server, UdpTransport::NAME, || {
                "cannot open a UDP socket".to_owned()
            })
        })?;
    let held = window::answers_held(granted);
    fitted.window_per_channel = held;
    if let LoadModel::Closed { concurrency } = config.load
        && !config.sockets_given
    {
        let per_thread = concurrency.div_ceil(config.threads);
        fitted.channels_per_thread =
            window::sockets_for(per_thread, held, config.channels_per_thread);
    }
    Ok(fitted)
}

/// Opens every thread's sockets or connections, so that a refused port or a
/// bind error stops the run before it starts.
fn open_channels(config: &Config) -> Result<Vec<Channels>, LoadgenError> {
    let transport_name = match config.transport {
        TransportKind::Udp => UdpTransport::NAME,
        TransportKind::Tcp => TcpTransport::NAME,
    };
    (0..config.threads)
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
        })
}

/// Starts one worker thread per plan, each sending its seconds to
/// `samples`; the channel closes when the last worker ends.
fn spawn_workers(
    config: &Config,
    channels: Vec<Channels>,
    start: &RunStart<'_>,
    samples: Sender<IntervalSample>,
) -> Result<Vec<JoinHandle<WorkerOutcome>>, LoadgenError> {
    let plans = plan_workers(config, start.measure_start_ns);
    let mut handles = Vec::with_capacity(config.threads);
    for (plan, channels) in plans.into_iter().zip(channels) {
        let index = plan.index;
        let thread = WorkerThread {
            plan,
            channels,
            queries: Arc::clone(&config.queries),
            clock: start.clock,
            samples: samples.clone(),
            abort: Arc::clone(start.abort),
            server: config.server,
            connect_timeout: config.timeout,
        };
        let handle = thread::Builder::new()
            .name(format!("loadgen-{index}"))
            .spawn(move || thread.run())
            .map_err(|source| LoadgenError::Socket {
                context: format!("cannot start worker thread {index}"),
                source,
            })?;
        handles.push(handle);
    }
    Ok(handles)
}

/// Everything one worker thread starts with.
#[derive(Debug)]
struct WorkerThread {
    /// Its share of the run.
    plan: WorkerPlan,
    /// Its sockets or connections.
    channels: Channels,
    /// The queries, shared read-only.
    queries: Arc<QuerySet>,
    /// The run's clock.
    clock: Clock,
    /// Where its seconds go.
    samples: Sender<IntervalSample>,
    /// Set to stop every worker early.
    abort: Arc<AtomicBool>,
    /// The server, for the transport.
    server: SocketAddr,
    /// How long a TCP reconnect may take.
    connect_timeout: Duration,
}

impl WorkerThread {
    /// The thread's body: builds the transport here (its batch headers cannot
    /// cross threads), runs the worker, and on a fatal error (a refused port)
    /// ends the run for every worker.
    fn run(self) -> WorkerOutcome {
        let max_query_len = self.queries.max_len();
        let abort = Arc::clone(&self.abort);
        let outcome = match self.channels {
            Channels::Udp(sockets) => {
                let transport =
                    UdpTransport::new(self.server, sockets, max_query_len, MAX_UDP_RESPONSE);
                Worker::new(
                    transport,
                    self.queries,
                    self.plan,
                    self.clock,
                    self.samples,
                    self.abort,
                )
                .run()
            }
            Channels::Tcp(streams) => {
                let transport =
                    TcpTransport::new(self.server, streams, self.connect_timeout, max_query_len);
                Worker::new(
                    transport,
                    self.queries,
                    self.plan,
                    self.clock,
                    self.samples,
                    self.abort,
                )
                .run()
            }
        };
        if outcome.error.is_some() {
            abort.store(true, Ordering::Relaxed);
        }
        outcome
    }
}

/// Waits for every worker; returns their outcomes and the first error among
/// them (a panic first, then a worker's own error).
fn join_workers(
    handles: Vec<JoinHandle<WorkerOutcome>>,
) -> (Vec<WorkerOutcome>, Option<LoadgenError>) {
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
    (outcomes, error)
}

/// Ends the log, decides the run's error, and builds the result.
fn finish(
    config: &Config,
    start: &RunStart<'_>,
    collected: Collected,
    outcomes: Vec<WorkerOutcome>,
    worker_error: Option<LoadgenError>,
) -> RunResult {
    let Collected {
        totals,
        histogram,
        log,
        mut output_error,
        seconds,
        figures,
    } = collected;
    let end_ns = outcomes
        .iter()
        .map(|outcome| outcome.send_end_ns.max(outcome.last_answer_ns))
        .max()
        .unwrap_or(start.measure_start_ns);
    let elapsed = Duration::from_nanos(end_ns.saturating_sub(start.measure_start_ns));
    if let Some(log) = log
        && let Err(err) = log.finish(&totals, elapsed)
    {
        output_error.get_or_insert(err);
    }
    let error = worker_error
        .or_else(|| no_response(config, &totals, start.abort))
        .or(output_error);
    let mut report = build_report(
        config,
        &totals,
        &histogram,
        elapsed,
        &outcomes,
        start.measure_start_ns,
        error.as_ref(),
    );
    report.seconds = Some(figures);
    RunResult {
        report,
        histogram,
        counters: totals,
        error,
        measure_start: start.measure_start_wall,
        seconds,
    }
}

/// The error for a run where queries went out and nothing came back, unless
/// it was interrupted first.
fn no_response(config: &Config, totals: &Counters, abort: &AtomicBool) -> Option<LoadgenError> {
    let responses = totals.completed + totals.late + totals.mismatched + totals.malformed;
    (totals.sent > 0 && responses == 0 && !abort.load(Ordering::Relaxed)).then_some(
        LoadgenError::NoResponse {
            server: config.server,
            sent: totals.sent,
            timeout: config.timeout,
        },
    )
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
                window: config.window_per_channel,
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
    let (load, open_loop) = match config.load {
        LoadModel::Closed { concurrency } => (
            LoadReport {
                mode: "closed",
                concurrency: Some(concurrency),
                target_qps: None,
            },
            None,
        ),
        LoadModel::Open { rate_qps } => (
            LoadReport {
                mode: "open",
                concurrency: None,
                target_qps: Some(rate_qps),
            },
            Some(open_loop_report(
                rate_qps,
                config.stop,
                totals,
                outcomes,
                measure_start_ns,
            )),
        ),
    };
    let mut report = Report::new(
        format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        elapsed.as_secs_f64(),
        totals.completed,
        LatencySummary::from_histogram(histogram),
    );
    report.server = Some(server_label(config));
    report.transport = Some(config.transport.name());
    report.load = Some(load);
    report.threads = Some(config.threads);
    report.sockets_per_thread = Some(config.channels_per_thread);
    report.open_loop = open_loop;
    report.error = error.map(|err| format!("{err:#}"));
    report.with_counters(totals)
}

/// The server for the report: a name with what it resolved to; an address
/// needs no gloss.
fn server_label(config: &Config) -> String {
    let typed = config
        .server_name
        .trim_start_matches('[')
        .trim_end_matches(']');
    if typed.parse::<IpAddr>().is_ok()
        || typed.parse::<SocketAddr>().is_ok()
        || config.server_name.parse::<SocketAddr>().is_ok()
    {
        config.server.to_string()
    } else {
        format!("{} ({})", config.server_name, config.server)
    }
}

/// How far an open loop at `rate_qps` kept to its timetable.
fn open_loop_report(
    rate_qps: f64,
    stop: StopCondition,
    totals: &Counters,
    outcomes: &[WorkerOutcome],
    measure_start_ns: u64,
) -> OpenLoopReport {
    let (scheduled, window_s) = match stop {
        StopCondition::Duration(duration) => (
            outcomes.iter().map(|outcome| outcome.scheduled).sum(),
            duration.as_secs_f64(),
        ),
        StopCondition::Requests(requests) => {
            let send_end = outcomes.iter().map(|o| o.send_end_ns).max().unwrap_or(0);
            (
                requests,
                Duration::from_nanos(send_end.saturating_sub(measure_start_ns)).as_secs_f64(),
            )
        }
    };
    let achieved_qps = if window_s > 0.0 {
        totals.sent as f64 / window_s
    } else {
        0.0
    };
    let max_send_lag_ns = outcomes
        .iter()
        .map(|o| o.max_send_lag_ns)
        .max()
        .unwrap_or(0);
    OpenLoopReport {
        target_qps: rate_qps,
        scheduled,
        achieved_qps,
        shortfall_pct: (100.0 * (1.0 - achieved_qps / rate_qps)).max(0.0),
        max_send_lag_us: max_send_lag_ns / 1000,
        window_stalls: outcomes.iter().map(|o| o.window_stalls).sum(),
    }
}
