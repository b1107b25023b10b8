//! The command line: clap's derived arguments, and their conversion into a
//! checked [`Config`].
//!
//! Short options follow dnsperf's where the meaning is the same (`-s`, `-p`,
//! `-d`, `-q`, `-Q`, `-l`, `-T`, `-c`, `-t`, `-e`, `-D`), so a dnsperf command
//! line mostly carries over.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, JsonTarget, LoadModel, StopCondition, TransportKind, resolve_server};
use crate::error::{DurationError, LoadgenError, StartAtError};
use crate::query::{EdnsOptions, QueryOptions, QuerySet, QuestionSpec, read_queries_file};
use crate::response::CheckMode;
use crate::sweep::SweepConfig;
use crate::sweep::plan::{DEFAULT_STEPS, Rates, Spacing, parse_rates, plan_rates};
use crate::sweep::slo::Slo;
use crate::sweep::step::Limits;

/// Default closed-loop concurrency: the setting of the HTTP/2
/// causal-profiling study this project follows.
pub const DEFAULT_CONCURRENCY: usize = 10;

/// Default sockets per thread when nothing else decides.
const DEFAULT_SOCKETS: usize = 4;

/// Default EDNS UDP payload size (the DNS flag day 2020 value).
const DEFAULT_EDNS_PAYLOAD: u16 = 1232;

/// A DNS load generator that measures latency honestly.
#[derive(Debug, Parser)]
#[command(
    name = "satloc-loadgen",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Merge logs, sweep or compare instead of running.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Run settings.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Merge HdrHistogram interval logs (from --hdr-log, e.g. one per load
    /// host) into one exact summary.
    Merge(MergeArgs),
    /// Find a server's capacity: open-loop runs at rising rates, each held
    /// to a latency objective, then a bisection at the knee.
    Sweep(Box<SweepArgs>),
    /// Judge a run or sweep (its --json) against a baseline: exit 1 if any
    /// figure is worse by more than --threshold and beyond the noise the
    /// two documents show, 2 if they cannot be compared.
    Compare(CompareArgs),
}

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The --json of the baseline run or sweep; several rounds of it as a
    /// comma list (A1.json,A2.json,A3.json).
    #[arg(
        value_name = "BASELINE.json",
        num_args = 1,
        value_delimiter = ',',
        required = true
    )]
    pub baseline: Vec<PathBuf>,
    /// The --json of the run or sweep to judge, or its rounds.
    #[arg(
        value_name = "CURRENT.json",
        num_args = 1,
        value_delimiter = ',',
        required = true
    )]
    pub current: Vec<PathBuf>,
    /// Smallest change, in percent of the baseline, that can fail the
    /// comparison (it must also leave the noise band).
    #[arg(long, default_value_t = 5.0, value_parser = parse_threshold, value_name = "PERCENT")]
    pub threshold: f64,
    /// Also write CURRENT's figures as Bencher Metric Format JSON to PATH
    /// ("-" for stdout; the table then goes to stderr).
    #[arg(long, value_name = "PATH")]
    pub bmf: Option<String>,
    /// The benchmark name in the BMF output (a sweep's steps are
    /// NAME@RATEqps).
    #[arg(long, default_value = "satloc-loadgen", value_name = "NAME")]
    pub name: String,
}

/// A `--rate`: a positive number of queries per second, `k` and `M`
/// allowed as in `sweep --rates`.
fn parse_qps(text: &str) -> Result<f64, String> {
    crate::sweep::plan::parse_rate(text.trim()).ok_or_else(|| {
        format!("expected queries per second above 0, e.g. 5000, 50k or 1.5M, got {text:?}")
    })
}

/// A `--threshold`: a percentage of at least 0, with or without "%".
fn parse_threshold(text: &str) -> Result<f64, String> {
    percentage(text)
        .ok_or_else(|| format!("expected a percentage of at least 0, e.g. 5 or 5%, got {text:?}"))
}

/// A finite number of at least 0, with or without a trailing "%".
fn percentage(text: &str) -> Option<f64> {
    text.trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value >= 0.0)
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Interval logs written with --hdr-log.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Also write the merged summary as JSON to PATH ("-" for stdout).
    #[arg(long, value_name = "PATH")]
    pub json: Option<String>,
    /// How far apart the hosts' first intervals may start, and how far any
    /// interval may sit off the common grid of seconds, for the logs to count
    /// as lined up (about what the hosts' clocks disagree by, plus start-up).
    #[arg(long, value_parser = parse_duration, default_value = "100ms", value_name = "DURATION")]
    pub tolerance: Duration,
    /// Merge logs written with --start-at even when their intervals do not
    /// line up (they are refused by default: their combined rate and
    /// seconds would mix different times).
    #[arg(long)]
    pub allow_unaligned: bool,
}

