//! `satloc-loadgen compare BASELINE.json CURRENT.json`: whether the current
//! run or sweep is worse than the baseline by more than a threshold and by
//! more than the noise both documents show, for a CI gate; and the current
//! document's figures in Bencher Metric Format for a tracker's history.
//!
//! - [`document`]: the JSON read and reduced to metrics with their
//!   evidence (seconds, or a capacity's bracket);
//! - [`noise`]: the band a change must leave to count;
//! - [`judge`]: the verdict per metric;
//! - [`output`]: the table and the BMF JSON.

pub mod document;
pub mod judge;
pub mod noise;
pub mod output;

use std::path::PathBuf;

pub use document::{Document, load};
pub use judge::{Comparison, compare};

/// What stops a comparison.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A file that cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file as given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not the JSON of a run or a sweep.
    #[error(
        "{}: not the --json of a satloc-loadgen run or sweep: {source}",
        path.display()
    )]
    Parse {
        /// The file as given.
        path: PathBuf,
        /// What the parser found.
        source: serde_json::Error,
    },
    /// A run compared with a sweep.
    #[error(
        "{} is a {} and {} is a {}: compare a run with a run, a sweep with a sweep",
        baseline.display(),
        baseline_kind,
        current.display(),
        current_kind
    )]
    Kinds {
        /// The baseline file.
        baseline: PathBuf,
        /// What it is.
        baseline_kind: &'static str,
        /// The current file.
        current: PathBuf,
        /// What it is.
        current_kind: &'static str,
    },
}

/// Reads both files and compares them.
pub fn compare_files(
    baseline: &std::path::Path,
    current: &std::path::Path,
    threshold_pct: f64,
) -> Result<(Document, Comparison), CompareError> {
    let base = load(baseline)?;
    let cur = load(current)?;
    if base.kind != cur.kind {
        return Err(CompareError::Kinds {
            baseline: baseline.to_owned(),
            baseline_kind: base.kind.name(),
            current: current.to_owned(),
            current_kind: cur.kind.name(),
        });
    }
    let comparison = compare(&base, &cur, threshold_pct);
    Ok((cur, comparison))
}
