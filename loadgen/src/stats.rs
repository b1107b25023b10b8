//! What a run counts and measures: per-outcome counters and an HDR latency
//! histogram, both owned by one worker thread at a time and added together
//! afterwards.
//!
//! Nothing here is shared between threads while queries are in flight: each
//! worker records into its own [`Counters`] and [`Histogram`] and hands a
//! finished interval to the coordinating thread by value, so the measurement
//! path takes no lock and touches no shared cache line. Adding histograms is
//! exact (bucket by bucket), so the merged summary is the same as if one
//! thread had recorded everything.

use std::ops::AddAssign;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Lowest latency the histogram tells apart: 1 µs.
pub const LOWEST_US: u64 = 1;
/// Highest latency the histogram holds: 60 s (longer values are clamped).
pub const HIGHEST_US: u64 = 60_000_000;
/// Significant decimal digits kept for every value.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency histogram in microseconds with the run's fixed bounds.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Records a latency given in nanoseconds, rounded to the nearest
/// microsecond and clamped into the histogram's range.
pub fn record_latency_ns(histogram: &mut Histogram<u64>, latency_ns: u64) {
    let micros = (latency_ns.saturating_add(500) / 1_000).clamp(LOWEST_US, HIGHEST_US);
    histogram.saturating_record(micros);
}

/// One measured second of a run, kept when the run is asked to
/// ([`crate::config::Config::keep_seconds`]): a sweep logs and plots them.
#[derive(Debug, Clone)]
pub struct MeasuredSecond {
    /// Start, after the end of warm-up.
    pub start: std::time::Duration,
    /// How long it lasted (a run's last second ends early).
    pub length: std::time::Duration,
    /// Latencies of the answers in it, in µs.
    pub histogram: Histogram<u64>,
    /// Outcomes in it.
    pub counters: Counters,
}

/// One measured second reduced to what a report plots, what the JSON lists
/// under `seconds` and what `compare` takes its noise from: kept for every
/// second of every run (a few bytes each), unlike [`MeasuredSecond`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SecondFigures {
    /// Start, after the end of warm-up.
    #[serde(rename = "start_s", with = "seconds_f64")]
    pub start: std::time::Duration,
    /// How long it lasted (a run's last second, its drain, is short).
    #[serde(rename = "length_s", with = "seconds_f64")]
    pub length: std::time::Duration,
    /// Answers per second in it.
    pub answered_qps: f64,
    /// Its median in µs, if anything was answered.
    pub p50_us: Option<u64>,
    /// Its 90th percentile in µs, if anything was answered.
    pub p90_us: Option<u64>,
    /// Its 99th percentile in µs, if anything was answered.
    pub p99_us: Option<u64>,
    /// Its 99.9th percentile in µs, if anything was answered.
    pub p999_us: Option<u64>,
}

impl SecondFigures {
    /// The figures of a second that answered `completed` queries with
    /// latencies `histogram`.
    pub fn new(
        start: std::time::Duration,
        length: std::time::Duration,
        completed: u64,
        histogram: &Histogram<u64>,
    ) -> Self {
        let length_s = length.as_secs_f64();
        Self {
            start,
            length,
            answered_qps: if length_s > 0.0 {
                completed as f64 / length_s
            } else {
                0.0
            },
            p50_us: quantile(histogram, 0.50),
            p90_us: quantile(histogram, 0.90),
            p99_us: quantile(histogram, 0.99),
            p999_us: quantile(histogram, 0.999),
        }
    }

    /// Whether it lasted long enough to stand for a second: a run's or a
    /// step's last, while its answers drain, may last a few milliseconds,
    /// and a rate or percentile over those is noise.
    pub fn is_whole(&self) -> bool {
        self.length >= SHORTEST_WHOLE_SECOND
    }
}

/// The shortest second [`SecondFigures::is_whole`] counts.
const SHORTEST_WHOLE_SECOND: std::time::Duration = std::time::Duration::from_millis(500);

/// A duration as a number of seconds in JSON (`start_s`, `length_s`).
mod seconds_f64 {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(duration.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(seconds).map_err(serde::de::Error::custom)
    }
}

/// The value at `q`, if anything was recorded.
fn quantile(histogram: &Histogram<u64>, q: f64) -> Option<u64> {
    (!histogram.is_empty()).then(|| histogram.value_at_quantile(q))
}

/// Number of RCODE values counted individually: the 12-bit extended range.
pub const RCODE_SPACE: usize = 4096;