/// Arguments of `sweep`: the rates and the objective, plus every option of
/// a run that says what to send where (`--rate`, `--concurrency`,
/// `--duration`, `--requests` and `--start-at` belong to single runs and are
/// refused; `--json`, `--hdr-log` and `--warmup` apply to the sweep and
/// each step).
#[derive(Debug, Args)]
#[command(
    mut_arg("rate", |arg| arg.hide(true)),
    mut_arg("concurrency", |arg| arg.hide(true)),
    mut_arg("duration", |arg| arg.hide(true)),
    mut_arg("requests", |arg| arg.hide(true)),
    mut_arg("start_at", |arg| arg.hide(true))
)]
pub struct SweepArgs {
    /// Rates to offer: FROM..TO (e.g. 1000..50k, spaced geometrically
    /// unless --linear) or a comma list (1000,5000,20000); queries per
    /// second.
    #[arg(long, value_parser = parse_rates, value_name = "FROM..TO|LIST")]
    pub rates: Rates,
    /// Number of rates in FROM..TO [default: 8].
    #[arg(long, value_name = "N", conflicts_with = "step_factor")]
    pub steps: Option<usize>,
    /// Each rate this many times the one before (e.g. 1.25), instead of
    /// --steps.
    #[arg(long, value_name = "FACTOR")]
    pub step_factor: Option<f64>,
    /// Space FROM..TO linearly (resperf's ramp) rather than geometrically.
    #[arg(long, conflicts_with = "step_factor")]
    pub linear: bool,
    /// How long each step measures, after its --warmup.
    #[arg(long, value_parser = parse_duration, default_value = "5s", value_name = "DURATION")]
    pub step_duration: Duration,
    /// Latency objective each step must meet, as PERCENTILE=LIMIT (p99=1ms,
    /// p99.9=5ms, max=20ms); repeatable, all must hold.
    #[arg(long = "slo", value_parser = Slo::parse, required = true, value_name = "PERCENTILE=LIMIT")]
    pub slos: Vec<Slo>,
    /// Most queries a step may lose, in percent of those sent (1 or 1%);
    /// a step losing more ends the sweep.
    #[arg(long, value_parser = parse_percent, default_value = "1", value_name = "PERCENT")]
    pub max_loss: f64,
    /// A step whose latency is this many times over an objective ends the
    /// sweep (one just over the objective does not: the next rates show
    /// the knee).
    #[arg(long, default_value_t = 10.0, value_name = "FACTOR")]
    pub stop_factor: f64,
    /// Bisection steps between the last good and the first failing rate.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub refine: usize,
    /// Run a rate that fails up to N times more (0 to 3) before its
    /// failure counts: on a shared machine a disturbance that does not
    /// repeat is not the server's limit. Every attempt is in the outputs.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3), value_name = "N")]
    pub confirm: u8,
    /// Also write the table of steps as CSV to PATH.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// What to send where, as for a run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Most bisection steps: each halves the bracket, so 20 is far below the
/// noise of any step.
const MAX_REFINE: usize = 20;

/// Parses `--max-loss`: a percentage, with or without `%`.
fn parse_percent(text: &str) -> Result<f64, String> {
    percentage(text)
        .filter(|value| *value <= 100.0)
        .ok_or_else(|| "expected a percentage from 0 to 100 (e.g. 1 or 0.5%)".to_owned())
}

impl SweepArgs {
    /// Checks the arguments and resolves everything the sweep needs;
    /// `command_line` is kept for the outputs.
    pub fn into_sweep_config(self, command_line: String) -> Result<SweepConfig, LoadgenError> {
        let invalid = |message: String| Err(LoadgenError::InvalidConfig(message));
        let single_run_flags = [
            ("--rate", self.run.rate.is_some()),
            ("--concurrency", self.run.concurrency.is_some()),
            ("--duration", self.run.duration.is_some()),
            ("--requests", self.run.requests.is_some()),
            ("--start-at", self.run.start_at.is_some()),
        ];
        if let Some((flag, _)) = single_run_flags.iter().find(|(_, given)| *given) {
            return invalid(format!(
                "{flag} is for a single run: a sweep takes --rates, --step-duration and --warmup"
            ));
        }
        let rates =
            plan_rates(&self.rates, self.spacing()?).map_err(LoadgenError::InvalidConfig)?;
        if self.step_duration.is_zero() {
            return invalid("--step-duration must be longer than zero".to_owned());
        }
        if !(self.stop_factor.is_finite() && self.stop_factor > 1.0) {
            return invalid(format!(
                "--stop-factor {} must be more than 1",
                self.stop_factor
            ));
        }
        if self.refine > MAX_REFINE {
            return invalid(format!(
                "--refine {} is out of range 0..={MAX_REFINE}",
                self.refine
            ));
        }
        let mut base = self.run.into_config()?;
        // These name the sweep's outputs, not each step's.
        let (json, hdr_log, report) = (base.json.take(), base.hdr_log.take(), base.report.take());
        Ok(SweepConfig {
            base,
            rates,
            step_duration: self.step_duration,
            limits: Limits {
                slos: self.slos,
                max_loss_pct: self.max_loss,
                far_factor: self.stop_factor,
            },
            refine: self.refine,
            confirm: self.confirm,
            json,
            csv: self.csv,
            hdr_log,
            report,
            command_line,
        })
    }

