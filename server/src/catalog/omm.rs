//! CelesTrak OMM JSON (`gp.php?FORMAT=json`), the format CelesTrak recommends
//! since five-digit catalogue numbers ran out.
//!
//! The document is an array of OMM objects (a single object is accepted too).
//! Each object is decoded on its own, so one bad record is reported -- with the
//! line it starts on -- and the rest are kept.

use serde_json::value::RawValue;

use super::entry::{EntryError, ParsedEntry, implausible_epoch, non_finite};

/// Parses an OMM JSON document. A document that is not JSON at all is one error
/// at the place serde_json stopped.
pub fn parse(text: &str) -> (Vec<ParsedEntry>, Vec<EntryError>) {
    let trimmed = text.trim_start();
    let records: Vec<&RawValue> = if trimmed.starts_with('[') {
        match serde_json::from_str(text) {
            Ok(records) => records,
            Err(err) => return (Vec::new(), vec![json_error(&err)]),
        }
    } else {
        match serde_json::from_str::<&RawValue>(text) {
            Ok(record) => vec![record],
            Err(err) => return (Vec::new(), vec![json_error(&err)]),
        }
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for raw in records {
        let line = line_of(text, raw.get());
        match serde_json::from_str::<sgp4::Elements>(raw.get()) {
            Ok(elements) => match implausible(&elements) {
                None => entries.push(ParsedEntry { line, elements }),
                Some(problem) => {
                    errors.push(EntryError::new(line, format!("OMM record: {problem}")));
                }
            },
            Err(err) => errors.push(EntryError::new(
                line + err.line().saturating_sub(1),
                format!("OMM record: {}", strip_position(&err)),
            )),
        }
    }
    (entries, errors)
}

/// What makes decoded elements unusable, if anything: a number that is not
/// finite, or an epoch no element set has.
fn implausible(elements: &sgp4::Elements) -> Option<String> {
    if let Some((field, value)) = non_finite(elements) {
        return Some(format!("{field} is {value}, not a finite number"));
    }
    implausible_epoch(&elements.datetime).map(|problem| format!("EPOCH {problem}"))
}

fn json_error(err: &serde_json::Error) -> EntryError {
    EntryError::new(
        err.line(),
        format!(
            "not valid OMM JSON (column {}): {}",
            err.column(),
            strip_position(err)
        ),
    )
}

/// serde_json appends " at line L column C"; the caller reports the position
/// itself, relative to the file rather than the record.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The 1-based line of `text` on which the sub-slice `part` starts.
fn line_of(text: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = r#"{
        "OBJECT_NAME": "ISS (ZARYA)", "OBJECT_ID": "1998-067A",
        "EPOCH": "2025-11-29T20:01:44.058144", "MEAN_MOTION": 15.49193835,
        "ECCENTRICITY": 0.0003723, "INCLINATION": 51.6312, "RA_OF_ASC_NODE": 206.3646,
        "ARG_OF_PERICENTER": 184.1118, "MEAN_ANOMALY": 175.984, "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": 25544, "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 54085, "BSTAR": 0.00015237, "MEAN_MOTION_DOT": 8.01e-5,
        "MEAN_MOTION_DDOT": 0
    }"#;

    #[test]
    fn reads_an_array_and_a_single_object() {
        let (entries, errors) = parse(&format!("[{ISS},\n{ISS}]"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].line, 1);
        assert_eq!(entries[1].line, 10);
        assert_eq!(entries[1].elements.norad_id, 25544);
        let (entries, _) = parse(ISS);
        assert_eq!(
            entries[0].elements.object_name.as_deref(),
            Some("ISS (ZARYA)")
        );
    }

    #[test]
    fn a_bad_record_is_reported_and_the_rest_kept() {
        let bad = ISS.replace("\"INCLINATION\": 51.6312", "\"INCLINATION\": \"steep\"");
        let (entries, errors) = parse(&format!("[\n{ISS},\n{bad}\n]"));
        assert_eq!(entries.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].line >= 9, "line {}", errors[0].line);
        assert!(
            errors[0].message.starts_with("OMM record"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn a_long_string_in_place_of_a_record_is_not_quoted_whole() {
        // serde_json quotes the whole string, so a fetched body could make
        // one log line as long as --fetch-max-bytes (a `cargo fuzz run
        // omm_json` finding).
        let long = "\u{9a}".repeat(100_000);
        let (entries, errors) = parse(&format!("[\"0{long}\"]"));
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 1);
        let message = &errors[0].message;
        assert_eq!(message.chars().count(), EntryError::MAX_MESSAGE_CHARS);
        assert!(
            message.starts_with("OMM record: invalid type: string \"0"),
            "{message}"
        );
        assert!(
            message.ends_with("\", expected struct Elements"),
            "{message}"
        );
    }

    #[test]
    fn nan_and_infinite_elements_are_refused_as_the_csv_reader_does() {
        // sgp4 reads a number given as a string with `str::parse`, which
        // takes "NaN" and "inf": the reader must refuse them (the fuzz
        // targets' finiteness check, `fuzz/src/lib.rs`, asks the same).
        for (field, value, shown) in [
            ("INCLINATION", "\"NaN\"", "NaN"),
            ("MEAN_MOTION", "\"inf\"", "inf"),
            ("BSTAR", "\"-infinity\"", "-inf"),
        ] {
            let record = ISS.replace(
                &format!("\"{field}\": "),
                &format!("\"{field}\": {value}, \"X\": "),
            );
            let (entries, errors) = parse(&format!("[\n{ISS},\n{record}\n]"));
            assert_eq!(entries.len(), 1, "{field}");
            assert_eq!(
                errors,
                [EntryError::new(
                    11,
                    format!("OMM record: {field} is {shown}, not a finite number")
                )]
            );
        }
    }

    #[test]
    fn epochs_no_element_set_has_are_refused() {
        for (epoch, shown) in [
            ("+20000-06-25T00:33:43", "+20000-06-25 00:33:43"),
            ("0001-01-01T00:00:00", "0001-01-01 00:00:00"),
            ("1956-12-31T23:59:59.999", "1956-12-31 23:59:59.999"),
            ("2100-01-01T00:00:00", "2100-01-01 00:00:00"),
        ] {
            let record = ISS.replace("2025-11-29T20:01:44.058144", epoch);
            let (entries, errors) = parse(&record);
            assert!(entries.is_empty(), "{epoch}");
            assert_eq!(
                errors,
                [EntryError::new(
                    1,
                    format!(
                        "OMM record: EPOCH {shown} is outside the years 1957 to 2099 (the first satellite to the end of the century)"
                    )
                )]
            );
        }
        for epoch in ["1957-01-01T00:00:00", "2099-12-31T23:59:59.999999"] {
            let (entries, errors) = parse(&ISS.replace("2025-11-29T20:01:44.058144", epoch));
            assert_eq!((entries.len(), errors.len()), (1, 0), "{epoch}");
        }
    }

    #[test]
    fn broken_json_names_where() {
        let (entries, errors) = parse("[\n{\"OBJECT_NAME\": \n");
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("not valid OMM JSON"));
    }
}
