//! Two-line and three-line element text, as CelesTrak and Space-Track publish it.
//!
//! Field parsing and checksums are the `sgp4` crate's; this module finds the
//! entries in a file, keeps track of line numbers, and turns the crate's errors
//! ("on TLE line 2 between characters 8 and 16") into messages that name the
//! line of the file.

use super::entry::{EntryError, ParsedEntry, non_finite};

/// Parses every entry in `text`. Bad entries are returned as errors with the
/// file line they start on; scanning resumes at the next plausible entry.
pub fn parse(text: &str) -> (Vec<ParsedEntry>, Vec<EntryError>) {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end()))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .collect();
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (line_no, line) = lines[i];
        let (name, first) = if is_line(line, '1') {
            (None, i)
        } else if is_line(line, '2') {
            errors.push(EntryError::new(
                line_no,
                "TLE line 2 without a line 1 before it",
            ));
            i += 1;
            continue;
        } else {
            // CelesTrak's 3LE format may prefix the name with "0 ".
            let name = line.strip_prefix("0 ").unwrap_or(line).trim();
            (Some(name.to_owned()), i + 1)
        };
        let Some(&(l1_no, l1)) = lines.get(first).filter(|(_, l)| is_line(l, '1')) else {
            let shown: String = line.chars().take(40).collect();
            errors.push(EntryError::new(
                line_no,
                format!("expected TLE line 1 (starting \"1 \") after name line \"{shown}\""),
            ));
            i += 1;
            continue;
        };
        let Some(&(l2_no, l2)) = lines.get(first + 1).filter(|(_, l)| is_line(l, '2')) else {
            errors.push(EntryError::new(
                l1_no,
                "TLE line 1 is not followed by a line 2",
            ));
            i = first + 1;
            continue;
        };
        let (l1_bytes, l2_bytes) = (checkable(l1), checkable(l2));
        match sgp4::Elements::from_tle(name, &l1_bytes, &l2_bytes) {
            Ok(elements) => match non_finite(&elements) {
                None => entries.push(ParsedEntry {
                    line: line_no,
                    elements,
                }),
                Some((field, value)) => errors.push(not_finite(field, value, l1_no, l2_no)),
            },
            Err(err) => errors.push(describe(&err, l1_no, l2_no, l1, l2)),
        }
        i = first + 2;
    }
    (entries, errors)
}

/// The 69th column of a TLE line is its checksum digit, and `sgp4` reads it as
/// `byte - b'0'`, which overflows for a byte below `'0'`: a panic wherever
/// overflow checks are on (debug builds, tests; found by `cargo fuzz run tle`),
/// a wrapped number that never matches in a release build. A line whose
/// checksum column is not a digit is handed over with a digit that does not
/// match in its place, so every build reports what a release build did: the
/// first problem of the entry, a bad checksum if nothing comes before it.
fn checkable(line: &str) -> std::borrow::Cow<'_, [u8]> {
    let bytes = line.as_bytes();
    match bytes.get(68) {
        Some(column) if bytes.len() == 69 && !column.is_ascii_digit() => {
            let mut fixed = bytes.to_vec();
            fixed[68] = b'0' + (checksum(&bytes[..68]) + 1) % 10;
            std::borrow::Cow::Owned(fixed)
        }
        _ => std::borrow::Cow::Borrowed(bytes),
    }
}

/// The TLE checksum of the first 68 columns, as `sgp4` computes it: the sum
/// of the digits, minus signs counting one, modulo 10.
fn checksum(columns: &[u8]) -> u8 {
    let sum: u32 = columns
        .iter()
        .map(|&b| match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'-' => 1,
            _ => 0,
        })
        .sum();
    u8::try_from(sum % 10).unwrap_or(0)
}

fn is_line(line: &str, number: char) -> bool {
    let mut chars = line.chars();
    chars.next() == Some(number) && chars.next() == Some(' ')
}

