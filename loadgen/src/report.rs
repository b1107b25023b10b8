//! The summary a run (or a merge) ends with, for people and for programs.
//!
//! One [`Report`] value is rendered two ways: a short text block for the
//! terminal and a JSON document whose field names are the contract with
//! scripts (`qps`, `sent`, `completed`, `lost`, `errors`, `rcodes`,
//! `latency_us` with `min`, `mean`, `p50`, `p90`, `p99`, `p999`, `max`).
//! Fields that do not apply (the open-loop block in a closed-loop run, the
//! counters of a merge of logs without totals) are `null` rather than
//! absent, so a consumer sees the same shape every time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::alignment::Alignment;
use crate::hdrlog::{HostLog, Merged};
use crate::stats::{Counters, LatencySummary, SecondFigures, rcode_name};

/// Closed or open loop as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadReport {
    /// "closed" or "open".
    pub mode: &'static str,
    /// Closed loop: queries kept in flight.
    pub concurrency: Option<usize>,
    /// Open loop: the rate asked for.
    pub target_qps: Option<f64>,
}

/// How far an open loop kept to its timetable.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenLoopReport {
    /// The rate asked for.
    pub target_qps: f64,
    /// Measured queries that fell due during the run.
    pub scheduled: u64,
    /// Measured queries actually sent per second of measurement.
    pub achieved_qps: f64,
    /// How far the achieved rate fell short of the target, in percent
    /// (0 when on target).
    pub shortfall_pct: f64,
    /// The most any query went out after its due time, in µs.
    pub max_send_lag_us: u64,
    /// Times a due query waited because every socket's window was full of
    /// unanswered queries: when the rate fell short, the server's backlog
    /// rather than the generator held it back.
    pub window_stalls: u64,
}

/// A run's or a merge's summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// The program and version that measured.
    pub tool: String,
    /// The server as typed and as resolved, e.g. "localhost (127.0.0.1:53)".
    pub server: Option<String>,
    /// "udp" or "tcp".
    pub transport: Option<&'static str>,
    /// The load model.
    pub load: Option<LoadReport>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Sockets or connections per thread.
    pub sockets_per_thread: Option<usize>,
    /// Seconds of measurement the rates are computed over.
    pub elapsed_s: f64,
    /// Completed answers per second.
    pub qps: f64,
    /// Queries sent.
    pub sent: Option<u64>,
    /// Answers to the question asked (any RCODE).
    pub completed: u64,
    /// Queries never answered within the timeout.
    pub lost: Option<u64>,
    /// Mismatched + malformed responses.
    pub errors: Option<u64>,
    /// Responses to another question.
    pub mismatched: Option<u64>,
    /// Responses that are not valid DNS.
    pub malformed: Option<u64>,
    /// Answers with TC set.
    pub truncated: Option<u64>,
    /// Answers after the timeout.
    pub late: Option<u64>,
    /// Datagrams matching no query.
    pub unexpected: Option<u64>,
    /// TCP reconnects.
    pub reconnects: Option<u64>,
    /// Completed answers by RCODE mnemonic.
    pub rcodes: Option<BTreeMap<String, u64>>,
    /// Latency of completed answers in µs.
    pub latency_us: LatencySummary,
    /// Open loop only.
    pub open_loop: Option<OpenLoopReport>,
    /// Merge only: the logs merged.
    pub merged_logs: Option<Vec<String>>,
    /// Merge only: each log (host) on its own, in the order given.
    pub hosts: Option<Vec<HostReport>>,
    /// Merge only: how the logs line up in time.
    pub alignment: Option<AlignmentReport>,
    /// Run only: each measured second.
    pub seconds: Option<Vec<SecondFigures>>,
    /// Why the run ended early, if it did.
    pub error: Option<String>,
}

impl Report {
    /// A report with the figures every report has (rate from `completed`
    /// over `elapsed_s`) and every optional part empty.
    pub fn new(tool: String, elapsed_s: f64, completed: u64, latency_us: LatencySummary) -> Self {
        Self {
            tool,
            server: None,
            transport: None,
            load: None,
            threads: None,
            sockets_per_thread: None,
            elapsed_s,
            qps: if elapsed_s > 0.0 {
                completed as f64 / elapsed_s
            } else {
                0.0
            },
            sent: None,
            completed,
            lost: None,
            errors: None,
            mismatched: None,
            malformed: None,
            truncated: None,
            late: None,
            unexpected: None,
            reconnects: None,
            rcodes: None,
            latency_us,
            open_loop: None,
            merged_logs: None,
            hosts: None,
            alignment: None,
            seconds: None,
            error: None,
        }
    }

