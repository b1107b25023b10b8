//! Where element sets come from: files (TLE or OMM JSON, detected from the
//! content) or the snapshot compiled into the binary.

use std::fmt;
use std::path::{Path, PathBuf};

use super::entry::{EntryError, ParsedEntry};
use super::{omm, tle};

/// The element snapshot compiled into the binary (see `server/data/README.md`).
pub const EMBEDDED_CATALOG: &str = include_str!("../../data/default-catalog.tle");

/// A catalogue input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The snapshot compiled into the binary.
    Embedded,
    /// A file given with `--catalog`.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Embedded => f.write_str("<embedded catalogue>"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The format of a catalogue, detected from its first non-blank character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Two- or three-line element text.
    Tle,
    /// CelesTrak OMM JSON.
    OmmJson,
}

impl Format {
    /// `[` or `{` first means JSON; anything else is read as TLE text.
    pub fn detect(text: &str) -> Self {
        match text.trim_start().chars().next() {
            Some('[' | '{') => Format::OmmJson,
            _ => Format::Tle,
        }
    }
}

/// Everything read from one source.
#[derive(Debug)]
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
    pub fn read(&self) -> std::io::Result<SourceContents> {
        let text = match self {
            Source::Embedded => EMBEDDED_CATALOG.to_owned(),
            Source::File(path) => read_text(path)?,
        };
        let (entries, errors) = match Format::detect(&text) {
            Format::Tle => tle::parse(&text),
            Format::OmmJson => omm::parse(&text),
        };
        Ok(SourceContents {
            source: self.clone(),
            entries,
            errors,
        })
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
