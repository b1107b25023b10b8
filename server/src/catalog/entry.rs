//! What every element-set parser produces: the entries it read and the ones it
//! could not, each with the line it starts on; and what they all check, since
//! their input may come from the network: elements that describe no orbit, and
//! messages that must stay one log line whatever input they quote.

/// One element set read from a source, with the line it starts on.
#[derive(Debug, Clone)]
pub struct ParsedEntry {
    /// 1-based line of the source where the entry starts.
    pub line: usize,
    /// The elements as the `sgp4` crate parsed them.
    pub elements: sgp4::Elements,
}

/// A problem with one entry of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// 1-based line of the source.
    pub line: usize,
    /// What is wrong, for a person.
    pub message: String,
}

impl EntryError {
    /// The longest message, in characters. Parsers quote at most 40
    /// characters of the input, but serde_json quotes a whole JSON string, and
    /// a fetched body may hold one as long as `--fetch-max-bytes`.
    pub const MAX_MESSAGE_CHARS: usize = 300;

    /// A problem on `line`; the message is made fit for one log line
    /// ([`printable`]).
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: printable(&message.into()),
        }
    }
}

/// The years an epoch may fall in: from the first satellite to the end of
/// the century (TLE text can only say 1957 to 2056). SDP4 integrates a
/// resonant (12- or 24-hour) orbit in half-day steps from its epoch, so an
/// OMM epoch thousands of years away costs seconds of CPU per object when
/// the catalogue is prepared, under the lock every reload takes.
pub const EPOCH_YEARS: std::ops::RangeInclusive<i32> = 1957..=2099;

/// Why `epoch` is not one an element set can have, if it is not (the
/// caller names the field).
pub(crate) fn implausible_epoch(epoch: &chrono::NaiveDateTime) -> Option<String> {
    use chrono::Datelike;
    (!EPOCH_YEARS.contains(&epoch.year())).then(|| {
        format!(
            "{epoch} is outside the years {} to {} (the first satellite to the end of the century)",
            EPOCH_YEARS.start(),
            EPOCH_YEARS.end()
        )
    })
}

/// The first number of `elements` that is infinite or NaN, by its OMM name,
/// with its value. Such an element set describes no orbit; the TLE and JSON
/// readers get numbers from `str::parse`, which reads `NaN` and `inf`, so they
/// check (the CSV reader checks each field as it reads it).
pub(crate) fn non_finite(elements: &sgp4::Elements) -> Option<(&'static str, f64)> {
    [
        ("MEAN_MOTION_DOT", elements.mean_motion_dot),
        ("MEAN_MOTION_DDOT", elements.mean_motion_ddot),
        ("BSTAR", elements.drag_term),
        ("INCLINATION", elements.inclination),
        ("RA_OF_ASC_NODE", elements.right_ascension),
        ("ECCENTRICITY", elements.eccentricity),
        ("ARG_OF_PERICENTER", elements.argument_of_perigee),
        ("MEAN_ANOMALY", elements.mean_anomaly),
        ("MEAN_MOTION", elements.mean_motion),
    ]
    .into_iter()
    .find(|(_, value)| !value.is_finite())
}

/// `message` as it may go into a log line, whatever input it quotes: control
/// characters escaped (`\u{1b}`, `\r`), so that a line of the input cannot
/// end the log line or drive a terminal, and at most
/// [`EntryError::MAX_MESSAGE_CHARS`] characters. A longer one keeps its start
/// and end, where parsers say what is wrong and what they expected, and loses
/// the middle, where a long quote of the input sits.
fn printable(message: &str) -> String {
    let mut escaped = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    let count = escaped.chars().count();
    if count <= EntryError::MAX_MESSAGE_CHARS {
        return escaped;
    }
    let head = EntryError::MAX_MESSAGE_CHARS * 2 / 3;
    let tail = EntryError::MAX_MESSAGE_CHARS - head - 1;
    let mut short: String = escaped.chars().take(head).collect();
    short.push('…');
    short.extend(escaped.chars().skip(count - tail));
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_printable_line() {
        let error = EntryError::new(3, "name line \"ISS\rX\u{1b}[31m\u{0}\"");
        assert_eq!(error.message, r#"name line "ISS\rX\u{1b}[31m\u{0}""#);
        assert_eq!(error.line, 3);
        assert_eq!(EntryError::new(1, "fine: é ☄").message, "fine: é ☄");
    }

    #[test]
    fn long_messages_keep_their_start_and_end() {
        let quote = "x".repeat(10_000);
        let error = EntryError::new(
            1,
            format!("invalid type: string \"{quote}\", expected struct Elements"),
        );
        assert_eq!(error.message.chars().count(), EntryError::MAX_MESSAGE_CHARS);
        assert!(
            error.message.starts_with("invalid type: string \"xxx"),
            "{}",
            error.message
        );
        assert!(
            error.message.ends_with("xxx\", expected struct Elements"),
            "{}",
            error.message
        );
        assert!(error.message.contains("x…x"), "{}", error.message);
        let exact = "y".repeat(EntryError::MAX_MESSAGE_CHARS);
        assert_eq!(EntryError::new(1, exact.clone()).message, exact);
    }
}
