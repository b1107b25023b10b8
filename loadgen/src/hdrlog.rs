//! HdrHistogram interval logs: writing one per run (`--hdr-log`) and merging
//! several into one summary (`satloc-loadgen merge`).
//!
//! The format is HdrHistogram's standard interval log (log format 1.3, the
//! one Java's `HistogramLogWriter` writes and `HistogramLogProcessor` reads):
//! a few `#[...]` header lines, a CSV legend, then one line per second:
//! `start,length,max,base64(V2+DEFLATE histogram)`. Timestamps are seconds
//! since `BaseTime`; recorded values are microseconds and the max column is
//! in milliseconds (`MaxValueDivisor` 1000, matching Java's default
//! reporting unit). Histograms are encoded by the hdrhistogram crate; the
//! lines around them are written here because the crate's writer cannot emit
//! the legend line.
//!
//! Histograms add exactly, so merging the logs of several load hosts gives
//! the same percentiles as one histogram that saw every query. A log also
//! ends with a `#[satloc-loadgen totals: ...]` comment (ignored by other
//! tools) carrying the counters a histogram cannot: sent, lost, RCODEs.
//! Two more comments in the header name the host (`#[satloc-loadgen host:
//! NAME]`) and, for a run started with `--start-at`, the agreed start
//! (`#[satloc-loadgen start-at: TIME]`), which `merge` checks (the
//! `alignment` module). They are comments rather than HdrHistogram's
//! per-line `Tag=`, because Java's `HistogramLogProcessor` reads only
//! untagged lines unless given `-tag`, and logs of earlier versions have
//! neither: every reader of one log sees what it saw before.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{
    IntervalLogHistogram, IntervalLogIterator, LogEntry, LogIteratorError,
};
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

use crate::alignment::{self, ALIGNMENT_TOLERANCE, Alignment, LogTiming};
use crate::error::{LoadgenError, LogProblem, TotalsError};
use crate::stats::{Counters, RCODE_SPACE, new_histogram};

/// Prefix of the totals comment.
const TOTALS_PREFIX: &str = "#[satloc-loadgen totals:";

/// Prefix of the comment naming the host that measured.
const HOST_PREFIX: &str = "#[satloc-loadgen host:";

/// Prefix of the comment holding the run's `--start-at`.
const START_AT_PREFIX: &str = "#[satloc-loadgen start-at:";

/// Divisor for the Interval_Max column: µs to ms.
const MAX_VALUE_DIVISOR: f64 = 1000.0;

/// Seconds since the Unix epoch as a float.
fn epoch_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// What the header of a log says besides its times.
#[derive(Debug, Clone, Copy)]
pub struct LogHeader<'a> {
    /// What was measured, in one line.
    pub description: &'a str,
    /// The host that measured (`--host-tag`), if named.
    pub host: Option<&'a str>,
    /// The start every host of the run agreed on (`--start-at`), if any.
    pub start_at: Option<SystemTime>,
}

/// An interval log being written.
pub struct HdrLogWriter<W: Write> {
    /// The log's destination.
    out: W,
    /// Encodes histograms (reused: it keeps its buffers).
    serializer: V2DeflateSerializer,
    /// Scratch space for one encoded histogram.
    encoded: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for HdrLogWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HdrLogWriter").finish_non_exhaustive()
    }
}

impl<W: Write> HdrLogWriter<W> {
    /// Starts a log whose timestamps count from `base_time`, with `header`
    /// saying what was measured, where, and from when.
    pub fn start(mut out: W, base_time: SystemTime, header: &LogHeader<'_>) -> io::Result<Self> {
        let base = epoch_seconds(base_time);
        writeln!(out, "#[{}; values in microseconds]", header.description)?;
        if let Some(host) = header.host {
            writeln!(out, "{HOST_PREFIX} {host}]")?;
        }
        if let Some(start_at) = header.start_at {
            writeln!(
                out,
                "{START_AT_PREFIX} {}]",
                humantime::format_rfc3339(start_at)
            )?;
        }
        writeln!(out, "#[Histogram log format version 1.3]")?;
        writeln!(out, "#[StartTime: {base:.3} (seconds since epoch)]")?;
        writeln!(out, "#[BaseTime: {base:.3} (seconds since epoch)]")?;
        writeln!(out, "#[MaxValueDivisor: {MAX_VALUE_DIVISOR:.3}]")?;
        writeln!(
            out,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )?;
        Ok(Self {
            out,
            serializer: V2DeflateSerializer::new(),
            encoded: Vec::new(),
        })
    }

