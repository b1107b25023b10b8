//! What stops a comparison: a file that cannot be read or is not a run's
//! or a sweep's JSON, or runs mixed with sweeps.

use std::path::PathBuf;

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
        "{} is a {} and {} is a {}: compare runs with runs, sweeps with sweeps",
        first.display(),
        first_kind,
        other.display(),
        other_kind
    )]
    Kinds {
        /// The first file.
        first: PathBuf,
        /// What it is.
        first_kind: &'static str,
        /// A file of another kind.
        other: PathBuf,
        /// What that is.
        other_kind: &'static str,
    },
}
