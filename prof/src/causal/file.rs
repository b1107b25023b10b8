//! Reader for coz's legacy `profile.coz`, the tab-separated format Debian's coz 0.2.2 writes.
//!
//! One record per line: a type, then `key=value` fields separated by tabs. coz opens the file
//! for appending, so one file holds every run (`startup` begins each), and a run killed hard
//! can end in a half-written line. The records this reader knows:
//!
//! ```text
//! startup          time=NS
//! experiment       selected=FILE:LINE  speedup=0.00..1.00  duration=NS  selected-samples=N
//! throughput-point name=NAME  delta=N             (older coz: progress-point, with type=source)
//! latency-point    name=NAME  arrivals=N  departures=N  difference=N
//! runtime          time=NS                        (precedes each dump of sample counts)
//! samples          location=FILE:LINE  count=N    (cumulative since startup)
//! shutdown                                        (older coz)
//! ```
//!
//! Point records belong to the `experiment` line before them. Unknown keys are ignored (older
//! coz adds `type=source`); unknown record types, missing or malformed fields are errors that
//! name the line, because a report built on a misread profile would be worse than none. The
//! one exception is a damaged *last* line without a newline: that is what a killed run leaves,
//! so it is skipped and reported in [`CozProfile::truncated_last_line`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::point::PointKind;

/// A parsed `profile.coz`: every run appended to the file, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CozProfile {
    /// One entry per `startup` line (records before the first `startup` form a run too).
    pub runs: Vec<Run>,
    /// The 1-based number of a damaged final line that was skipped, if there was one.
    pub truncated_last_line: Option<usize>,
}

/// One execution of the profiled program under `coz run`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Run {
    /// The line the run's `startup` record is on (0 if the run had none).
    pub startup_line: usize,
    /// The latest `runtime` record: nanoseconds since startup when samples were last dumped.
    pub runtime_ns: Option<u64>,
    /// The experiments, in file order.
    pub experiments: Vec<Experiment>,
    /// Samples per source line from the run's last dump (coz's counts are cumulative, so
    /// the last dump is the run's total).
    pub samples: BTreeMap<String, u64>,
}

/// One performance experiment: a line virtually sped up by some amount for a while.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    /// Where the `experiment` record is in the file (1-based).
    pub line_number: usize,
    /// The selected source line, `FILE:LINE` as coz found it in the debug info.
    pub selected: String,
    /// The virtual speedup of the selected line, in percent (coz writes 0.00 to 1.00 in steps
    /// of 0.05).
    pub speedup_percent: u32,
    /// Length of the experiment with the inserted delays subtracted (virtual time), ns.
    pub duration_ns: u64,
    /// How many samples fell in the selected line during the experiment.
    pub selected_samples: u64,
    /// What every progress point did during the experiment.
    pub points: Vec<PointReading>,
}

/// One progress point's counts over one experiment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PointReading {
    /// A `throughput-point`: visits during the experiment.
    Throughput {
        /// The progress point's name.
        name: String,
        /// Visits during the experiment.
        delta: u64,
    },
    /// A `latency-point`: a begin/end pair.
    Latency {
        /// The pair's name.
        name: String,
        /// Begin visits during the experiment.
        arrivals: u64,
        /// End visits during the experiment.
        departures: u64,
        /// Begins minus ends since startup, read at the end of the experiment: the number in
        /// flight. coz computes it as an unsigned subtraction, so a momentary excess of ends
        /// wraps; it is read back as a signed number.
        difference: i64,
    },
}

impl PointReading {
    /// The progress point's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Throughput { name, .. } | Self::Latency { name, .. } => name,
        }
    }

    /// What the progress point measures.
    #[must_use]
    pub fn kind(&self) -> PointKind {
        match self {
            Self::Throughput { .. } => PointKind::Throughput,
            Self::Latency { .. } => PointKind::Latency,
        }
    }

    /// Throughput: visits (`delta`); latency: arrivals.
    #[must_use]
    pub fn visits(&self) -> u64 {
        match self {
            Self::Throughput { delta, .. } => *delta,
            Self::Latency { arrivals, .. } => *arrivals,
        }
    }
}

/// A line of `profile.coz` that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub problem: Problem,
}

