//! The HdrHistogram interval log of a whole sweep (`sweep --hdr-log`): every
//! measured second of every step, in the order they ran, each line tagged
//! with its step (`Tag=step3-5000qps`, HdrHistogram's per-line tag), so a
//! reader can take one step (`HistogramLogProcessor -tag step3-5000qps`) or
//! all of them. Warm-up seconds are not in it, as in a run's log.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Duration;

use crate::error::LoadgenError;
use crate::hdrlog::{HdrLogWriter, LogHeader};
use crate::stats::Counters;
use crate::sweep::SweepConfig;
use crate::sweep::step::Step;

/// The tag of a step's seconds: its number and rate (no comma or space,
/// which the log format reserves).
pub fn step_tag(step: &Step) -> String {
    format!("step{}-{:.0}qps", step.number, step.offered_qps)
}

/// Writes the log of `steps` to `path`.
pub fn write_sweep_log(
    path: &Path,
    sweep: &SweepConfig,
    steps: &[Step],
) -> Result<(), LoadgenError> {
    let output = |source| LoadgenError::Output {
        path: path.to_owned(),
        source,
    };
    let Some(base) = steps.iter().map(|step| step.measure_start).min() else {
        return Ok(());
    };
    let file = BufWriter::new(File::create(path).map_err(output)?);
    let description = format!(
        "{} {} sweep: {} over {}, {} steps, each second tagged with its step",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        sweep.base.server,
        sweep.base.transport.name().to_ascii_uppercase(),
        steps.len()
    );
    let header = LogHeader {
        description: &description,
        host: Some(&sweep.base.host),
        start_at: None,
    };
    let mut writer = HdrLogWriter::start(file, base, &header).map_err(output)?;
    let mut totals = Counters::default();
    let mut measured = Duration::ZERO;
    for step in steps {
        let tag = step_tag(step);
        let offset = step
            .measure_start
            .duration_since(base)
            .unwrap_or(Duration::ZERO);
        for second in &step.seconds {
            writer
                .write_tagged_interval(
                    &second.histogram,
                    offset + second.start,
                    second.length,
                    Some(&tag),
                )
                .map_err(output)?;
            totals += &second.counters;
            measured += second.length;
        }
    }
    writer.finish(&totals, measured).map_err(output)?;
    Ok(())
}