/// Turns the `sgp4` crate's TLE error into one that names the file line and the
/// 1-based columns, e.g. `line 7, columns 69-69: Bad line checksum`.
fn describe(err: &sgp4::TleError, l1_no: usize, l2_no: usize, l1: &str, l2: &str) -> EntryError {
    let text = err.to_string();
    let (line_no, line) = if text.contains("on TLE line 2") {
        (l2_no, l2)
    } else {
        (l1_no, l1)
    };
    let what = text
        .strip_prefix("TLE parse error: ")
        .unwrap_or(&text)
        .split(" on TLE line")
        .next()
        .unwrap_or(&text)
        .split(" (TLE lines mismatch)")
        .next()
        .unwrap_or(&text);
    let columns = columns(&text);
    let mut message = match columns {
        Some((start, end)) => format!("columns {start}-{end}: {what}"),
        None => what.to_owned(),
    };
    if what.contains("length") {
        message.push_str(&format!(
            " (a TLE line has 69 characters, this one has {})",
            line.chars().count()
        ));
    }
    EntryError::new(line_no, message)
}

/// An element that `sgp4` read as NaN or infinite (its float fields take
/// `NaN` and `inf`), named by its line and 1-based columns.
fn not_finite(field: &str, value: f64, l1_no: usize, l2_no: usize) -> EntryError {
    let (line_no, columns) = match field {
        "MEAN_MOTION_DOT" => (l1_no, "34-43"),
        "MEAN_MOTION_DDOT" => (l1_no, "45-52"),
        "BSTAR" => (l1_no, "54-61"),
        "INCLINATION" => (l2_no, "9-16"),
        "RA_OF_ASC_NODE" => (l2_no, "18-25"),
        "ECCENTRICITY" => (l2_no, "27-33"),
        "ARG_OF_PERICENTER" => (l2_no, "35-42"),
        "MEAN_ANOMALY" => (l2_no, "44-51"),
        _ => (l2_no, "53-63"),
    };
    EntryError::new(
        line_no,
        format!("columns {columns}: {field} is {value}, not a finite number"),
    )
}