/// What was wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The first field is not a record type coz writes.
    #[error(
        "unknown record type `{0}` (expected startup, experiment, throughput-point, \
         latency-point, samples or runtime)"
    )]
    UnknownRecord(String),
    /// Newer coz writes JSON lines by default.
    #[error(
        "this is the JSON profile of a newer coz; satloc-prof reads the tab-separated format \
         of coz 0.2.2 (newer coz writes it when run with COZ_OUTPUT_FORMAT=legacy)"
    )]
    JsonFormat,
    /// A required `key=` is absent.
    #[error("{record}: missing `{key}=`")]
    MissingField {
        /// The record type.
        record: &'static str,
        /// The key.
        key: &'static str,
    },
    /// A value is not the number expected.
    #[error("{record}: `{key}={value}` is not {expected}")]
    BadValue {
        /// The record type.
        record: &'static str,
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What it should have been.
        expected: &'static str,
    },
    /// A point record before any `experiment` record of its run.
    #[error("{0} outside an experiment (no `experiment` line before it in this run)")]
    PointOutsideExperiment(&'static str),
}

impl CozProfile {
    /// Parses the whole text of a `profile.coz`.
    ///
    /// # Errors
    /// The first line that is not a well-formed record, except a damaged last line without a
    /// trailing newline, which is skipped (see the module docs).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut profile = Self::default();
        let mut current: Option<Run> = None;
        let ends_with_newline = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        for (index, raw) in lines.iter().enumerate() {
            let line_number = index + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let record = match Record::parse(line) {
                Ok(record) => record,
                Err(_) if line_number == lines.len() && !ends_with_newline => {
                    profile.truncated_last_line = Some(line_number);
                    break;
                }
                Err(problem) => {
                    return Err(ParseError {
                        line: line_number,
                        problem,
                    });
                }
            };
            let run = match (&record, current.as_mut()) {
                (Record::Startup, _) => {
                    profile.runs.extend(current.take());
                    current.insert(Run {
                        startup_line: line_number,
                        ..Run::default()
                    })
                }
                (_, Some(run)) => run,
                (_, None) => current.insert(Run::default()),
            };
            run.add(record, line_number)?;
        }
        profile.runs.extend(current);
        Ok(profile)
    }

    /// All experiments of all runs, in file order.
    pub fn experiments(&self) -> impl Iterator<Item = &Experiment> {
        self.runs.iter().flat_map(|run| &run.experiments)
    }

    /// Samples per source line, summed over runs (each run's last dump).
    #[must_use]
    pub fn samples(&self) -> BTreeMap<&str, u64> {
        let mut total = BTreeMap::new();
        for run in &self.runs {
            for (location, count) in &run.samples {
                *total.entry(location.as_str()).or_insert(0) += count;
            }
        }
        total
    }
}

impl Run {
    fn add(&mut self, record: Record, line_number: usize) -> Result<(), ParseError> {
        match record {
            Record::Startup | Record::Shutdown => {}
            Record::Runtime { time_ns } => {
                // A dump of cumulative counts follows: start a fresh snapshot.
                self.runtime_ns = Some(time_ns);
                self.samples.clear();
            }
            Record::Samples { location, count } => {
                self.samples.insert(location, count);
            }
            Record::Experiment {
                selected,
                speedup_percent,
                duration_ns,
                selected_samples,
            } => self.experiments.push(Experiment {
                line_number,
                selected,
                speedup_percent,
                duration_ns,
                selected_samples,
                points: Vec::new(),
            }),
            Record::Point(reading) => {
                let record = match reading {
                    PointReading::Throughput { .. } => "throughput-point",
                    PointReading::Latency { .. } => "latency-point",
                };
                let experiment = self.experiments.last_mut().ok_or(ParseError {
                    line: line_number,
                    problem: Problem::PointOutsideExperiment(record),
                })?;
                experiment.points.push(reading);
            }
        }
        Ok(())
    }
}

/// One line of the file, read but not yet attached to a run.
enum Record {
    Startup,
    Shutdown,
    Runtime {
        time_ns: u64,
    },
    Samples {
        location: String,
        count: u64,
    },
    Experiment {
        selected: String,
        speedup_percent: u32,
        duration_ns: u64,
        selected_samples: u64,
    },
    Point(PointReading),
}

