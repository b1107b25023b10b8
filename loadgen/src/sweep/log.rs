//! The HdrHistogram interval log of a whole sweep (`sweep --hdr-log`): every
//! measured second of every step, in the order they ran, each line tagged
//! with its step (`Tag=step3-5000qps`, HdrHistogram's per-line tag), so a
//! reader can take one step (`HistogramLogProcessor -tag step3-5000qps`) or
//! all of them. Warm-up seconds are not in it, as in a run's log. Each
//! step's seconds are written as the step ends, so the sweep never holds
//! more than one step's histograms.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::LoadgenError;
use crate::hdrlog::{HdrLogWriter, LogHeader};
use crate::stats::{Counters, MeasuredSecond};
use crate::sweep::config::SweepConfig;
use crate::sweep::step::Step;

/// The tag of a step's seconds: its number and rate (no comma or space,
/// which the log format reserves).
pub fn step_tag(step: &Step) -> String {
    format!("step{}-{:.0}qps", step.number, step.offered_qps)
}

/// The log being written.
pub struct SweepLog {
    /// The file, for messages.
    path: PathBuf,
    /// The log.
    writer: HdrLogWriter<BufWriter<File>>,
    /// The time the log's timestamps count from.
    base: SystemTime,
    /// Every logged second's counters, for the totals line.
    totals: Counters,
    /// Every logged second's length, for the totals line.
    measured: Duration,
}

impl std::fmt::Debug for SweepLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SweepLog {
    /// Creates the log at `path`, its timestamps counting from `base` (the
    /// sweep's start).
    pub fn create(
        path: &Path,
        sweep: &SweepConfig,
        base: SystemTime,
    ) -> Result<Self, LoadgenError> {
        let file = File::create(path).map_err(|source| output(path, source))?;
        let description = format!(
            "{} {} sweep: {} over {}, each second tagged with its step",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            sweep.base.server,
            sweep.base.transport.name().to_ascii_uppercase(),
        );
        let header = LogHeader {
            description: &description,
            host: Some(&sweep.base.host),
            start_at: None,
        };
        let writer = HdrLogWriter::start(BufWriter::new(file), base, &header)
            .map_err(|source| output(path, source))?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            base,
            totals: Counters::default(),
            measured: Duration::ZERO,
        })
    }

    /// Appends the seconds of `step`.
    pub fn add_step(
        &mut self,
        step: &Step,
        seconds: &[MeasuredSecond],
    ) -> Result<(), LoadgenError> {
        let tag = step_tag(step);
        let offset = step
            .measure_start
            .duration_since(self.base)
            .unwrap_or(Duration::ZERO);
        for second in seconds {
            self.writer
                .write_tagged_interval(
                    &second.histogram,
                    offset + second.start,
                    second.length,
                    Some(&tag),
                )
                .map_err(|source| output(&self.path, source))?;
            self.totals += &second.counters;
            self.measured += second.length;
        }
        Ok(())
    }

    /// Ends the log with the totals of every step.
    pub fn finish(self) -> Result<(), LoadgenError> {
        self.writer
            .finish(&self.totals, self.measured)
            .map(|_| ())
            .map_err(|source| output(&self.path, source))
    }
}

/// The error for a failed write to `path`.
fn output(path: &Path, source: std::io::Error) -> LoadgenError {
    LoadgenError::Output {
        path: path.to_owned(),
        source,
    }
}