/// Extracts "between characters A and B" (0-based, end exclusive) as 1-based
/// inclusive columns.
fn columns(text: &str) -> Option<(usize, usize)> {
    let rest = text.split("between characters ").nth(1)?;
    let mut numbers = rest.split(" and ");
    let start: usize = numbers.next()?.trim().parse().ok()?;
    let end: usize = numbers.next()?.trim().parse().ok()?;
    Some((start + 1, end.max(start + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS_1: &str = "1 25544U 98067A   25333.83453771  .00008010  00000+0  15237-3 0  9993";
    const ISS_2: &str = "2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850";

    #[test]
    fn reads_two_and_three_line_sets() {
        let text = format!(
            "{ISS_1}\n{ISS_2}\nISS (ZARYA)\n{ISS_1}\r\n{ISS_2}\r\n0 ISS\n{ISS_1}\n{ISS_2}\n"
        );
        let (entries, errors) = parse(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].elements.object_name, None);
        assert_eq!(
            entries[1].elements.object_name.as_deref(),
            Some("ISS (ZARYA)")
        );
        assert_eq!(entries[1].line, 3);
        assert_eq!(entries[2].elements.object_name.as_deref(), Some("ISS"));
        assert_eq!(entries[2].elements.norad_id, 25544);
    }

    #[test]
    fn bad_checksum_names_line_and_column() {
        let bad = ISS_2.replace("540850", "540851");
        let text = format!("ISS\n{ISS_1}\n{bad}\n");
        let (entries, errors) = parse(&text);
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(
            errors[0].message.contains("checksum"),
            "{}",
            errors[0].message
        );
        assert!(
            errors[0].message.contains("columns 69-69"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn bad_number_names_its_columns() {
        let bad = ISS_2.replace(" 51.6312", " 51.6x12");
        let (_, errors) = parse(&format!("{ISS_1}\n{bad}\n"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(
            errors[0].message.contains("columns"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn short_line_says_how_long_it_is() {
        let (_, errors) = parse(&format!("{ISS_1}\n{}\n", &ISS_2[..60]));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("this one has 60"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn recovers_after_a_bad_entry() {
        let text = format!("JUNK\nMORE JUNK\nISS\n{ISS_1}\n{ISS_2}\n2 orphan\n");
        let (entries, errors) = parse(&text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].line, 3);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 6]);
        assert!(errors[0].message.contains("expected TLE line 1"));
    }

    #[test]
    fn control_characters_of_a_name_line_are_escaped_in_the_message() {
        // A name line quoted as it is would let a catalogue write a carriage
        // return or a terminal escape into the log line that reports it (a
        // `cargo fuzz run tle` finding).
        let (entries, errors) = parse("MOLNIYA\u{1}\u{0}\u{1b}[2J\rX\n2AQ7276\n");
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].message,
            r#"expected TLE line 1 (starting "1 ") after name line "MOLNIYA\u{1}\u{0}\u{1b}[2J\rX""#
        );
    }

    #[test]
    fn a_checksum_column_that_is_not_a_digit_is_a_bad_checksum() {
        // A byte below '0' there makes `sgp4` overflow, a panic in builds
        // with overflow checks (a `cargo fuzz run tle` finding).
        for column in ["\u{1}", ".", "!", "x"] {
            let line2 = format!("{}{column}", &ISS_2[..68]);
            let (entries, errors) = parse(&format!("ISS\n{ISS_1}\n{line2}\n"));
            assert!(entries.is_empty(), "{column:?}");
            assert_eq!(errors.len(), 1, "{column:?}");
            assert_eq!(errors[0].line, 3, "{column:?}");
            assert_eq!(
                errors[0].message, "columns 69-69: Bad line checksum",
                "{column:?}"
            );
        }
        // Another problem that comes first is still the one reported.
        let line1 = format!("{}!", &ISS_1[..68]).replace("25544U ", "25544U_");
        let (_, errors) = parse(&format!("{line1}\n{ISS_2}\n"));
        assert_eq!(
            errors[0].message,
            "columns 9-9: Found a non-space character between fields"
        );
        assert_eq!(checksum(&ISS_1.as_bytes()[..68]), 3);
        assert_eq!(checksum(&ISS_2.as_bytes()[..68]), 0);
    }

    #[test]
    fn nan_and_infinite_elements_are_refused() {
        // Caught by the fuzz targets' finiteness check (`fuzz/src/lib.rs`) on
        // a hand-made line: sgp4 reads float columns with `str::parse`,
        // which takes "NaN" and "inf".
        let nan = ISS_2.replace(" 51.6312 ", "     NaN ");
        let nan = format!("{}{}", &nan[..68], checksum(&nan.as_bytes()[..68]));
        let (entries, errors) = parse(&format!("ISS\n{ISS_1}\n{nan}\n"));
        assert!(entries.is_empty());
        assert_eq!(
            errors,
            [EntryError::new(
                3,
                "columns 9-16: INCLINATION is NaN, not a finite number"
            )]
        );
        let inf = ISS_1.replace(" .00008010 ", "       inf ");
        let inf = format!("{}{}", &inf[..68], checksum(&inf.as_bytes()[..68]));
        let (_, errors) = parse(&format!("{inf}\n{ISS_2}\n"));
        assert_eq!(
            errors,
            [EntryError::new(
                1,
                "columns 34-43: MEAN_MOTION_DOT is inf, not a finite number"
            )]
        );
    }

    #[test]
    fn line_one_without_line_two() {
        let (entries, errors) = parse(&format!("X\n{ISS_1}\n"));
        assert!(entries.is_empty());
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("not followed by a line 2"));
    }
}