impl Record {
    fn parse(line: &str) -> Result<Self, Problem> {
        if line.starts_with('{') {
            return Err(Problem::JsonFormat);
        }
        let mut parts = line.split('\t');
        let kind = parts.next().unwrap_or_default();
        let fields = Fields::new(parts);
        Ok(match kind {
            "startup" => Self::Startup,
            "shutdown" => Self::Shutdown,
            "runtime" => Self::Runtime {
                time_ns: fields.number("runtime", "time")?,
            },
            "samples" => Self::Samples {
                location: fields.text("samples", "location")?.to_owned(),
                count: fields.number("samples", "count")?,
            },
            "experiment" => Self::Experiment {
                selected: fields.text("experiment", "selected")?.to_owned(),
                speedup_percent: fields.speedup_percent()?,
                duration_ns: fields.number("experiment", "duration")?,
                selected_samples: fields.number("experiment", "selected-samples")?,
            },
            "throughput-point" | "progress-point" => {
                let record = if kind == "throughput-point" {
                    "throughput-point"
                } else {
                    "progress-point"
                };
                Self::Point(PointReading::Throughput {
                    name: fields.text(record, "name")?.to_owned(),
                    delta: fields.number(record, "delta")?,
                })
            }
            "latency-point" => {
                let difference: u64 = fields.number("latency-point", "difference")?;
                Self::Point(PointReading::Latency {
                    name: fields.text("latency-point", "name")?.to_owned(),
                    arrivals: fields.number("latency-point", "arrivals")?,
                    departures: fields.number("latency-point", "departures")?,
                    // coz's size_t subtraction wraps when ends briefly outnumber begins:
                    // reinterpret the bits as two's complement.
                    difference: i64::from_ne_bytes(difference.to_ne_bytes()),
                })
            }
            other => return Err(Problem::UnknownRecord(other.to_owned())),
        })
    }
}