    /// The summary of merged interval logs: latency from the merged
    /// histogram, rate over the logs' common span, counters when every log
    /// carried them.
    pub fn from_merge(merged: &Merged) -> Self {
        let mut report = Self::new(
            format!(
                "{} {} merge",
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION")
            ),
            merged.span_s,
            merged.histogram.len(),
            LatencySummary::from_histogram(&merged.histogram),
        );
        report.merged_logs = Some(
            merged
                .logs
                .iter()
                .map(|path| path.display().to_string())
                .collect(),
        );
        report.hosts = Some(merged.hosts.iter().map(HostReport::from_log).collect());
        report.alignment = Some(AlignmentReport::from_alignment(&merged.alignment));
        match &merged.totals {
            Some(totals) => report.with_counters(totals),
            None => report,
        }
    }

    /// A report with the counters filled in from `counters`.
    pub fn with_counters(mut self, counters: &Counters) -> Self {
        self.sent = Some(counters.sent);
        self.lost = Some(counters.lost);
        self.errors = Some(counters.errors());
        self.mismatched = Some(counters.mismatched);
        self.malformed = Some(counters.malformed);
        self.truncated = Some(counters.truncated);
        self.late = Some(counters.late);
        self.unexpected = Some(counters.unexpected);
        self.reconnects = Some(counters.reconnects);
        self.rcodes = Some(
            counters
                .rcode_counts()
                .map(|(code, count)| (rcode_name(code), count))
                .collect(),
        );
        self
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a report always serialises");
        json.push('\n');
        json
    }

    /// The text block for a terminal: what was run, then one line per kind
    /// of figure.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", self.tool, self.setup().join(", "));
        let _ = writeln!(out, "  queries     {}", self.query_counts().join("   "));
        let _ = writeln!(
            out,
            "  rate        {} qps over {:.3} s",
            group_f(self.qps),
            self.elapsed_s
        );
        if let Some(open) = &self.open_loop {
            let _ = writeln!(out, "  timetable   {}", self.timetable(open));
        }
        if let Some(rcodes) = &self.rcodes {
            let _ = writeln!(out, "  rcodes      {}", rcode_counts(rcodes).join("   "));
        }
        let problems = self.problem_counts();
        if !problems.is_empty() {
            let _ = writeln!(out, "  responses   {}", problems.join("   "));
        }
        let _ = writeln!(out, "  latency us  {}", latency_figures(&self.latency_us));
        if let Some(alignment) = &self.alignment {
            let _ = writeln!(out, "  alignment   {}", alignment.to_text());
        }
        if let Some(hosts) = &self.hosts {
            out.push_str(&hosts_table(hosts, &self.latency_us, self.qps));
        }
        out
    }

    /// What was run: server, transport, load, threads, merged logs (those
    /// that apply).
    fn setup(&self) -> Vec<String> {
        let mut setup = Vec::new();
        if let Some(server) = &self.server {
            setup.push(server.clone());
        }
        if let Some(transport) = self.transport {
            setup.push(transport.to_ascii_uppercase());
        }
        if let Some(load) = &self.load {
            match (load.concurrency, load.target_qps) {
                (Some(concurrency), _) => {
                    setup.push(format!("closed loop, concurrency {concurrency}"));
                }
                (None, Some(rate)) => {
                    setup.push(format!("open loop, {} qps", group(rate.round() as u64)));
                }
                _ => {}
            }
        }
        if let (Some(threads), Some(sockets)) = (self.threads, self.sockets_per_thread) {
            setup.push(format!(
                "{threads} thread{} x {sockets} socket{}",
                plural(threads),
                plural(sockets)
            ));
        }
        if let Some(logs) = &self.merged_logs {
            setup.push(format!(
                "merged from {} log{}",
                logs.len(),
                plural(logs.len())
            ));
        }
        setup
    }

    /// Sent, completed (with its share of sent), lost, errors.
    fn query_counts(&self) -> Vec<String> {
        let mut queries = Vec::new();
        if let Some(sent) = self.sent {
            queries.push(format!("sent {}", group(sent)));
        }
        let share = self
            .sent
            .filter(|&sent| sent > 0)
            .map(|sent| format!(" ({:.2}%)", 100.0 * self.completed as f64 / sent as f64))
            .unwrap_or_default();
        queries.push(format!("completed {}{share}", group(self.completed)));
        if let Some(lost) = self.lost {
            queries.push(format!("lost {}", group(lost)));
        }
        if let Some(errors) = self.errors {
            queries.push(format!("errors {}", group(errors)));
        }
        queries
    }

    /// How an open loop kept to its timetable.
    fn timetable(&self, open: &OpenLoopReport) -> String {
        format!(
            "target {} qps, sent {} qps ({:.1}% short), {} of {} due sent, max send lag {} us",
            group_f(open.target_qps),
            group_f(open.achieved_qps),
            open.shortfall_pct,
            group(self.sent.unwrap_or(0)),
            group(open.scheduled),
            group(open.max_send_lag_us)
        )
    }

    /// The response counters other than completed, when known.
    fn problem_counts(&self) -> Vec<String> {
        [
            ("truncated", self.truncated),
            ("mismatched", self.mismatched),
            ("malformed", self.malformed),
            ("late", self.late),
            ("unexpected", self.unexpected),
            ("reconnects", self.reconnects),
        ]
        .iter()
        .filter_map(|(name, count)| count.map(|count| format!("{name} {}", group(count))))
        .collect()
    }
}