    /// How FROM..TO is cut; an explicit list takes no spacing.
    fn spacing(&self) -> Result<Spacing, LoadgenError> {
        if matches!(self.rates, Rates::List(_))
            && (self.steps.is_some() || self.step_factor.is_some() || self.linear)
        {
            return Err(LoadgenError::InvalidConfig(
                "--steps, --step-factor and --linear cut a FROM..TO range: --rates was given as a list"
                    .to_owned(),
            ));
        }
        let steps = self.steps.unwrap_or(DEFAULT_STEPS);
        Ok(match (self.step_factor, self.linear) {
            (Some(factor), _) => Spacing::Factor { factor },
            (None, true) => Spacing::Linear { steps },
            (None, false) => Spacing::Geometric { steps },
        })
    }
}

/// Arguments of a run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Server to query: a name, an address, or address:port.
    #[arg(short = 's', long, default_value = "127.0.0.1", value_name = "HOST")]
    pub server: String,

    /// Server port (when --server has none).
    #[arg(short = 'p', long, default_value_t = 53)]
    pub port: u16,

    /// Closed loop: queries outstanding at all times [default: 10].
    #[arg(short = 'q', long, value_name = "N", conflicts_with = "rate")]
    pub concurrency: Option<usize>,

    /// Open loop: queries per second on a fixed timetable (k and M allowed:
    /// 50k); latency is timed from each query's due time.
    #[arg(short = 'Q', long, value_parser = parse_qps, value_name = "QPS")]
    pub rate: Option<f64>,

    /// How long to send, after warm-up (e.g. 10s, 1m) [default: 10s].
    #[arg(short = 'l', long, value_parser = parse_duration, value_name = "DURATION", conflicts_with = "requests")]
    pub duration: Option<Duration>,

    /// Send this many measured queries, then stop.
    #[arg(short = 'n', long, value_name = "N")]
    pub requests: Option<u64>,

    /// Send for this long first without counting.
    #[arg(long, value_parser = parse_duration, default_value = "0s", value_name = "DURATION")]
    pub warmup: Duration,

    /// Worker threads, each with its own sockets.
    #[arg(short = 'T', long, default_value_t = 1, value_name = "N")]
    pub threads: usize,

    /// UDP sockets (or TCP connections) per thread [default: closed loop
    /// min(concurrency per thread, 4), or over UDP as many more as it takes
    /// for each socket's receive buffer to hold its answers; open loop 4].
    #[arg(short = 'c', long, value_name = "N")]
    pub sockets: Option<usize>,

    /// Query over TCP (pipelined, reconnecting) instead of UDP.
    #[arg(long)]
    pub tcp: bool,

    /// Count a query lost after this long without an answer.
    #[arg(short = 't', long, value_parser = parse_duration, default_value = "1s", value_name = "DURATION")]
    pub timeout: Duration,

    /// Name to query (repeatable; cycled).
    #[arg(long, value_name = "NAME", conflicts_with = "queries")]
    pub qname: Vec<String>,

