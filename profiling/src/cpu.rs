//! CPU profiling with pprof-rs: sample the whole process while it runs, write the profile when
//! it stops.
//!
//! The output format follows the file name, so one flag (`--cpu-profile PATH`) covers both:
//! `.svg` is a flamegraph to open in a browser, `.pb` a gzip-compressed pprof protobuf for
//! `pprof -top`/`go tool pprof` (gzip is how the pprof tools write it themselves; they read
//! it compressed or not). [`CpuProfile::start_many`] writes several files, in any mix of
//! formats, from one sampling run.
//!
//! Every output file is opened when profiling starts, so a typo in a path fails at start-up
//! instead of after a long run. A start that fails leaves the files as it found them (it
//! removes any it had just created); a start that succeeds empties them all, so a run that
//! never finishes cannot leave an old profile looking like a new one.
//!
//! Without the `pprof` feature [`CpuProfile::start`] returns [`Error::FeatureDisabled`].
//!
//! pprof-rs samples with `setitimer(ITIMER_PROF)`, so it cannot run inside `coz run`, which
//! also uses `SIGPROF`: profile with one or the other.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Sampling frequency used by [`CpuProfile::start`].
///
/// Just under the kernel's tick rate (`HZ`, 250 on Debian's kernels): pprof-rs's timer cannot
/// fire more often than the tick, but it still weights each sample as `1 / frequency`
/// seconds, so asking for more makes every time come out too small (measured, with its
/// command, in `docs/profiling.md`, *Sampling rate*). Raise it with
/// [`CpuProfile::start_with_frequency`] on a 1000 Hz kernel.
pub const DEFAULT_FREQUENCY_HZ: u32 = 249;

/// Shared objects whose frames are not unwound: unwinding through them from a signal handler
/// can deadlock or crash (pprof-rs's own advice).
#[cfg(feature = "pprof")]
const UNWIND_BLOCKLIST: [&str; 4] = ["libc", "libgcc", "pthread", "vdso"];

/// What went wrong starting or finishing a CPU profile.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The binary was compiled without pprof-rs.
    #[error(
        "CPU profiling is not available: this binary was built without the `pprof` feature \
         (rebuild with `--features pprof`)"
    )]
    FeatureDisabled,
    /// The file name says neither `.svg` nor `.pb`.
    #[error(
        "{}: unknown CPU profile format; the file name must end in `.svg` (flamegraph) \
         or `.pb` (pprof protobuf)",
        path.display()
    )]
    UnknownFormat {
        /// The path as given.
        path: PathBuf,
    },
    /// The sampling frequency is 0 or too large for the sampler.
    #[error("CPU profile sampling frequency {frequency_hz} Hz: expected 1 to 10000 Hz")]
    BadFrequency {
        /// The frequency asked for.
        frequency_hz: u32,
    },
    /// No output file was given to [`CpuProfile::start_many`].
    #[error("no CPU profile output file given (expected at least one `.svg` or `.pb` path)")]
    NoOutputs,
    /// The same output path was given twice.
    #[error("{}: CPU profile output given twice", path.display())]
    DuplicateOutput {
        /// The path as given.
        path: PathBuf,
    },
    /// The output file could not be created or written.
    #[error("writing the CPU profile {}", path.display())]
    Io {
        /// The output file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// pprof-rs refused (for example a second profile while one is running).
    #[error("CPU profiler: {action}")]
    Sampler {
        /// What was being done.
        action: &'static str,
        /// pprof-rs's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[cfg(feature = "pprof")]
impl Error {
    /// For `map_err`: pprof-rs (or its encoder) failed while doing `action`.
    fn sampler<E>(action: &'static str) -> impl FnOnce(E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        move |err| Self::Sampler {
            action,
            source: Box::new(err),
        }
    }
}

/// The file format a profile is written in, chosen by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.svg`: an interactive flamegraph (inferno).
    FlamegraphSvg,
    /// `.pb`: a gzip-compressed pprof protobuf (`profile.proto`).
    PprofProtobuf,
}