/// Outcome counts for a stretch of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters {
    /// Queries handed to the kernel.
    pub sent: u64,
    /// Answers to the question asked, any RCODE (latency recorded).
    pub completed: u64,
    /// Queries with no answer within the timeout.
    pub lost: u64,
    /// Answers that came after their query was counted lost.
    pub late: u64,
    /// Datagrams or frames whose ID matched nothing in flight.
    pub unexpected: u64,
    /// Responses with the ID of a query in flight but another question
    /// (or not a response); they end that query as an error.
    pub mismatched: u64,
    /// Responses with the ID of a query in flight that are not valid DNS;
    /// they end that query as an error.
    pub malformed: u64,
    /// Completed answers with the TC bit set.
    pub truncated: u64,
    /// TCP connections re-opened after the server closed them.
    pub reconnects: u64,
    /// Completed answers by RCODE.
    pub rcodes: Box<[u64; RCODE_SPACE]>,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            sent: 0,
            completed: 0,
            lost: 0,
            late: 0,
            unexpected: 0,
            mismatched: 0,
            malformed: 0,
            truncated: 0,
            reconnects: 0,
            rcodes: Box::new([0; RCODE_SPACE]),
        }
    }
}

impl Counters {
    /// Queries that ended badly other than by timing out: the `errors`
    /// figure of the report.
    pub fn errors(&self) -> u64 {
        self.mismatched + self.malformed
    }

    /// Non-zero RCODE counts as (code, count), lowest code first.
    pub fn rcode_counts(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.rcodes
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .map(|(code, &count)| (u16::try_from(code).unwrap_or(u16::MAX), count))
    }
}

impl AddAssign<&Counters> for Counters {
    fn add_assign(&mut self, other: &Counters) {
        self.sent += other.sent;
        self.completed += other.completed;
        self.lost += other.lost;
        self.late += other.late;
        self.unexpected += other.unexpected;
        self.mismatched += other.mismatched;
        self.malformed += other.malformed;
        self.truncated += other.truncated;
        self.reconnects += other.reconnects;
        for (total, add) in self.rcodes.iter_mut().zip(other.rcodes.iter()) {
            *total += add;
        }
    }
}

/// The mnemonic of an RCODE (RFC 1035, 2136, 6891, 7873, 8490), or
/// `RCODE<n>` for values without one.
pub fn rcode_name(code: u16) -> String {
    let name = match code {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => return format!("RCODE{code}"),
    };
    name.to_owned()
}

/// The latency figures every report shows, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Number of latencies recorded.
    pub count: u64,
    /// Fastest answer.
    pub min: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// Slowest answer.
    pub max: u64,
}

impl LatencySummary {
    /// Reads the figures off a histogram (all zero when it is empty).
    pub fn from_histogram(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self {
                count: 0,
                min: 0,
                mean: 0.0,
                p50: 0,
                p90: 0,
                p99: 0,
                p999: 0,
                p9999: 0,
                max: 0,
            };
        }
        // Percentiles are reported as the highest value equivalent to the
        // recorded bucket (HdrHistogram's convention), never rounded down.
        Self {
            count: histogram.len(),
            min: histogram.min(),
            mean: histogram.mean(),
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            p9999: histogram.value_at_quantile(0.9999),
            max: histogram.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_round_to_microseconds_and_clamp_into_range() {
        let mut histogram = new_histogram();
        record_latency_ns(&mut histogram, 0);
        record_latency_ns(&mut histogram, 1_499);
        record_latency_ns(&mut histogram, 1_500);
        record_latency_ns(&mut histogram, 120_000_000_000);
        assert_eq!(histogram.count_at(1), 2);
        assert_eq!(histogram.count_at(2), 1);
        assert!(histogram.max() >= HIGHEST_US);
        assert_eq!(histogram.len(), 4);
    }

    #[test]
    fn summary_reads_percentiles() {
        let mut histogram = new_histogram();
        for micros in 1..=1000 {
            histogram.record(micros).unwrap();
        }
        let summary = LatencySummary::from_histogram(&histogram);
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.min, 1);
        assert_eq!(summary.p50, 500);
        assert_eq!(summary.p90, 900);
        assert_eq!(summary.p99, 990);
        assert_eq!(summary.max, 1000);
        assert!((summary.mean - 500.5).abs() < 0.01);
    }

    #[test]
    fn counters_add_field_by_field() {
        let mut total = Counters::default();
        let mut part = Counters {
            sent: 3,
            completed: 2,
            lost: 1,
            ..Counters::default()
        };
        part.rcodes[3] = 2;
        total += &part;
        total += &part;
        assert_eq!(total.sent, 6);
        assert_eq!(total.lost, 2);
        assert_eq!(total.rcode_counts().collect::<Vec<_>>(), vec![(3, 4)]);
        assert_eq!(rcode_name(3), "NXDOMAIN");
        assert_eq!(rcode_name(4000), "RCODE4000");
    }
}