    /// Appends one interval: `start` after the base time, lasting `length`.
    pub fn write_interval(
        &mut self,
        histogram: &Histogram<u64>,
        start: Duration,
        length: Duration,
    ) -> io::Result<()> {
        self.write_tagged_interval(histogram, start, length, None)
    }

    /// Appends one interval with HdrHistogram's `Tag=NAME,` prefix when
    /// `tag` is given (a sweep tags each step's seconds; the tag must hold
    /// no comma or white space).
    pub fn write_tagged_interval(
        &mut self,
        histogram: &Histogram<u64>,
        start: Duration,
        length: Duration,
        tag: Option<&str>,
    ) -> io::Result<()> {
        if let Some(tag) = tag {
            write!(self.out, "Tag={tag},")?;
        }
        self.encoded.clear();
        self.serializer
            .serialize(histogram, &mut self.encoded)
            .map_err(|err| io::Error::other(format!("cannot encode histogram: {err:?}")))?;
        writeln!(
            self.out,
            "{:.3},{:.3},{:.3},{}",
            start.as_secs_f64(),
            length.as_secs_f64(),
            histogram.max() as f64 / MAX_VALUE_DIVISOR,
            BASE64.encode(&self.encoded)
        )?;
        self.out.flush()
    }

    /// Ends the log with the run's counters and measured duration.
    pub fn finish(mut self, totals: &Counters, elapsed: Duration) -> io::Result<W> {
        let rcodes: Vec<String> = totals
            .rcode_counts()
            .map(|(code, count)| format!("{code}:{count}"))
            .collect();
        writeln!(
            self.out,
            "{TOTALS_PREFIX} sent={} completed={} lost={} late={} unexpected={} mismatched={} malformed={} truncated={} reconnects={} elapsed_s={:.6} rcodes={}]",
            totals.sent,
            totals.completed,
            totals.lost,
            totals.late,
            totals.unexpected,
            totals.mismatched,
            totals.malformed,
            totals.truncated,
            totals.reconnects,
            elapsed.as_secs_f64(),
            rcodes.join(",")
        )?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What one log holds.
#[derive(Debug)]
pub struct LogContents {
    /// Every interval histogram added together.
    pub histogram: Histogram<u64>,
    /// Number of interval lines.
    pub intervals: usize,
    /// Absolute start of the first interval, seconds since the epoch.
    pub first_start_s: f64,
    /// Absolute end of the last interval, seconds since the epoch.
    pub last_end_s: f64,
    /// The log's base time, seconds since the epoch.
    pub base_s: f64,
    /// The totals comment, if the log has one: counters and measured seconds.
    pub totals: Option<(Counters, f64)>,
    /// The host that measured, if the log names one.
    pub host: Option<String>,
    /// The run's `--start-at`, if it had one.
    pub start_at: Option<SystemTime>,
    /// Every interval as (absolute start, length), seconds since the epoch
    /// and seconds.
    pub interval_bounds: Vec<(f64, f64)>,
}

/// Reads an interval log written by this tool or any HdrHistogram writer.
pub fn read_log(path: &Path) -> Result<LogContents, LoadgenError> {
    let problem = |problem: LogProblem| LoadgenError::HdrLog {
        path: path.to_owned(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|err| problem(LogProblem::Unreadable(err)))?;
    let mut reader = LogReader::new();
    for entry in IntervalLogIterator::new(&bytes) {
        let entry = entry.map_err(|err| problem(unreadable_line(&bytes, &err)))?;
        reader.read(entry).map_err(problem)?;
    }
    if reader.intervals == 0 {
        return Err(problem(LogProblem::Empty));
    }
    let text = String::from_utf8_lossy(&bytes);
    let totals = text
        .lines()
        .find(|line| line.starts_with(TOTALS_PREFIX))
        .map(parse_totals)
        .transpose()
        .map_err(|problem| LoadgenError::HdrLogTotals {
            path: path.to_owned(),
            problem,
        })?;
    let host = comment_value(&text, HOST_PREFIX)
        .filter(|host| !host.is_empty())
        .map(str::to_owned);
    let start_at = comment_value(&text, START_AT_PREFIX)
        .map(|value| {
            humantime::parse_rfc3339(value).map_err(|err| {
                problem(LogProblem::StartAt {
                    value: value.to_owned(),
                    reason: err.to_string(),
                })
            })
        })
        .transpose()?;
    let mut contents = reader.finish(totals);
    contents.host = host;
    contents.start_at = start_at;
    Ok(contents)
}

/// The value of the first `PREFIX value]` comment line of `text`.
fn comment_value<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(|rest| rest.trim().trim_end_matches(']').trim())
}

/// Says which line of `bytes` the interval-log parser could not read.
fn unreadable_line(bytes: &[u8], err: &LogIteratorError) -> LogProblem {
    let LogIteratorError::ParseError { offset } = err;
    let line = bytes[..(*offset).min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    LogProblem::NotALogLine { line }
}

/// A log being read, entry by entry.
struct LogReader {
    /// Every interval so far added together.
    histogram: Histogram<u64>,
    /// Decodes interval histograms (reused: it keeps its buffers).
    deserializer: Deserializer,
    /// Interval lines so far.
    intervals: usize,
    /// The `StartTime` header, seconds since the epoch.
    start_time: Option<f64>,
    /// The `BaseTime` header, seconds since the epoch.
    base_time: Option<f64>,
    /// Absolute start of the earliest interval so far.
    first_start_s: f64,
    /// Absolute end of the latest interval so far.
    last_end_s: f64,
    /// Every interval so far as (absolute start, length).
    bounds: Vec<(f64, f64)>,
}

impl LogReader {
    /// Nothing read yet.
    fn new() -> Self {
        let mut histogram = new_histogram();
        // Logs from other tools may hold values beyond this tool's range.
        histogram.auto(true);
        Self {
            histogram,
            deserializer: Deserializer::new(),
            intervals: 0,
            start_time: None,
            base_time: None,
            first_start_s: f64::INFINITY,
            last_end_s: f64::NEG_INFINITY,
            bounds: Vec::new(),
        }
    }

    /// Takes in one entry; the error says what is wrong with it.
    fn read(&mut self, entry: LogEntry<'_>) -> Result<(), LogProblem> {
        match entry {
            LogEntry::StartTime(time) => self.start_time = Some(time.as_secs_f64()),
            LogEntry::BaseTime(time) => self.base_time = Some(time.as_secs_f64()),
            LogEntry::Interval(interval) => self.add_interval(&interval)?,
        }
        Ok(())
    }

    /// Decodes one interval's histogram, adds it, and widens the span.
    fn add_interval(&mut self, interval: &IntervalLogHistogram<'_>) -> Result<(), LogProblem> {
        self.intervals += 1;
        let number = self.intervals;
        let decoded =
            BASE64
                .decode(interval.encoded_histogram())
                .map_err(|err| LogProblem::Base64 {
                    number,
                    reason: err.to_string(),
                })?;
        let part: Histogram<u64> = self
            .deserializer
            .deserialize(&mut decoded.as_slice())
            .map_err(|err| LogProblem::Histogram {
                number,
                reason: format!("{err:?}"),
            })?;
        self.histogram
            .add(&part)
            .map_err(|err| LogProblem::CannotAdd(format!("interval {number}: {err:?}")))?;
        // Java's rule: without BaseTime, timestamps are deltas to StartTime if
        // they are much smaller than it, else absolute.
        let offset = interval.start_timestamp().as_secs_f64();
        let base = self.base_time.unwrap_or(match self.start_time {
            Some(start) if offset < start - 365.0 * 86_400.0 => start,
            _ => 0.0,
        });
        let length = interval.duration().as_secs_f64();
        self.first_start_s = self.first_start_s.min(base + offset);
        self.last_end_s = self.last_end_s.max(base + offset + length);
        self.bounds.push((base + offset, length));
        Ok(())
    }

    /// What the log held, with its totals comment (host and start time are
    /// the caller's to fill in).
    fn finish(self, totals: Option<(Counters, f64)>) -> LogContents {
        LogContents {
            histogram: self.histogram,
            intervals: self.intervals,
            first_start_s: self.first_start_s,
            last_end_s: self.last_end_s,
            base_s: self
                .base_time
                .or(self.start_time)
                .unwrap_or(self.first_start_s),
            totals,
            host: None,
            start_at: None,
            interval_bounds: self.bounds,
        }
    }
}

/// Parses the totals comment back into counters and elapsed seconds.
fn parse_totals(line: &str) -> Result<(Counters, f64), TotalsError> {
    let body = line
        .strip_prefix(TOTALS_PREFIX)
        .and_then(|rest| rest.trim().strip_suffix(']'))
        .ok_or(TotalsError::Shape)?;
    // Keys this version does not read are skipped, so logs that carry more
    // (`send_errors`, see loadgen/README.md) still merge.
    let fields: BTreeMap<&str, &str> = body
        .split_whitespace()
        .filter_map(|field| field.split_once('='))
        .collect();
    let number = |key: &'static str| -> Result<u64, TotalsError> {
        let value = fields.get(key).ok_or(TotalsError::Missing { key })?;
        value.parse().map_err(|_| TotalsError::NotANumber {
            key,
            value: (*value).to_owned(),
        })
    };
    let mut counters = Counters {
        sent: number("sent")?,
        completed: number("completed")?,
        lost: number("lost")?,
        late: number("late")?,
        unexpected: number("unexpected")?,
        mismatched: number("mismatched")?,
        malformed: number("malformed")?,
        truncated: number("truncated")?,
        reconnects: number("reconnects")?,
        ..Counters::default()
    };
    add_rcodes(&mut counters, fields.get("rcodes").copied().unwrap_or(""))?;
    let elapsed = fields
        .get("elapsed_s")
        .ok_or(TotalsError::Missing { key: "elapsed_s" })?;
    let elapsed: f64 = elapsed.parse().map_err(|_| TotalsError::NotANumber {
        key: "elapsed_s",
        value: (*elapsed).to_owned(),
    })?;
    Ok((counters, elapsed))
}

/// Adds the `code:count,...` list of a totals line to `counters`.
fn add_rcodes(counters: &mut Counters, list: &str) -> Result<(), TotalsError> {
    for entry in list.split(',').filter(|entry| !entry.is_empty()) {
        let (code, count) = entry
            .split_once(':')
            .ok_or_else(|| TotalsError::RcodeEntry {
                entry: entry.to_owned(),
            })?;
        let code: usize = code.parse().map_err(|_| TotalsError::Rcode {
            code: code.to_owned(),
        })?;
        let count: u64 = count.parse().map_err(|_| TotalsError::RcodeCount {
            count: count.to_owned(),
        })?;
        if code >= RCODE_SPACE {
            return Err(TotalsError::RcodeRange { code });
        }
        counters.rcodes[code] += count;
    }
    Ok(())
}

/// One log of a merge: the host it came from and what it measured.
#[derive(Debug)]
pub struct HostLog {
    /// The log file as given.
    pub path: PathBuf,
    /// The host's tag from the log, or else the file's name (logs of
    /// earlier versions name no host).
    pub host: String,
    /// What the log held.
    pub contents: LogContents,
}

impl HostLog {
    /// What the alignment check needs, with the log named by file and host.
    fn timing(&self) -> LogTiming {
        LogTiming {
            name: match &self.contents.host {
                Some(host) => format!("{} (host {host})", self.path.display()),
                None => self.path.display().to_string(),
            },
            start_at: self.contents.start_at,
            intervals: self.contents.interval_bounds.clone(),
        }
    }

    /// Seconds this host measured: from its totals line, or else from its
    /// first interval's start to its last one's end.
    pub fn elapsed_s(&self) -> f64 {
        match &self.contents.totals {
            Some((_, elapsed)) => *elapsed,
            None => (self.contents.last_end_s - self.contents.first_start_s).max(0.0),
        }
    }
}

/// Several logs added together.
#[derive(Debug)]
pub struct Merged {
    /// The logs, in the order given.
    pub logs: Vec<PathBuf>,
    /// All intervals of all logs added together.
    pub histogram: Histogram<u64>,
    /// Interval lines read.
    pub intervals: usize,
    /// Seconds from the earliest start to the latest end over all logs.
    pub span_s: f64,
    /// Summed counters, when every log carries a totals line.
    pub totals: Option<Counters>,
    /// Each log on its own, in the order given.
    pub hosts: Vec<HostLog>,
    /// How the logs line up in time.
    pub alignment: Alignment,
}

/// Merges interval logs.
///
/// The rate is computed over the span of all logs on the shared wall clock:
/// from the earliest measurement start to the latest measurement end (from
/// the totals lines when every log has one, otherwise from the intervals),
/// which is the combined rate when the logs come from hosts loading one
/// server at the same time. Whether they did is in [`Merged::alignment`];
/// refusing logs that promised to line up and do not is the caller's
/// choice ([`Alignment::enforce`]). The alignment is checked with the
/// default tolerance; [`merge_logs_within`] takes another.
pub fn merge_logs(paths: &[PathBuf]) -> Result<Merged, LoadgenError> {
    merge_logs_within(paths, ALIGNMENT_TOLERANCE)
}

/// [`merge_logs`], checking alignment within `tolerance`.
pub fn merge_logs_within(paths: &[PathBuf], tolerance: Duration) -> Result<Merged, LoadgenError> {
    let logs = paths
        .iter()
        .map(|path| read_log(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut histogram = new_histogram();
    histogram.auto(true);
    for (log, path) in logs.iter().zip(paths) {
        histogram
            .add(&log.histogram)
            .map_err(|err| LoadgenError::HdrLog {
                path: path.clone(),
                problem: LogProblem::CannotAdd(format!("cannot add histogram: {err:?}")),
            })?;
    }
    let totals = summed_totals(&logs);
    let span_s = common_span_s(&logs, totals.is_some());
    let intervals = logs.iter().map(|log| log.intervals).sum();
    let hosts: Vec<HostLog> = logs
        .into_iter()
        .zip(paths)
        .map(|(contents, path)| HostLog {
            path: path.clone(),
            host: contents.host.clone().unwrap_or_else(|| file_name(path)),
            contents,
        })
        .collect();
    let timings: Vec<LogTiming> = hosts.iter().map(HostLog::timing).collect();
    Ok(Merged {
        logs: paths.to_vec(),
        histogram,
        intervals,
        span_s,
        totals,
        alignment: alignment::check(&timings, tolerance),
        hosts,
    })
}

/// The counters of every log added up, if every log has a totals line.
fn summed_totals(logs: &[LogContents]) -> Option<Counters> {
    logs.iter()
        .map(|log| log.totals.as_ref().map(|(counters, _)| counters))
        .collect::<Option<Vec<_>>>()
        .map(|all| {
            let mut sum = Counters::default();
            for counters in all {
                sum += counters;
            }
            sum
        })
}

/// Seconds from the earliest start to the latest end: measured times from
/// the totals lines when `from_totals`, otherwise the intervals' bounds.
fn common_span_s(logs: &[LogContents], from_totals: bool) -> f64 {
    let (earliest, latest) =
        logs.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), log| {
                if from_totals {
                    let elapsed = log.totals.as_ref().map_or(0.0, |(_, elapsed)| *elapsed);
                    (lo.min(log.base_s), hi.max(log.base_s + elapsed))
                } else {
                    (lo.min(log.first_start_s), hi.max(log.last_end_s))
                }
            });
    (latest - earliest).max(0.0)
}

/// A log's file name, to stand for its host when it names none.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::record_latency_ns;

    #[test]
    fn a_written_log_reads_back_with_hdrhistograms_parser() {
        let base = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut first = new_histogram();
        let mut second = new_histogram();
        for micros in [10, 20, 30] {
            record_latency_ns(&mut first, micros * 1000);
        }
        record_latency_ns(&mut second, 250_000_000);
        let header = LogHeader {
            description: "test",
            host: Some("host-a"),
            start_at: Some(base),
        };
        let mut writer = HdrLogWriter::start(Vec::new(), base, &header).unwrap();
        writer
            .write_interval(&first, Duration::ZERO, Duration::from_secs(1))
            .unwrap();
        writer
            .write_interval(&second, Duration::from_secs(1), Duration::from_millis(500))
            .unwrap();
        let mut totals = Counters {
            sent: 5,
            completed: 4,
            lost: 1,
            ..Counters::default()
        };
        totals.rcodes[0] = 3;
        totals.rcodes[3] = 1;
        let bytes = writer.finish(&totals, Duration::from_millis(1500)).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\n0.000,1.000,0.030,HIST"), "{text}");
        assert!(text.contains("\n1.000,0.500,250.1"), "{text}");

        let dir = std::env::temp_dir().join(format!("satloc-hdrlog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.hlog");
        std::fs::write(&path, &bytes).unwrap();
        let log = read_log(&path).unwrap();
        assert_eq!(log.intervals, 2);
        assert_eq!(log.histogram.len(), 4);
        assert_eq!(log.histogram.count_at(20), 1);
        assert!((log.first_start_s - 1_700_000_000.0).abs() < 1e-6);
        assert!((log.last_end_s - 1_700_000_001.5).abs() < 1e-6);
        let (counters, elapsed) = log.totals.unwrap();
        assert_eq!(counters, totals);
        assert!((elapsed - 1.5).abs() < 1e-9);
        assert_eq!(log.host.as_deref(), Some("host-a"));
        assert_eq!(log.start_at, Some(base));
        assert_eq!(log.interval_bounds.len(), 2);

        let merged = merge_logs(&[path.clone(), path.clone()]).unwrap();
        assert_eq!(merged.histogram.len(), 8);
        assert_eq!(merged.totals.unwrap().sent, 10);
        assert!((merged.span_s - 1.5).abs() < 1e-6);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_totals_line_with_a_key_this_version_does_not_count_still_reads() {
        let line = "#[satloc-loadgen totals: sent=7 completed=6 lost=1 late=0 unexpected=0 mismatched=0 malformed=0 truncated=0 send_errors=0 reconnects=0 elapsed_s=2.000000 rcodes=0:6]";
        let (counters, elapsed) = parse_totals(line).unwrap();
        assert_eq!(counters.sent, 7);
        assert_eq!(counters.completed, 6);
        assert_eq!(counters.rcode_counts().collect::<Vec<_>>(), vec![(0, 6)]);
        assert!((elapsed - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_broken_log_is_reported_with_its_line() {
        let dir = std::env::temp_dir().join(format!("satloc-hdrlog-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.hlog");
        std::fs::write(
            &path,
            "#[Histogram log format version 1.3]\nnot a log line\n",
        )
        .unwrap();
        let err = read_log(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("bad.hlog: line 2: not an interval log line"),
            "{err}"
        );
        std::fs::write(&path, "#[only comments]\n").unwrap();
        let err = read_log(&path).unwrap_err().to_string();
        assert!(err.ends_with("no interval histograms in log"), "{err}");
        // A log that is fine but for its totals line.
        let header = LogHeader {
            description: "test",
            host: None,
            start_at: None,
        };
        let mut writer = HdrLogWriter::start(Vec::new(), UNIX_EPOCH, &header).unwrap();
        writer
            .write_interval(&new_histogram(), Duration::ZERO, Duration::from_secs(1))
            .unwrap();
        let bytes = writer.finish(&Counters::default(), Duration::ZERO).unwrap();
        let log = String::from_utf8(bytes).unwrap();
        std::fs::write(&path, log.replace("sent=0", "sent=x")).unwrap();
        let err = read_log(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("bad.hlog: totals line: sent is not a number: \"x\""),
            "{err}"
        );
        std::fs::write(&path, log.replace("rcodes=]", "rcodes=0-5]")).unwrap();
        let err = read_log(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("totals line: rcodes must be code:count, found \"0-5\""),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