impl Format {
    /// The format for `path`, by its extension (case-insensitive).
    ///
    /// # Errors
    /// [`Error::UnknownFormat`] for anything but `.svg` and `.pb`.
    pub fn from_path(path: &Path) -> Result<Self, Error> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("svg") => Ok(Self::FlamegraphSvg),
            Some("pb") => Ok(Self::PprofProtobuf),
            _ => Err(Error::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FlamegraphSvg => "flamegraph SVG",
            Self::PprofProtobuf => "pprof protobuf",
        })
    }
}

/// A running CPU profile of the whole process; [`CpuProfile::finish`] writes it.
///
/// Dropping it without calling `finish` stops sampling and writes nothing (the output files,
/// emptied at start, stay empty).
pub struct CpuProfile {
    /// The sampler; dropping it stops the timer and unregisters the signal handler.
    #[cfg(feature = "pprof")]
    guard: pprof::ProfilerGuard<'static>,
    /// Where the profile goes, in the order given; opened at start so a bad path fails early.
    outputs: Vec<Output>,
}

/// One file the profile is written to.
#[derive(Debug)]
struct Output {
    /// Open for writing, emptied at start.
    file: File,
    /// The path as given, for messages.
    path: PathBuf,
    /// What to write, from the path's extension.
    format: Format,
}

impl fmt::Debug for CpuProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outputs: Vec<(&Path, Format)> = self.outputs().collect();
        f.debug_struct("CpuProfile")
            .field("outputs", &outputs)
            .finish_non_exhaustive()
    }
}

impl CpuProfile {
    /// Starts sampling at [`DEFAULT_FREQUENCY_HZ`]; the profile goes to `path` when
    /// [`finish`](Self::finish) is called.
    ///
    /// # Errors
    /// [`Error::FeatureDisabled`] without the `pprof` feature; otherwise a bad extension,
    /// an output file that cannot be created, or pprof-rs refusing to start.
    pub fn start(path: &Path) -> Result<Self, Error> {
        Self::start_many_with_frequency(&[path], DEFAULT_FREQUENCY_HZ)
    }

    /// Like [`start`](Self::start), sampling `frequency_hz` times per second of CPU time.
    ///
    /// # Errors
    /// As [`start`](Self::start), and [`Error::BadFrequency`] outside 1..=10000 Hz.
    pub fn start_with_frequency(path: &Path, frequency_hz: u32) -> Result<Self, Error> {
        Self::start_many_with_frequency(&[path], frequency_hz)
    }

    /// Starts one sampling run at [`DEFAULT_FREQUENCY_HZ`] whose profile
    /// [`finish`](Self::finish) writes to every path, each in the format of its extension
    /// (for example `flamegraph.svg` and `profile.pb` from the same samples).
    ///
    /// ```no_run
    /// use std::path::PathBuf;
    /// use satloc_profiling::cpu::CpuProfile;
    ///
    /// let outputs = [PathBuf::from("flamegraph.svg"), PathBuf::from("profile.pb")];
    /// let profile = CpuProfile::start_many(&outputs)?;
    /// // ... the work to profile ...
    /// profile.finish()?;
    /// # Ok::<(), satloc_profiling::cpu::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::FeatureDisabled`] without the `pprof` feature; [`Error::NoOutputs`] for an
    /// empty list; [`Error::UnknownFormat`] or [`Error::DuplicateOutput`] for the first bad
    /// path (checked before any file is touched); [`Error::Io`] for the first file that
    /// cannot be opened (files this call created are removed again); or pprof-rs refusing
    /// to start.
    pub fn start_many<P: AsRef<Path>>(paths: &[P]) -> Result<Self, Error> {
        Self::start_many_with_frequency(paths, DEFAULT_FREQUENCY_HZ)
    }

    /// Like [`start_many`](Self::start_many), sampling `frequency_hz` times per second of
    /// CPU time.
    ///
    /// # Errors
    /// As [`start_many`](Self::start_many), and [`Error::BadFrequency`] outside
    /// 1..=10000 Hz.
    pub fn start_many_with_frequency<P: AsRef<Path>>(
        paths: &[P],
        frequency_hz: u32,
    ) -> Result<Self, Error> {
        if !cfg!(feature = "pprof") {
            return Err(Error::FeatureDisabled);
        }
        let planned = plan_outputs(paths)?;
        if !(1..=10_000).contains(&frequency_hz) {
            return Err(Error::BadFrequency { frequency_hz });
        }
        let outputs = open_outputs(planned)?;
        Self::start_sampler(outputs, frequency_hz)
    }

