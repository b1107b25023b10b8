//! Is a fetched body a catalogue worth serving? Off the query path: the body
//! is parsed into a source's contents, and the contents are checked against
//! the source's last good ones before anything is swapped in.
//!
//! A fetched body is all or nothing: one entry that does not parse (a bad
//! checksum, a cut-off line or record) points to a damaged or truncated
//! download, so the whole body is refused and the last good contents stay.
//! Files given with `--catalog` are looser (bad entries are skipped with a
//! warning), because a person keeps them and reads the log.

use std::collections::HashSet;

use crate::catalog::{Source, SourceContents};

/// Why a body is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Zero bytes, or only white space.
    #[error("the body is empty")]
    Empty,
    /// Not UTF-8 text.
    #[error("the body is not UTF-8 text (first bad byte at offset {offset})")]
    NotText {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// Entries that did not parse.
    #[error(
        "line {line}: {message}{more} (a fetched catalogue must parse whole: expected TLE text, OMM JSON or OMM CSV)"
    )]
    BadEntries {
        /// Line of the first problem.
        line: usize,
        /// The first problem.
        message: String,
        /// ", and N more problems" or empty.
        more: String,
    },
    /// Parsed, but held no element set.
    #[error("no element sets found (expected TLE text, OMM JSON or OMM CSV)")]
    NoEntries,
}

/// Parses a fetched body from `source`; any entry that does not parse refuses
/// the whole body.
pub fn parse_body(source: Source, body: &[u8]) -> Result<SourceContents, BodyError> {
    let text = std::str::from_utf8(body).map_err(|err| BodyError::NotText {
        offset: err.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(BodyError::Empty);
    }
    let contents = SourceContents::parse(source, text);
    if let Some(first) = contents.errors.first() {
        let more = match contents.errors.len() {
            1 => String::new(),
            n => format!(", and {} more problems", n - 1),
        };
        return Err(BodyError::BadEntries {
            line: first.line,
            message: first.message.clone(),
            more,
        });
    }
    if contents.entries.is_empty() {
        return Err(BodyError::NoEntries);
    }
    Ok(contents)
}

/// The number of distinct objects (catalogue numbers) a source holds.
pub fn object_count(contents: &SourceContents) -> usize {
    contents
        .entries
        .iter()
        .map(|entry| entry.elements.norad_id)
        .collect::<HashSet<u64>>()
        .len()
}

/// New contents with fewer than half the objects of the last good ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "it has {after} objects where the last good one had {before} (fewer than half: refused, as a source that lost most of its objects is more likely broken than right; --accept-shrink takes such catalogues)"
)]
pub struct Shrunk {
    /// Objects in the last good contents.
    pub before: usize,
    /// Objects in the new contents.
    pub after: usize,
}

/// Refuses `after` objects in place of `before` when that is fewer than half.
pub fn check_shrink(before: usize, after: usize) -> Result<(), Shrunk> {
    if after.saturating_mul(2) < before {
        Err(Shrunk { before, after })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "ISS (ZARYA)\n1 25544U 98067A   25333.83453771  .00008010  00000+0  15237-3 0  9993\n2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850\n";

    fn url() -> Source {
        Source::Url("http://127.0.0.1/x".to_owned())
    }

    #[test]
    fn a_good_body_parses_in_any_format() {
        let contents = parse_body(url(), ISS.as_bytes()).unwrap();
        assert_eq!(object_count(&contents), 1);
        assert_eq!(contents.source, url());
    }

    #[test]
    fn empty_garbage_and_damaged_bodies_are_refused_whole() {
        assert_eq!(parse_body(url(), b"").unwrap_err(), BodyError::Empty);
        assert_eq!(parse_body(url(), b" \r\n\n").unwrap_err(), BodyError::Empty);
        assert_eq!(
            parse_body(url(), b"ok \xff\xfe").unwrap_err(),
            BodyError::NotText { offset: 3 }
        );
        let garbage = parse_body(url(), b"<html>Service Unavailable</html>\n").unwrap_err();
        assert!(
            garbage
                .to_string()
                .starts_with("line 1: expected TLE line 1"),
            "{garbage}"
        );
        // One good entry and one with a bad checksum: the body is damaged.
        let damaged = format!("{ISS}{}", ISS.replace("540850", "540851"));
        let err = parse_body(url(), damaged.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, BodyError::BadEntries { line: 6, message, .. } if message.contains("checksum")),
            "{err}"
        );
        // Cut off in the middle of line 2.
        let truncated = &ISS[..ISS.len() - 20];
        assert!(parse_body(url(), truncated.as_bytes()).is_err());
        assert_eq!(parse_body(url(), b"[]").unwrap_err(), BodyError::NoEntries);
    }

    #[test]
    fn fewer_than_half_the_objects_is_refused() {
        assert_eq!(check_shrink(8, 4), Ok(()));
        assert_eq!(
            check_shrink(8, 3),
            Err(Shrunk {
                before: 8,
                after: 3
            })
        );
        assert_eq!(
            check_shrink(7, 3),
            Err(Shrunk {
                before: 7,
                after: 3
            })
        );
        assert_eq!(check_shrink(7, 4), Ok(()));
        assert_eq!(
            check_shrink(1, 0),
            Err(Shrunk {
                before: 1,
                after: 0
            })
        );
        assert_eq!(check_shrink(0, 0), Ok(()));
        assert_eq!(check_shrink(3, 300), Ok(()));
        assert!(
            check_shrink(10, 2)
                .unwrap_err()
                .to_string()
                .contains("--accept-shrink")
        );
    }
}