    /// Record type for --qname: one for all names, or one per name [default: A].
    #[arg(long, value_name = "TYPE", requires = "qname")]
    pub qtype: Vec<String>,

    /// Read queries from FILE in dnsperf format ("name TYPE" per line,
    /// ";" or "#" comments); cycled.
    #[arg(short = 'd', long, value_name = "FILE")]
    pub queries: Option<PathBuf>,

    /// Add an EDNS(0) OPT record.
    #[arg(short = 'e', long)]
    pub edns: bool,

    /// EDNS UDP payload size (implies --edns) [default: 1232].
    #[arg(long, value_name = "BYTES")]
    pub edns_payload: Option<u16>,

    /// Set the DNSSEC OK bit (implies --edns).
    #[arg(short = 'D', long = "dnssec-ok", alias = "do")]
    pub dnssec_ok: bool,

    /// Clear the RD (recursion desired) bit.
    #[arg(long)]
    pub no_rd: bool,

    /// Randomise the case of query names (DNS 0x20) and require responses to
    /// echo it exactly.
    #[arg(long)]
    pub random_case: bool,

    /// Check every response with hickory-proto's complete parser instead of
    /// the allocation-free fast path.
    #[arg(long)]
    pub full_check: bool,

    /// Write a JSON summary to PATH ("-" for stdout; the text report then
    /// goes to stderr).
    #[arg(long, value_name = "PATH")]
    pub json: Option<String>,

    /// Write per-second latency histograms to PATH as an HdrHistogram
    /// interval log (values in µs).
    #[arg(long, value_name = "PATH")]
    pub hdr_log: Option<PathBuf>,

    /// Also write DIR/report.html, one file that opens offline: the plots
    /// (a sweep's latency against throughput with the SLO and the knee; the
    /// percentile distribution; answers and p99 per second), the figures and
    /// the command line.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,

    /// Kernel buffer per socket in KiB (forced past the sysctl limit when
    /// running as root).
    #[arg(long, default_value_t = 4096, value_name = "KIB")]
    pub socket_buffer: usize,

    /// Seed for query IDs and letter case.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Poll for answers this long before sleeping (0 sleeps at once; spinning
    /// saves a wake-up per round when answers come back fast).
    #[arg(long, value_parser = parse_duration, default_value = "50us", value_name = "DURATION")]
    pub spin: Duration,

    /// Start at this instant rather than at once: an RFC 3339 UTC time
    /// (2026-12-01T10:00:00Z) or seconds since the epoch (`date +%s`), at
    /// most a day ahead. Every load host given the same TIME starts its
    /// timetable together, so their --hdr-log intervals line up for `merge`.
    #[arg(long, value_parser = parse_start_at, value_name = "TIME")]
    pub start_at: Option<SystemTime>,

    /// This host's name in the --hdr-log log and in `merge`'s report
    /// [default: the host name].
    #[arg(long, value_name = "NAME")]
    pub host_tag: Option<String>,
}

/// Parses "10s", "500ms", "1m", or a bare number of seconds. clap takes the
/// typed error as it is and names the flag in front of its message.
fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|_| DurationError::Seconds {
            text: text.to_owned(),
        });
    }
    humantime::parse_duration(text).map_err(|reason| DurationError::Unparsable {
        text: text.to_owned(),
        reason,
    })
}

/// Parses `--start-at`: an RFC 3339 UTC time ("2026-12-01T10:00:00Z",
/// fractions of a second allowed) or seconds since the Unix epoch
/// ("1796148221", what `date +%s` prints). Whether the time is usable (not
/// past, not far ahead) is [`Config::validate`]'s to say.
fn parse_start_at(text: &str) -> Result<SystemTime, StartAtError> {
    let error = |reason: String| StartAtError {
        text: text.to_owned(),
        reason,
    };
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return text
            .parse::<f64>()
            .ok()
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
            .and_then(|since| SystemTime::UNIX_EPOCH.checked_add(since))
            .ok_or_else(|| error("not a usable number of seconds since the epoch".to_owned()));
    }
    humantime::parse_rfc3339(text).map_err(|reason| error(reason.to_string()))
}

/// The name of the machine, for `--host-tag`'s default.
fn host_name() -> Result<String, LoadgenError> {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .ok_or_else(|| {
            LoadgenError::InvalidConfig(
                "cannot read this machine's host name: give --host-tag NAME".to_owned(),
            )
        })
}

