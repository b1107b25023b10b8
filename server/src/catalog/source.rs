//! Where element sets come from: files (TLE, OMM JSON or OMM CSV, detected
//! from the content), URLs (fetched by `crate::fetch`), or the snapshot
//! compiled into the binary.

use std::fmt;
use std::path::{Path, PathBuf};

use super::entry::{EntryError, ParsedEntry};
use super::{omm, omm_csv, tle};

/// The element snapshot compiled into the binary (see `server/data/README.md`).
pub const EMBEDDED_CATALOG: &str = include_str!("../../data/default-catalog.tle");

/// A catalogue input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The snapshot compiled into the binary.
    Embedded,
    /// A file given with `--catalog`.
    File(PathBuf),
    /// A URL given with `--catalog-url` or `--celestrak`; its body is fetched
    /// by `crate::fetch` and parsed with [`SourceContents::parse`].
    Url(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Embedded => f.write_str("<embedded catalogue>"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Url(url) => f.write_str(url),
        }
    }
}

/// The format of a catalogue, detected from its first non-blank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Two- or three-line element text.
    Tle,
    /// CelesTrak OMM JSON.
    OmmJson,
    /// CelesTrak OMM CSV: a header line naming `NORAD_CAT_ID` among others.
    OmmCsv,
}

impl Format {
    /// `[` or `{` first means JSON; a comma-separated header with a
    /// `NORAD_CAT_ID` column means CSV; anything else is read as TLE text.
    pub fn detect(text: &str) -> Self {
        match text.trim_start().chars().next() {
            Some('[' | '{') => Format::OmmJson,
            _ if omm_csv::looks_like_csv(text) => Format::OmmCsv,
            _ => Format::Tle,
        }
    }

    /// Parses `text` as this format, whatever it looks like: the entries that
    /// parsed and, for the others, the line each starts on and what is wrong.
    /// Public so that each parser can be fuzzed on its own (`fuzz/`).
    pub fn parse(self, text: &str) -> (Vec<ParsedEntry>, Vec<EntryError>) {
        match self {
            Format::Tle => tle::parse(text),
            Format::OmmJson => omm::parse(text),
            Format::OmmCsv => omm_csv::parse(text),
        }
    }
}

/// Everything read from one source.
#[derive(Debug, Clone)]
pub struct SourceContents {
    /// Which source.
    pub source: Source,
    /// Entries that parsed.
    pub entries: Vec<ParsedEntry>,
    /// Entries that did not, with their lines.
    pub errors: Vec<EntryError>,
}

impl Source {
    /// Reads and parses the source. Only an unreadable file is an `Err`; bad
    /// entries are collected in the result.
    /// A URL cannot be read here: its body comes from the fetcher.
    pub fn read(&self) -> std::io::Result<SourceContents> {
        let text = match self {
            Source::Embedded => EMBEDDED_CATALOG.to_owned(),
            Source::File(path) => read_text(path)?,
            Source::Url(url) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    format!("{url} is fetched over HTTP, not read as a file"),
                ));
            }
        };
        Ok(SourceContents::parse(self.clone(), &text))
    }
}

impl SourceContents {
    /// Parses `text` from `source` in whichever format it is written in.
    pub fn parse(source: Source, text: &str) -> SourceContents {
        let (entries, errors) = Format::detect(text).parse(text);
        SourceContents {
            source,
            entries,
            errors,
        }
    }
}

fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}
