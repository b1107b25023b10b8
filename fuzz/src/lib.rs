//! What the catalogue parsers must do with any text, beyond not panicking: the
//! checks the parser targets (`tle`, `omm_json`, `omm_csv`) and the fetch
//! body target share.
//!
//! A parser reads text from a file or the network and reports, for a person,
//! what it could not read and where. So every line it names must be a line of
//! the text, every message one printable line of bounded length (it goes into
//! the log as it is), and the same text must always give the same result.

use chrono::Datelike;
use satloc_server::catalog::{EPOCH_YEARS, EntryError, Format, ParsedEntry};

/// The last line a parser may name in `text`: one past its last line feed,
/// where an error at the very end ("EOF while parsing") is reported.
pub fn last_line(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// Parses `text` as `format` twice and checks what always holds: the same
/// result both times, lines inside the text and in order, messages that are
/// one printable, bounded line. Returns the first result.
pub fn parse_checked(format: Format, text: &str) -> (Vec<ParsedEntry>, Vec<EntryError>) {
    let (entries, errors) = format.parse(text);
    // Debug text compares NaN fields too, which `PartialEq` would not.
    let again = format.parse(text);
    assert_eq!(
        format!("{:?}", (&entries, &errors)),
        format!("{again:?}"),
        "{format:?}: the same text parsed twice gave different results"
    );
    let last = last_line(text);
    check_lines(format, "entry", entries.iter().map(|e| e.line), last);
    check_lines(format, "error", errors.iter().map(|e| e.line), last);
    for error in &errors {
        check_message(format, error);
    }
    (entries, errors)
}

/// Every line in `1..=last`, in the order of the text.
fn check_lines(format: Format, what: &str, lines: impl Iterator<Item = usize>, last: usize) {
    let mut previous = 1;
    for line in lines {
        assert!(
            (1..=last).contains(&line),
            "{format:?}: {what} on line {line}, outside the text's lines 1..={last}"
        );
        assert!(
            line >= previous,
            "{format:?}: {what} on line {line} reported after one on line {previous}"
        );
        previous = line;
    }
}

/// A message a person can read in a log line: not empty, one line, no control
/// characters (the fetcher keeps them out of what it logs of a refusal's body,
/// `fetch::http::first_line`, for the same reason), and bounded: a parser
/// quotes at most 40 characters of the input, and `EntryError` shortens what
/// serde_json quotes.
fn check_message(format: Format, error: &EntryError) {
    let message = &error.message;
    assert!(!message.trim().is_empty(), "{format:?}: empty message");
    assert!(
        !message.chars().any(char::is_control),
        "{format:?}: line {}: control character in message {message:?}",
        error.line
    );
    assert!(
        message.chars().count() <= EntryError::MAX_MESSAGE_CHARS,
        "{format:?}: line {}: message of {} characters: {message:?}",
        error.line,
        message.chars().count()
    );
}

/// An entry's elements describe an orbit SGP4 can start from at a bearable
/// cost: every number finite (an infinite or NaN element describes no orbit;
/// the CSV reader says so, the others must agree) and the epoch in
/// [`EPOCH_YEARS`] (preparing a resonant orbit costs a step per half day
/// between its epoch and now).
pub fn check_elements(format: Format, entry: &ParsedEntry) {
    let e = &entry.elements;
    let numbers = [
        ("MEAN_MOTION_DOT", e.mean_motion_dot),
        ("MEAN_MOTION_DDOT", e.mean_motion_ddot),
        ("BSTAR", e.drag_term),
        ("INCLINATION", e.inclination),
        ("RA_OF_ASC_NODE", e.right_ascension),
        ("ECCENTRICITY", e.eccentricity),
        ("ARG_OF_PERICENTER", e.argument_of_perigee),
        ("MEAN_ANOMALY", e.mean_anomaly),
        ("MEAN_MOTION", e.mean_motion),
    ];
    for (field, value) in numbers {
        assert!(
            value.is_finite(),
            "{format:?}: the entry on line {} has {field} {value}",
            entry.line
        );
    }
    assert!(
        EPOCH_YEARS.contains(&e.datetime.year()),
        "{format:?}: the entry on line {} has EPOCH {}",
        entry.line,
        e.datetime
    );
}

/// The text a target parses: the input itself when it is UTF-8, otherwise
/// its lossy form, so that no input is wasted on a parser of `&str`.
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