/// Where `--json VALUE` points.
pub fn json_target(value: &str) -> JsonTarget {
    if value == "-" {
        JsonTarget::Stdout
    } else {
        JsonTarget::File(PathBuf::from(value))
    }
}

impl RunArgs {
    /// Checks the arguments and resolves everything a run needs.
    pub fn into_config(self) -> Result<Config, LoadgenError> {
        let queries = self.query_set()?;
        let load = match self.rate {
            Some(rate_qps) => LoadModel::Open { rate_qps },
            None => LoadModel::Closed {
                concurrency: self.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            },
        };
        let stop = match self.requests {
            Some(requests) => StopCondition::Requests(requests),
            None => StopCondition::Duration(self.duration.unwrap_or(Duration::from_secs(10))),
        };
        let threads = self.threads;
        let channels_per_thread = match (self.sockets, load) {
            (Some(sockets), _) => sockets,
            (None, LoadModel::Closed { concurrency }) => {
                (concurrency / threads.max(1)).clamp(1, DEFAULT_SOCKETS)
            }
            (None, LoadModel::Open { .. }) => DEFAULT_SOCKETS,
        };
        let server = resolve_server(&self.server, self.port)?;
        let host = match self.host_tag {
            Some(tag) => tag,
            None => host_name()?,
        };
        let config = Config {
            server_name: self.server,
            server,
            transport: if self.tcp {
                TransportKind::Tcp
            } else {
                TransportKind::Udp
            },
            load,
            stop,
            warmup: self.warmup,
            threads,
            channels_per_thread,
            sockets_given: self.sockets.is_some(),
            window_per_channel: usize::MAX,
            timeout: self.timeout,
            queries: Arc::new(queries),
            check_mode: if self.full_check {
                CheckMode::Full
            } else {
                CheckMode::Fast
            },
            socket_buffer_bytes: self.socket_buffer.saturating_mul(1024),
            progress: !self.quiet && std::io::stderr().is_terminal(),
            json: self.json.as_deref().map(json_target),
            hdr_log: self.hdr_log,
            report: self.report,
            seed: self.seed.unwrap_or_else(seed_from_clock),
            spin: self.spin,
            start_at: self.start_at,
            host,
            keep_seconds: false,
        };
        config.validate()?;
        Ok(config)
    }

    /// The queries to send, encoded with the EDNS, RD and case options.
    fn query_set(&self) -> Result<QuerySet, LoadgenError> {
        let questions = self.questions()?;
        let edns =
            (self.edns || self.edns_payload.is_some() || self.dnssec_ok).then(|| EdnsOptions {
                payload: self.edns_payload.unwrap_or(DEFAULT_EDNS_PAYLOAD),
                dnssec_ok: self.dnssec_ok,
            });
        let options = QueryOptions {
            recursion_desired: !self.no_rd,
            edns,
            random_case: self.random_case,
        };
        QuerySet::build(&questions, options)
    }

    /// The questions from `--queries` or `--qname`/`--qtype`.
    fn questions(&self) -> Result<Vec<QuestionSpec>, LoadgenError> {
        if let Some(path) = &self.queries {
            return read_queries_file(path);
        }
        if self.qname.is_empty() {
            return Err(LoadgenError::InvalidConfig(
                "nothing to ask: give --qname NAME [--qtype TYPE] or --queries FILE".to_owned(),
            ));
        }
        let qtypes: Vec<&str> = match self.qtype.len() {
            0 => vec!["A"; self.qname.len()],
            1 => vec![self.qtype[0].as_str(); self.qname.len()],
            n if n == self.qname.len() => self.qtype.iter().map(String::as_str).collect(),
            n => {
                return Err(LoadgenError::InvalidConfig(format!(
                    "{n} --qtype values for {} --qname values: give one type for all names or one per name",
                    self.qname.len()
                )));
            }
        };
        self.qname
            .iter()
            .zip(qtypes)
            .map(|(name, qtype)| {
                QuestionSpec::parse(name, qtype).map_err(|problem| LoadgenError::InvalidQuery {
                    query: format!("{name} {qtype}"),
                    problem,
                })
            })
            .collect()
    }
}

