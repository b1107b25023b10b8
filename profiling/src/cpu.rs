//! CPU profiling with pprof-rs: sample the whole process while it runs, write the profile when
//! it stops.
//!
//! The output format follows the file name, so one flag (`--cpu-profile PATH`) covers both:
//! `.svg` is a flamegraph to open in a browser, `.pb` a gzip-compressed pprof protobuf for
//! `pprof -top`/`go tool pprof` (gzip is how the pprof tools write it themselves; they read
//! it compressed or not). The output file is created when profiling starts, so a typo in the
//! path fails at start-up instead of after a long run.
//!
//! Without the `pprof` feature [`CpuProfile::start`] returns [`Error::FeatureDisabled`].
//!
//! pprof-rs samples with `setitimer(ITIMER_PROF)`, so it cannot run inside `coz run`, which
//! also uses `SIGPROF`: profile with one or the other.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Sampling frequency used by [`CpuProfile::start`].
///
/// pprof-rs samples with `ITIMER_PROF`, which the kernel advances in scheduler ticks, so it
/// cannot fire more often than the kernel's `HZ` (250 on Debian's kernels and on this
/// project's machines). Asking for more gives no more samples, and pprof-rs still weights
/// each one as `1 / frequency` seconds, so times come out too small by the ratio: measured
/// with `examples/cpu_profile.rs` spinning for 3 s, `pprof -top` reported 2.99 s at 99 and
/// 249 Hz, 1.50 s at 499 Hz and 0.75 s at 999 Hz. 249 Hz, just under the tick rate, keeps
/// the totals right; raise it with [`CpuProfile::start_with_frequency`] on a 1000 Hz kernel.
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
/// Dropping it without calling `finish` stops sampling and writes nothing (the output file,
/// created at start, stays empty).
pub struct CpuProfile {
    /// The sampler; dropping it stops the timer and unregisters the signal handler.
    #[cfg(feature = "pprof")]
    guard: pprof::ProfilerGuard<'static>,
    /// Where the profile goes; created (empty) at start so a bad path fails early.
    output: File,
    /// The output path, for messages.
    path: PathBuf,
    /// What to write, from the path's extension.
    format: Format,
}

impl fmt::Debug for CpuProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuProfile")
            .field("path", &self.path)
            .field("format", &self.format)
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
        Self::start_with_frequency(path, DEFAULT_FREQUENCY_HZ)
    }

    /// Like [`start`](Self::start), sampling `frequency_hz` times per second of CPU time.
    ///
    /// # Errors
    /// As [`start`](Self::start), and [`Error::BadFrequency`] outside 1..=10000 Hz.
    pub fn start_with_frequency(path: &Path, frequency_hz: u32) -> Result<Self, Error> {
        if !cfg!(feature = "pprof") {
            return Err(Error::FeatureDisabled);
        }
        let format = Format::from_path(path)?;
        if !(1..=10_000).contains(&frequency_hz) {
            return Err(Error::BadFrequency { frequency_hz });
        }
        let output = File::create(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::start_sampler(output, path.to_path_buf(), format, frequency_hz)
    }

    /// The format [`finish`](Self::finish) will write.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    #[cfg(feature = "pprof")]
    fn start_sampler(
        output: File,
        path: PathBuf,
        format: Format,
        frequency_hz: u32,
    ) -> Result<Self, Error> {
        let frequency =
            i32::try_from(frequency_hz).map_err(|_| Error::BadFrequency { frequency_hz })?;
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(frequency)
            .blocklist(&UNWIND_BLOCKLIST)
            .build()
            .map_err(|err| Error::Sampler {
                action: "starting the sampler",
                source: Box::new(err),
            })?;
        Ok(Self {
            guard,
            output,
            path,
            format,
        })
    }

    #[cfg(not(feature = "pprof"))]
    fn start_sampler(
        _output: File,
        _path: PathBuf,
        _format: Format,
        _frequency_hz: u32,
    ) -> Result<Self, Error> {
        Err(Error::FeatureDisabled)
    }

    /// Stops sampling and writes the profile in the format the path's extension chose.
    ///
    /// # Errors
    /// pprof-rs failing to build the report, or the file failing to be written.
    #[cfg(feature = "pprof")]
    pub fn finish(self) -> Result<(), Error> {
        use std::io::{BufWriter, Write};

        let report = self.guard.report().build().map_err(|err| Error::Sampler {
            action: "building the report",
            source: Box::new(err),
        })?;
        // Stop the timer before the (slow) symbolised write.
        drop(self.guard);
        let io_error = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let mut writer = BufWriter::new(self.output);
        match self.format {
            Format::FlamegraphSvg => {
                report
                    .flamegraph(&mut writer)
                    .map_err(|err| Error::Sampler {
                        action: "drawing the flamegraph",
                        source: Box::new(err),
                    })?;
            }
            Format::PprofProtobuf => {
                use pprof::protos::Message;

                let profile = report.pprof().map_err(|err| Error::Sampler {
                    action: "encoding the pprof profile",
                    source: Box::new(err),
                })?;
                let bytes = profile.write_to_bytes().map_err(|err| Error::Sampler {
                    action: "encoding the pprof profile",
                    source: Box::new(err),
                })?;
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

    /// Without the `pprof` feature there is never a running profile to finish.
    ///
    /// # Errors
    /// Never returns `Ok`: [`Error::FeatureDisabled`].
    #[cfg(not(feature = "pprof"))]
    pub fn finish(self) -> Result<(), Error> {
        let _ = (self.output, self.path, self.format);
        Err(Error::FeatureDisabled)
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

    #[cfg(not(feature = "pprof"))]
    #[test]
    fn without_the_feature_start_says_how_the_binary_was_built() {
        let dir = std::env::temp_dir();
        let err = CpuProfile::start(&dir.join("never-written.svg")).unwrap_err();
        assert!(matches!(err, Error::FeatureDisabled));
        assert!(
            err.to_string()
                .contains("built without the `pprof` feature")
        );
    }
}