/// The `key=value` fields of one line.
struct Fields<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Fields<'a> {
    fn new(parts: impl Iterator<Item = &'a str>) -> Self {
        Self {
            pairs: parts.filter_map(|part| part.split_once('=')).collect(),
        }
    }

    fn text(&self, record: &'static str, key: &'static str) -> Result<&'a str, Problem> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
            .ok_or(Problem::MissingField { record, key })
    }

    fn number<T: std::str::FromStr>(
        &self,
        record: &'static str,
        key: &'static str,
    ) -> Result<T, Problem> {
        let value = self.text(record, key)?;
        value.parse().map_err(|_| Problem::BadValue {
            record,
            key,
            value: value.to_owned(),
            expected: "a non-negative integer",
        })
    }

    /// `speedup=` as a whole percentage: coz writes the fraction with two decimals.
    fn speedup_percent(&self) -> Result<u32, Problem> {
        let value = self.text("experiment", "speedup")?;
        let bad = || Problem::BadValue {
            record: "experiment",
            key: "speedup",
            value: value.to_owned(),
            expected: "a fraction from 0 to 1",
        };
        let fraction: f64 = value.parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(bad());
        }
        // In range 0..=100 after the check above, so the cast is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let percent = (fraction * 100.0).round() as u32;
        Ok(percent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_record_type_of_coz_0_2_2() {
        let text = "startup\ttime=1000\n\
                    experiment\tselected=/src/a.rs:10\tspeedup=0.25\tduration=500000000\tselected-samples=42\n\
                    throughput-point\tname=response\tdelta=100\n\
                    latency-point\tname=query\tarrivals=101\tdepartures=100\tdifference=3\n\
                    runtime\ttime=900000000\n\
                    samples\tlocation=/src/a.rs:10\tcount=7\n";
        let profile = CozProfile::parse(text).unwrap();
        assert_eq!(profile.runs.len(), 1);
        let run = &profile.runs[0];
        assert_eq!(run.startup_line, 1);
        assert_eq!(run.runtime_ns, Some(900_000_000));
        assert_eq!(run.samples.get("/src/a.rs:10"), Some(&7));
        assert_eq!(
            run.experiments,
            vec![Experiment {
                line_number: 2,
                selected: "/src/a.rs:10".into(),
                speedup_percent: 25,
                duration_ns: 500_000_000,
                selected_samples: 42,
                points: vec![
                    PointReading::Throughput {
                        name: "response".into(),
                        delta: 100
                    },
                    PointReading::Latency {
                        name: "query".into(),
                        arrivals: 101,
                        departures: 100,
                        difference: 3
                    },
                ],
            }]
        );
        assert_eq!(profile.truncated_last_line, None);
    }

    #[test]
    fn older_progress_point_records_and_extra_keys_are_accepted() {
        let text = "startup\ttime=1\n\
                    experiment\tselected=f.c:1\tspeedup=0.05\tduration=10\tselected-samples=0\n\
                    progress-point\tname=f.c:9\ttype=source\tdelta=9\n\
                    shutdown\n";
        let profile = CozProfile::parse(text).unwrap();
        let experiment = profile.experiments().next().unwrap();
        assert_eq!(
            experiment.points,
            vec![PointReading::Throughput {
                name: "f.c:9".into(),
                delta: 9
            }]
        );
    }

    #[test]
    fn runs_appended_to_one_file_stay_apart() {
        let text = "startup\ttime=1\n\
                    experiment\tselected=a.rs:1\tspeedup=0.00\tduration=10\tselected-samples=0\n\
                    runtime\ttime=5\n\
                    samples\tlocation=a.rs:1\tcount=3\n\
                    runtime\ttime=9\n\
                    samples\tlocation=a.rs:1\tcount=5\n\
                    samples\tlocation=b.rs:2\tcount=1\n\
                    startup\ttime=2\n\
                    experiment\tselected=b.rs:2\tspeedup=1.00\tduration=20\tselected-samples=0\n\
                    runtime\ttime=7\n\
                    samples\tlocation=a.rs:1\tcount=2\n";
        let profile = CozProfile::parse(text).unwrap();
        assert_eq!(profile.runs.len(), 2);
        assert_eq!(profile.runs[0].experiments.len(), 1);
        assert_eq!(profile.runs[1].startup_line, 8);
        assert_eq!(profile.runs[1].experiments[0].speedup_percent, 100);
        // Last dump of run 1 (5 and 1) plus run 2's (2): cumulative dumps are not summed.
        let samples = profile.samples();
        assert_eq!(samples.get("a.rs:1"), Some(&7));
        assert_eq!(samples.get("b.rs:2"), Some(&1));
    }

    #[test]
    fn malformed_lines_are_reported_with_their_line_number() {
        let cases = [
            (
                "startup\ttime=1\nexperiment\tselected=a.rs:1\tduration=1\tselected-samples=0\n",
                "line 2: experiment: missing `speedup=`",
            ),
            (
                "startup\ttime=1\nexperiment\tselected=a.rs:1\tspeedup=1.5\tduration=1\tselected-samples=0\n",
                "line 2: experiment: `speedup=1.5` is not a fraction from 0 to 1",
            ),
            (
                "startup\ttime=1\n\nexperiment\tselected=a.rs:1\tspeedup=0.1\tduration=-4\tselected-samples=0\n",
                "line 3: experiment: `duration=-4` is not a non-negative integer",
            ),
            (
                "startup\ttime=1\nthroughput-point\tname=x\tdelta=4\n",
                "line 2: throughput-point outside an experiment (no `experiment` line before it in this run)",
            ),
            (
                "hello world\n",
                "line 1: unknown record type `hello world` (expected startup, experiment, throughput-point, latency-point, samples or runtime)",
            ),
            (
                "{\"type\":\"startup\",\"time\":1}\n",
                "line 1: this is the JSON profile",
            ),
        ];
        for (text, expected) in cases {
            let err = CozProfile::parse(text).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn a_half_written_last_line_is_skipped_and_reported() {
        let text = "startup\ttime=1\n\
                    experiment\tselected=a.rs:1\tspeedup=0.00\tduration=10\tselected-samples=0\n\
                    throughput-point\tname=x\tdelta=7\n\
                    experiment\tselected=a.rs:1\tspee";
        let profile = CozProfile::parse(text).unwrap();
        assert_eq!(profile.truncated_last_line, Some(4));
        assert_eq!(profile.experiments().count(), 1);
        // The same damage followed by a newline is in the middle of the data: an error.
        assert!(CozProfile::parse(&format!("{text}\n")).is_err());
    }

    #[test]
    fn a_wrapped_in_flight_count_reads_back_negative() {
        let text = "experiment\tselected=a.rs:1\tspeedup=0.00\tduration=10\tselected-samples=0\n\
                    latency-point\tname=q\tarrivals=5\tdepartures=6\tdifference=18446744073709551615\n";
        let profile = CozProfile::parse(text).unwrap();
        let experiment = profile.experiments().next().unwrap();
        assert!(matches!(
            experiment.points[0],
            PointReading::Latency { difference: -1, .. }
        ));
    }

    #[test]
    fn an_empty_profile_has_runs_but_no_experiments() {
        let profile = CozProfile::parse("startup\ttime=1\nruntime\ttime=2\n").unwrap();
        assert_eq!(profile.runs.len(), 1);
        assert_eq!(profile.experiments().count(), 0);
        assert_eq!(CozProfile::parse("").unwrap().runs.len(), 0);
    }
}