    /// The format [`finish`](Self::finish) will write to the first output.
    #[must_use]
    pub fn format(&self) -> Format {
        self.outputs[0].format
    }

    /// Every output, in the order given, with the format it will be written in.
    pub fn outputs(&self) -> impl Iterator<Item = (&Path, Format)> {
        self.outputs.iter().map(|o| (o.path.as_path(), o.format))
    }

    #[cfg(feature = "pprof")]
    fn start_sampler(outputs: Vec<Output>, frequency_hz: u32) -> Result<Self, Error> {
        let frequency =
            i32::try_from(frequency_hz).map_err(|_| Error::BadFrequency { frequency_hz })?;
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(frequency)
            .blocklist(&UNWIND_BLOCKLIST)
            .build()
            .map_err(Error::sampler("starting the sampler"))?;
        Ok(Self { guard, outputs })
    }

    #[cfg(not(feature = "pprof"))]
    fn start_sampler(_outputs: Vec<Output>, _frequency_hz: u32) -> Result<Self, Error> {
        Err(Error::FeatureDisabled)
    }

    /// Stops sampling and writes the profile to every output, each in the format its
    /// extension chose. The samples are symbolised once, whatever the number of outputs.
    ///
    /// # Errors
    /// pprof-rs failing to build the report, or an output failing to be written. Every
    /// output is attempted even when an earlier one fails; the first error is returned.
    #[cfg(feature = "pprof")]
    pub fn finish(self) -> Result<(), Error> {
        let report = self
            .guard
            .report()
            .build()
            .map_err(Error::sampler("building the report"))?;
        // Stop the timer before the (slow) writes.
        drop(self.guard);
        let mut first_error = None;
        for output in self.outputs {
            if let Err(err) = output.write(&report) {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Without the `pprof` feature there is never a running profile to finish.
    ///
    /// # Errors
    /// Never returns `Ok`: [`Error::FeatureDisabled`].
    #[cfg(not(feature = "pprof"))]
    pub fn finish(self) -> Result<(), Error> {
        drop(self.outputs);
        Err(Error::FeatureDisabled)
    }
}

impl Output {
    /// Writes `report` in this output's format and syncs the file.
    #[cfg(feature = "pprof")]
    fn write(self, report: &pprof::Report) -> Result<(), Error> {
        use std::io::{BufWriter, Write};

        let io_error = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let mut writer = BufWriter::new(self.file);
        match self.format {
            Format::FlamegraphSvg => {
                report
                    .flamegraph(&mut writer)
                    .map_err(Error::sampler("drawing the flamegraph"))?;
            }
            Format::PprofProtobuf => {
                use pprof::protos::Message;

                const ENCODING: &str = "encoding the pprof profile";
                let profile = report.pprof().map_err(Error::sampler(ENCODING))?;
                let bytes = profile.write_to_bytes().map_err(Error::sampler(ENCODING))?;
                let mut gzip =
                    flate2::write::GzEncoder::new(&mut writer, flate2::Compression::default());
                gzip.write_all(&bytes).map_err(io_error)?;
                gzip.finish().map_err(io_error)?;
            }
        }
        writer.flush().map_err(io_error)?;
        writer
            .into_inner()
            .map_err(|err| io_error(err.into_error()))?
            .sync_all()
            .map_err(io_error)
    }
}

/// Checks every path before any file is touched: at least one, each with a known extension,
/// none twice (compared as written: `a.svg` and `./a.svg` are not caught).
fn plan_outputs<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<(PathBuf, Format)>, Error> {
    if paths.is_empty() {
        return Err(Error::NoOutputs);
    }
    let mut planned: Vec<(PathBuf, Format)> = Vec::with_capacity(paths.len());
    for path in paths {
        let path = path.as_ref();
        let format = Format::from_path(path)?;
        if planned.iter().any(|(seen, _)| seen == path) {
            return Err(Error::DuplicateOutput {
                path: path.to_path_buf(),
            });
        }
        planned.push((path.to_path_buf(), format));
    }
    Ok(planned)
}

/// Opens every planned output for writing. All or nothing: when one cannot be opened, the
/// files created by this call are removed and existing ones keep their contents; when all
/// can, each is emptied.
fn open_outputs(planned: Vec<(PathBuf, Format)>) -> Result<Vec<Output>, Error> {
    let mut opened: Vec<(Output, bool)> = Vec::with_capacity(planned.len());
    for (path, format) in planned {
        match open_without_truncating(&path) {
            Ok((file, created)) => opened.push((Output { file, path, format }, created)),
            Err(source) => {
                for (output, created) in opened {
                    if created {
                        drop(output.file);
                        // Best effort: it is an empty file this call made.
                        let _ = std::fs::remove_file(&output.path);
                    }
                }
                return Err(Error::Io { path, source });
            }
        }
    }
    opened
        .into_iter()
        .map(|(output, _)| match output.file.set_len(0) {
            Ok(()) => Ok(output),
            Err(source) => Err(Error::Io {
                path: output.path,
                source,
            }),
        })
        .collect()
}

/// Opens `path` for writing without changing its contents; `true` when it was created.
fn open_without_truncating(path: &Path) -> std::io::Result<(File, bool)> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => Ok((file, true)),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => OpenOptions::new()
            .write(true)
            .open(path)
            .map(|f| (f, false)),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(
            Format::from_path(Path::new("target/profiles/flamegraph.svg")).unwrap(),
            Format::FlamegraphSvg
        );
        assert_eq!(
            Format::from_path(Path::new("profile.PB")).unwrap(),
            Format::PprofProtobuf
        );
        let err = Format::from_path(Path::new("profile.txt")).unwrap_err();
        assert!(err.to_string().contains("`.svg`"), "{err}");
        assert!(Format::from_path(Path::new("profile")).is_err());
    }

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("satloc-cpu-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_path_is_checked_before_any_file_is_touched() {
        let none: [&Path; 0] = [];
        assert!(matches!(plan_outputs(&none), Err(Error::NoOutputs)));

        let dir = scratch("plan");
        let (svg, pb) = (dir.join("flamegraph.svg"), dir.join("profile.pb"));
        let planned = plan_outputs(&[&svg, &pb]).unwrap();
        assert_eq!(
            planned,
            [
                (svg.clone(), Format::FlamegraphSvg),
                (pb.clone(), Format::PprofProtobuf)
            ]
        );
        let err = plan_outputs(&[&svg, &dir.join("profile.txt")]).unwrap_err();
        assert!(err.to_string().contains("profile.txt"), "{err}");
        let err = plan_outputs(&[&svg, &pb, &svg]).unwrap_err();
        assert!(matches!(err, Error::DuplicateOutput { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("flamegraph.svg: CPU profile output given twice")
        );
        // Planning opens nothing.
        assert!(!svg.exists() && !pb.exists());
    }

    #[test]
    fn opening_is_all_or_nothing() {
        let dir = scratch("open");
        let old = dir.join("old.svg");
        std::fs::write(&old, "an earlier profile").unwrap();
        let new = dir.join("new.pb");
        let unreachable = dir.join("missing-dir/profile.svg");

        // The third path fails: the new file goes again, the old one keeps its contents.
        let planned = plan_outputs(&[&old, &new, &unreachable]).unwrap();
        let err = open_outputs(planned).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if *path == unreachable),
            "{err}"
        );
        assert!(!new.exists(), "the file this call created was removed");
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "an earlier profile");

        // All reachable: every output exists and is empty, so a run that never finishes
        // leaves no old profile behind.
        let outputs = open_outputs(plan_outputs(&[&old, &new]).unwrap()).unwrap();
        assert_eq!(outputs.len(), 2);
        assert_eq!(std::fs::read(&old).unwrap().len(), 0);
        assert_eq!(std::fs::read(&new).unwrap().len(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(not(feature = "pprof"))]
    #[test]
    fn without_the_feature_start_says_how_the_binary_was_built() {
        let dir = std::env::temp_dir();
        let err = CpuProfile::start(&dir.join("never-written.svg")).unwrap_err();
        assert!(matches!(err, Error::FeatureDisabled));
        let err = CpuProfile::start_many(&[dir.join("never-written.svg")]).unwrap_err();
        assert!(matches!(err, Error::FeatureDisabled));
        assert!(
            err.to_string()
                .contains("built without the `pprof` feature")
        );
    }
}