/// A seed that differs from run to run.
fn seed_from_clock() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["satloc-loadgen"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).map_err(|err| err.to_string())?;
        cli.run.into_config().map_err(|err| err.to_string())
    }

    #[test]
    fn defaults_are_a_closed_loop_of_ten_for_ten_seconds() {
        let config = parse(&["--qname", "iss.sat.example", "--qtype", "LOC"]).unwrap();
        assert_eq!(config.load, LoadModel::Closed { concurrency: 10 });
        assert_eq!(
            config.stop,
            StopCondition::Duration(Duration::from_secs(10))
        );
        assert_eq!(config.server, "127.0.0.1:53".parse().unwrap());
        assert_eq!(config.threads, 1);
        assert_eq!(config.channels_per_thread, 4);
        assert_eq!(config.timeout, Duration::from_secs(1));
        assert_eq!(config.transport, TransportKind::Udp);
        assert_eq!(config.queries.len(), 1);
    }

    #[test]
    fn open_loop_requests_and_server_with_port() {
        let config = parse(&[
            "-s",
            "127.0.0.1:5353",
            "--rate",
            "2000",
            "--requests",
            "500",
            "--qname",
            "a.example",
            "--qname",
            "b.example",
            "--qtype",
            "A",
            "--qtype",
            "AAAA",
            "--warmup",
            "2s",
            "-e",
        ])
        .unwrap();
        assert_eq!(config.server.port(), 5353);
        assert_eq!(config.load, LoadModel::Open { rate_qps: 2000.0 });
        assert_eq!(config.stop, StopCondition::Requests(500));
        assert_eq!(config.warmup, Duration::from_secs(2));
        assert_eq!(config.queries.len(), 2);
    }

    #[test]
    fn inconsistent_settings_are_refused_with_the_flag_named() {
        let err = parse(&[
            "--qname",
            "a.example",
            "--concurrency",
            "1",
            "--threads",
            "2",
        ])
        .unwrap_err();
        assert!(
            err.contains("--concurrency 1 is less than --threads 2"),
            "{err}"
        );
        let err = parse(&[
            "--qname", "a", "--qname", "b", "--qname", "c", "--qtype", "A", "--qtype", "MX",
        ])
        .unwrap_err();
        assert!(
            err.contains("2 --qtype values for 3 --qname values"),
            "{err}"
        );
        let err = parse(&["--qname", "a.example", "--timeout", "2m"]).unwrap_err();
        assert!(err.contains("--timeout 2m is out of range"), "{err}");
        let err =
            parse(&["--qname", "a.example", "--rate", "10", "--concurrency", "5"]).unwrap_err();
        assert!(err.contains("cannot be used with"), "{err}");
        let err = parse(&[]).unwrap_err();
        assert!(err.contains("nothing to ask"), "{err}");
        let err = parse(&["--qname", "a.example", "--server", "no-such-host.invalid"]).unwrap_err();
        assert!(
            err.contains("cannot resolve server name \"no-such-host.invalid\""),
            "{err}"
        );
    }

    #[test]
    fn durations_take_units_or_seconds() {
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn start_at_takes_rfc3339_or_epoch_seconds_and_refuses_past_and_far_times() {
        let epoch = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(
            parse_start_at("2026-12-01T10:00:00Z").unwrap(),
            epoch(1_796_119_200)
        );
        assert_eq!(parse_start_at("1796119200").unwrap(), epoch(1_796_119_200));
        assert_eq!(
            parse_start_at("1796119200.5").unwrap(),
            epoch(1_796_119_200) + Duration::from_millis(500)
        );
        let err = parse_start_at("tomorrow").unwrap_err().to_string();
        assert!(err.starts_with("\"tomorrow\" is not a UTC time"), "{err}");

        let err = parse(&["--qname", "a.example", "--start-at", "1000000000"]).unwrap_err();
        assert!(
            err.contains("--start-at 2001-09-09T01:46:40.000Z is ")
                && err.contains("s in the past"),
            "{err}"
        );
        let later = SystemTime::now() + Duration::from_secs(3 * 24 * 3600);
        let later = humantime::format_rfc3339_seconds(later).to_string();
        let err = parse(&["--qname", "a.example", "--start-at", &later]).unwrap_err();
        assert!(err.contains("ahead, more than the 1day allowed"), "{err}");
        let soon = humantime::format_rfc3339(SystemTime::now() + Duration::from_secs(60));
        let config = parse(&["--qname", "a.example", "--start-at", &soon.to_string()]).unwrap();
        assert!(config.start_at.is_some());
    }
}
