//! The coordinating thread's share of a run: gathering the workers'
//! per-second samples into whole seconds and using each second as it
//! completes.
//!
//! The coordinating thread does no measuring. It receives each worker's
//! interval samples over a channel, adds up the samples of the same second
//! from every worker once all of them have reported it ([`IntervalMerger`]),
//! and then uses that second ([`Collector`]): on the progress line, and, once
//! warm-up is over, as one line of the HdrHistogram log and in the running
//! totals. The totals are therefore exactly the sum of the logged intervals,
//! which is what makes `merge` exact.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::error::LoadgenError;
use crate::hdrlog::{HdrLogWriter, LogHeader};
use crate::progress::Progress;
use crate::stats::{Counters, MeasuredSecond, SecondFigures, new_histogram};
use crate::worker::{Interval, IntervalSample};

/// The `--hdr-log` file being written; every error names it.
pub(crate) struct LogFile {
    /// The file as given on the command line.
    path: PathBuf,
    /// The log written into it.
    writer: HdrLogWriter<BufWriter<File>>,
}

impl std::fmt::Debug for LogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LogFile {
    /// Creates the file. Done before the run's clock starts, so that the
    /// header's base time and the clock's zero are read back to back.
    pub(crate) fn create(path: &Path) -> Result<(PathBuf, BufWriter<File>), LoadgenError> {
        let file = File::create(path).map_err(|source| LoadgenError::Output {
            path: path.to_owned(),
            source,
        })?;
        Ok((path.to_owned(), BufWriter::new(file)))
    }

    /// Writes the header of a log whose timestamps count from `base_time`.
    pub(crate) fn start(
        (path, file): (PathBuf, BufWriter<File>),
        base_time: SystemTime,
        header: &LogHeader<'_>,
    ) -> Result<Self, LoadgenError> {
        match HdrLogWriter::start(file, base_time, header) {
            Ok(writer) => Ok(Self { path, writer }),
            Err(source) => Err(LoadgenError::Output { path, source }),
        }
    }

    /// Appends one interval: `start` after the base time, lasting `length`.
    fn write_interval(
        &mut self,
        histogram: &Histogram<u64>,
        start: Duration,
        length: Duration,
    ) -> Result<(), LoadgenError> {
        self.writer
            .write_interval(histogram, start, length)
            .map_err(|source| LoadgenError::Output {
                path: self.path.clone(),
                source,
            })
    }

    /// Ends the log with the run's totals and measured duration.
    pub(crate) fn finish(self, totals: &Counters, elapsed: Duration) -> Result<(), LoadgenError> {
        match self.writer.finish(totals, elapsed) {
            Ok(_) => Ok(()),
            Err(source) => Err(LoadgenError::Output {
                path: self.path,
                source,
            }),
        }
    }
}

/// What the coordinator gathered once every worker has sent its last
/// sample.
#[derive(Debug)]
pub(crate) struct Collected {
    /// All measured outcomes.
    pub(crate) totals: Counters,
    /// Latencies of all measured answers, in µs.
    pub(crate) histogram: Histogram<u64>,
    /// The interval log, still to be finished with the totals.
    pub(crate) log: Option<LogFile>,
    /// The first failed write to the log, if any: the run goes on without
    /// stopping, and the error is reported at the end.
    pub(crate) output_error: Option<LoadgenError>,
    /// Every measured second, if asked to keep them.
    pub(crate) seconds: Vec<MeasuredSecond>,
    /// Every measured second's figures.
    pub(crate) figures: Vec<SecondFigures>,
}

/// Uses each complete second as it arrives: progress, log, totals.
#[derive(Debug)]
pub(crate) struct Collector {
    /// The live line.
    progress: Progress,
    /// The interval log, if one was asked for.
    log: Option<LogFile>,
    /// When warm-up ends (ns since the run's start): log timestamps count
    /// from here.
    measure_start_ns: u64,
    /// Running totals of the measured seconds.
    totals: Counters,
    /// Running histogram of the measured seconds.
    histogram: Histogram<u64>,
    /// The first failed write to the log.
    output_error: Option<LoadgenError>,
    /// Whether to keep every measured second.
    keep_seconds: bool,
    /// The measured seconds kept.
    seconds: Vec<MeasuredSecond>,
    /// Every measured second's figures.
    figures: Vec<SecondFigures>,
}

impl Collector {
    /// A collector showing progress on `progress` and logging to `log`.
    pub(crate) fn new(progress: Progress, log: Option<LogFile>, measure_start_ns: u64) -> Self {
        Self {
            progress,
            log,
            measure_start_ns,
            totals: Counters::default(),
            histogram: new_histogram(),
            output_error: None,
            keep_seconds: false,
            seconds: Vec::new(),
            figures: Vec::new(),
        }
    }

    /// Keeps every measured second for the result when `keep` is set.
    pub(crate) fn keeping_seconds(mut self, keep: bool) -> Self {
        self.keep_seconds = keep;
        self
    }

    /// Receives the samples of `workers` workers until every one has hung
    /// up, using each second once all still running have reported it.
    pub(crate) fn collect(
        mut self,
        samples: &Receiver<IntervalSample>,
        workers: usize,
    ) -> Collected {
        let mut merger = IntervalMerger::new(workers);
        while let Ok(sample) = samples.recv() {
            for second in merger.add(sample) {
                self.second(&second);
            }
        }
        for second in merger.finish() {
            self.second(&second);
        }
        self.progress.finish();
        Collected {
            totals: self.totals,
            histogram: self.histogram,
            log: self.log,
            output_error: self.output_error,
            seconds: self.seconds,
            figures: self.figures,
        }
    }

    /// Uses one complete second.
    fn second(&mut self, second: &Interval) {
        if second.index >= 0 {
            self.measured(second);
        }
        self.show(second);
    }

    /// Adds a measured second to the totals and logs it.
    fn measured(&mut self, second: &Interval) {
        self.totals += &second.counters;
        let _ = self.histogram.add(&second.histogram);
        let start = Duration::from_nanos(second.start_ns.saturating_sub(self.measure_start_ns));
        self.figures.push(SecondFigures::new(
            start,
            length(second),
            second.counters.completed,
            &second.histogram,
        ));
        if self.keep_seconds {
            self.seconds.push(MeasuredSecond {
                start,
                length: length(second),
                histogram: second.histogram.clone(),
                counters: second.counters.clone(),
            });
        }
        if let Some(log) = &mut self.log
            && let Err(err) = log.write_interval(&second.histogram, start, length(second))
        {
            self.output_error.get_or_insert(err);
        }
    }

    /// Puts a second on the progress line.
    fn show(&self, second: &Interval) {
        let length_ns = second.end_ns.saturating_sub(second.start_ns);
        let qps = if length_ns > 0 {
            second.counters.completed as f64 * 1e9 / length_ns as f64
        } else {
            0.0
        };
        let totals = &self.totals;
        self.progress.second(
            second.index < 0,
            second.end_ns as f64 / 1e9,
            qps,
            second.histogram.value_at_quantile(0.99),
            totals.lost,
            totals.completed + totals.lost + totals.errors(),
        );
    }
}

/// How long a second really lasted (a worker's last one ends early).
fn length(second: &Interval) -> Duration {
    Duration::from_nanos(second.end_ns.saturating_sub(second.start_ns))
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
