//! The latency objective a sweep holds each step to: `--slo p99=1ms`,
//! repeatable (`--slo p50=200us --slo p99.9=5ms`); a step meets the SLO
//! when every listed percentile is at or under its limit.
//!
//! Percentiles are read off the step's HDR histogram, whose latencies are
//! timed from each query's due time, so a server that stalls cannot hide
//! the stall from the objective.

use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use thiserror::Error;

/// One objective: the `percentile` of latency at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Slo {
    /// The percentile, in (0, 100]; 100 is the maximum.
    pub percentile: f64,
    /// The highest latency allowed at that percentile, in µs.
    #[serde(rename = "limit_us")]
    pub limit_us: u64,
}

/// A `--slo` value that cannot be used and what was expected; clap puts
/// the flag and the whole text in front.
#[derive(Debug, Error, PartialEq)]
pub enum SloError {
    /// Not `PERCENTILE=DURATION`.
    #[error("expected PERCENTILE=LIMIT, e.g. p99=1ms, p99.9=5ms, max=20ms")]
    Syntax,
    /// The percentile is not `pN` with 0 < N ≤ 100, nor `max`.
    #[error(
        "{percentile:?} is not a percentile: expected p followed by a number above 0 and at most 100 (p50, p99, p99.9) or max"
    )]
    Percentile {
        /// The part that is wrong.
        percentile: String,
    },
    /// The limit is not a positive duration.
    #[error(
        "{limit:?} is not a latency limit: expected a duration above 0 with its unit (500us, 1ms, 0.2s)"
    )]
    Limit {
        /// The part that is wrong.
        limit: String,
    },
}

impl Slo {
    /// Parses `p99=1ms`, `p99.9=500us`, `max=20ms`.
    pub fn parse(text: &str) -> Result<Self, SloError> {
        let Some((name, limit)) = text.split_once('=') else {
            return Err(SloError::Syntax);
        };
        let (name, limit) = (name.trim(), limit.trim());
        let percentile = parse_percentile(name).ok_or_else(|| SloError::Percentile {
            percentile: name.to_owned(),
        })?;
        let limit_us = humantime::parse_duration(limit)
            .ok()
            .map(|limit| u64::try_from(limit.as_micros()).unwrap_or(u64::MAX))
            .filter(|&micros| micros > 0)
            .ok_or_else(|| SloError::Limit {
                limit: limit.to_owned(),
            })?;
        Ok(Self {
            percentile,
            limit_us,
        })
    }

    /// The limit as a duration.
    pub fn limit(&self) -> Duration {
        Duration::from_micros(self.limit_us)
    }

    /// The latency at this percentile in `histogram`, µs (0 if empty).
    pub fn value_us(&self, histogram: &Histogram<u64>) -> u64 {
        if histogram.is_empty() {
            0
        } else if self.percentile >= 100.0 {
            histogram.max()
        } else {
            histogram.value_at_quantile(self.percentile / 100.0)
        }
    }

    /// The percentile's short name: `p99`, `p99.9`, `max`.
    pub fn name(&self) -> String {
        if self.percentile >= 100.0 {
            "max".to_owned()
        } else {
            format!("p{}", self.percentile)
        }
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ≤ {}", self.name(), format_us(self.limit_us))
    }
}

/// `p99` → 99, `p99.9` → 99.9, `max` → 100.
fn parse_percentile(name: &str) -> Option<f64> {
    if name.eq_ignore_ascii_case("max") {
        return Some(100.0);
    }
    let number = name.strip_prefix(['p', 'P'])?;
    let value = number.parse::<f64>().ok()?;
    (value > 0.0 && value <= 100.0).then_some(value)
}

/// A latency in µs with a unit a person reads at a glance: `850µs`,
/// `1.25ms`, `2.5s`.
pub fn format_us(micros: u64) -> String {
    match micros {
        0..1_000 => format!("{micros}µs"),
        1_000..1_000_000 => {
            let millis = format!("{:.3}", micros as f64 / 1e3);
            format!("{}ms", millis.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => format!("{:.2}s", micros as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_limits_parse() {
        let slo = Slo::parse("p99=1ms").unwrap();
        assert_eq!((slo.percentile, slo.limit_us), (99.0, 1000));
        let slo = Slo::parse("p99.9 = 500us").unwrap();
        assert_eq!((slo.percentile, slo.limit_us), (99.9, 500));
        let slo = Slo::parse("max=0.2s").unwrap();
        assert_eq!((slo.percentile, slo.limit_us), (100.0, 200_000));
        assert_eq!(slo.to_string(), "max ≤ 200ms");
        assert_eq!(Slo::parse("p99.9=5ms").unwrap().to_string(), "p99.9 ≤ 5ms");
    }

    #[test]
    fn bad_slos_name_the_wrong_part_and_what_was_expected() {
        let err = Slo::parse("p99<1ms").unwrap_err().to_string();
        assert_eq!(
            err,
            "expected PERCENTILE=LIMIT, e.g. p99=1ms, p99.9=5ms, max=20ms"
        );
        let err = Slo::parse("p101=1ms").unwrap_err().to_string();
        assert!(err.starts_with("\"p101\" is not a percentile"), "{err}");
        let err = Slo::parse("99=1ms").unwrap_err().to_string();
        assert!(err.contains("\"99\" is not a percentile"), "{err}");
        let err = Slo::parse("p99=1").unwrap_err().to_string();
        assert!(err.contains("\"1\" is not a latency limit"), "{err}");
        let err = Slo::parse("p99=0ms").unwrap_err().to_string();
        assert!(err.contains("\"0ms\" is not a latency limit"), "{err}");
    }

    #[test]
    fn the_value_is_read_off_the_histogram() {
        let mut histogram = crate::stats::new_histogram();
        for micros in 1..=1000 {
            histogram.record(micros).unwrap();
        }
        assert_eq!(Slo::parse("p99=1ms").unwrap().value_us(&histogram), 990);
        assert_eq!(Slo::parse("max=1ms").unwrap().value_us(&histogram), 1000);
        assert_eq!(format_us(850), "850µs");
        assert_eq!(format_us(1250), "1.25ms");
        assert_eq!(format_us(2_500_000), "2.50s");
    }
}
