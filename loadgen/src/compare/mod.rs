//! `satloc-loadgen compare BASELINE.json CURRENT.json`: whether the current
//! run or sweep is worse than the baseline by more than a threshold and by
//! more than the noise both documents show, for a CI gate; and the current
//! document's figures in Bencher Metric Format for a tracker's history.
//!
//! - [`document`]: the JSON read and reduced to metrics with their
//!   evidence (seconds, rounds, or a capacity's bracket); [`error`]: what
//!   stops a comparison;
//! - [`noise`]: the band a change must leave to count;
//! - [`judge`]: the verdict per metric;
//! - [`output`]: the table and the BMF JSON.

pub mod document;
pub mod error;
pub mod judge;
pub mod noise;
pub mod output;

use std::path::PathBuf;

pub use document::{Document, combine, load};
pub use error::CompareError;
pub use judge::{Comparison, compare};

/// Reads the baseline's rounds and the current rounds, checks they are all
/// of one kind, and compares their combinations.
pub fn compare_files(
    baseline: &[PathBuf],
    current: &[PathBuf],
    threshold_pct: f64,
) -> Result<(Document, Comparison), CompareError> {
    let read = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|path| load(path))
            .collect::<Result<Vec<_>, _>>()
    };
    let (base, cur) = (read(baseline)?, read(current)?);
    let paths = baseline.iter().chain(current);
    let documents = base.iter().chain(&cur);
    let mut all = paths.zip(documents);
    if let Some((first, first_document)) = all.next()
        && let Some((other, other_document)) =
            all.find(|(_, document)| document.kind != first_document.kind)
    {
        return Err(CompareError::Kinds {
            first: first.clone(),
            first_kind: first_document.kind.name(),
            other: other.clone(),
            other_kind: other_document.kind.name(),
        });
    }
    let (base, cur) = (combine(base), combine(cur));
    let comparison = compare(&base, &cur, threshold_pct);
    Ok((cur, comparison))
}