/// One log of a merge (one load host) on its own.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HostReport {
    /// The host's tag (`--host-tag`), or the log's file name for logs that
    /// name no host.
    pub host: String,
    /// The log file.
    pub log: String,
    /// Seconds this host measured.
    pub elapsed_s: f64,
    /// This host's completed answers per second.
    pub qps: f64,
    /// Queries this host sent, when its log has a totals line.
    pub sent: Option<u64>,
    /// Answers this host recorded.
    pub completed: u64,
    /// Queries this host lost, when its log has a totals line.
    pub lost: Option<u64>,
    /// This host's latency in µs.
    pub latency_us: LatencySummary,
}

impl HostReport {
    /// The figures of one merged log.
    fn from_log(log: &HostLog) -> Self {
        let elapsed_s = log.elapsed_s();
        let completed = log.contents.histogram.len();
        let totals = log.contents.totals.as_ref().map(|(counters, _)| counters);
        Self {
            host: log.host.clone(),
            log: log.path.display().to_string(),
            elapsed_s,
            qps: if elapsed_s > 0.0 {
                completed as f64 / elapsed_s
            } else {
                0.0
            },
            sent: totals.map(|counters| counters.sent),
            completed,
            lost: totals.map(|counters| counters.lost),
            latency_us: LatencySummary::from_histogram(&log.contents.histogram),
        }
    }
}

/// How the logs of a merge line up in absolute time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlignmentReport {
    /// Whether every log's intervals line up within the tolerance.
    pub aligned: bool,
    /// The `--start-at` every log declares, RFC 3339, if they all declare
    /// the same one.
    pub start_at: Option<String>,
    /// How far apart the logs' first intervals start, in ms.
    pub start_spread_ms: f64,
    /// The interval length, in seconds.
    pub interval_s: f64,
    /// The difference allowed, in ms (`merge --tolerance`).
    pub tolerance_ms: f64,
    /// What does not line up, if anything.
    pub problem: Option<String>,
}

impl AlignmentReport {
    /// The report of an alignment check.
    fn from_alignment(alignment: &Alignment) -> Self {
        Self {
            aligned: alignment.is_aligned(),
            start_at: alignment
                .start_at
                .map(|at| humantime::format_rfc3339_millis(at).to_string()),
            start_spread_ms: alignment.start_spread_s * 1000.0,
            interval_s: alignment.interval_s,
            tolerance_ms: alignment.tolerance.as_secs_f64() * 1000.0,
            problem: alignment.problem.as_ref().map(ToString::to_string),
        }
    }

    /// One line: aligned or not, and on what.
    fn to_text(&self) -> String {
        let start = self
            .start_at
            .as_ref()
            .map(|at| format!("--start-at {at}, "))
            .unwrap_or_default();
        match &self.problem {
            None => format!(
                "aligned: {start}first intervals within {:.1} ms, {:.3} s intervals (tolerance {:.0} ms)",
                self.start_spread_ms, self.interval_s, self.tolerance_ms
            ),
            Some(problem) => format!("NOT aligned: {problem}"),
        }
    }
}

/// The per-host table of a merge, ending with the combined row (the merged
/// histogram's figures, not an average of the hosts').
fn hosts_table(hosts: &[HostReport], combined: &LatencySummary, combined_qps: f64) -> String {
    let width = hosts
        .iter()
        .map(|host| host.host.len())
        .chain(["combined".len()])
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  per host    {:<width$}  {:>12}  {:>12}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}   (latency us)",
        "host", "completed", "qps", "p50", "p90", "p99", "p99.9", "max"
    );
    let rows = hosts
        .iter()
        .map(|host| (host.host.as_str(), &host.latency_us, host.qps))
        .chain([("combined", combined, combined_qps)]);
    for (name, latency, qps) in rows {
        let _ = writeln!(
            out,
            "              {name:<width$}  {:>12}  {:>12}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}",
            group(latency.count),
            group_f(qps),
            group(latency.p50),
            group(latency.p90),
            group(latency.p99),
            group(latency.p999),
            group(latency.max)
        );
    }
    out
}

/// Each RCODE with its count, or "none".
fn rcode_counts(rcodes: &BTreeMap<String, u64>) -> Vec<String> {
    let mut parts: Vec<String> = rcodes
        .iter()
        .map(|(name, count)| format!("{name} {}", group(*count)))
        .collect();
    if parts.is_empty() {
        parts.push("none".to_owned());
    }
    parts
}

/// The latency line's figures.
fn latency_figures(l: &LatencySummary) -> String {
    format!(
        "min {}   mean {:.1}   p50 {}   p90 {}   p99 {}   p99.9 {}   p99.99 {}   max {}",
        group(l.min),
        l.mean,
        group(l.p50),
        group(l.p90),
        group(l.p99),
        group(l.p999),
        group(l.p9999),
        group(l.max)
    )
}

/// "s" unless `n` is 1.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An integer with thousands separators: 1234567 -> "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A rate with thousands separators and one decimal.
fn group_f(value: f64) -> String {
    let tenths = (value.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", group(tenths / 10), tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut counters = Counters {
            sent: 1000,
            completed: 990,
            lost: 8,
            malformed: 2,
            ..Counters::default()
        };
        counters.rcodes[0] = 980;
        counters.rcodes[3] = 10;
        let latency = LatencySummary {
            count: 990,
            min: 20,
            mean: 51.5,
            p50: 50,
            p90: 70,
            p99: 90,
            p999: 120,
            p9999: 130,
            max: 130,
        };
        let mut report = Report::new("satloc-loadgen 0.1.0".to_owned(), 1.0, 990, latency);
        report.server = Some("127.0.0.1:53".to_owned());
        report.transport = Some("udp");
        report.load = Some(LoadReport {
            mode: "closed",
            concurrency: Some(10),
            target_qps: None,
        });
        report.threads = Some(1);
        report.sockets_per_thread = Some(4);
        report.with_counters(&counters)
    }

    #[test]
    fn json_has_the_documented_fields() {
        let json: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(json["qps"], 990.0);
        assert_eq!(json["sent"], 1000);
        assert_eq!(json["completed"], 990);
        assert_eq!(json["lost"], 8);
        assert_eq!(json["errors"], 2);
        assert_eq!(json["rcodes"]["NOERROR"], 980);
        assert_eq!(json["rcodes"]["NXDOMAIN"], 10);
        for key in ["min", "mean", "p50", "p90", "p99", "p999", "max"] {
            assert!(json["latency_us"][key].is_number(), "latency_us.{key}");
        }
        assert!(json["open_loop"].is_null());
    }

    #[test]
    fn text_report_shows_counts_and_percentiles() {
        let text = sample().to_text();
        assert!(text.contains("sent 1,000"), "{text}");
        assert!(text.contains("completed 990 (99.00%)"), "{text}");
        assert!(text.contains("NXDOMAIN 10"), "{text}");
        assert!(text.contains("p99.9 120"), "{text}");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group_f(1234.56), "1,234.6");
    }
}
