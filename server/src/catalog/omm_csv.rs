//! CelesTrak OMM CSV (`gp.php?FORMAT=csv`): one header line naming the OMM
//! fields, then one element set per row.
//!
//! Besides JSON it is the only text format that carries catalogue numbers
//! above 99999, which TLE text cannot hold. The header decides which column is
//! which (CelesTrak's column order is not promised), the `csv` crate does the
//! quoting and keeps line numbers, and each field is parsed here so that an
//! error names the line, the column and the field. A bad row is reported and
//! the rest are kept, as the TLE and JSON parsers do.

use chrono::NaiveDateTime;
use sgp4::{Classification, Elements};

use super::entry::{EntryError, ParsedEntry, implausible_epoch};

/// The OMM fields an element set needs; the same ones the JSON reader
/// (`sgp4::Elements`' serde) requires.
const REQUIRED: [&str; 15] = [
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
];

/// Whether `text` looks like OMM CSV: its first line is a comma-separated
/// header with a `NORAD_CAT_ID` column. A TLE name line never is.
pub fn looks_like_csv(text: &str) -> bool {
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .lines()
        .next()
        .unwrap_or("");
    first.contains(',')
        && first
            .split(',')
            .any(|field| field.trim().trim_matches('"') == "NORAD_CAT_ID")
}

/// Parses an OMM CSV document. A header without the needed columns is one
/// error on the header's line; a bad row is one error on its line.
pub fn parse(text: &str) -> (Vec<ParsedEntry>, Vec<EntryError>) {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        // Rows with too few or too many fields are reported here, by line,
        // instead of ending the whole read.
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns = match reader.headers() {
        Ok(header) => match Columns::from_header(header) {
            Ok(columns) => columns,
            Err(message) => return (Vec::new(), vec![EntryError::new(1, message)]),
        },
        Err(err) => return (Vec::new(), vec![csv_error(text, &err)]),
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| line_at(text, p));
                if record.iter().all(|field| field.trim().is_empty()) {
                    continue;
                }
                match columns.elements(&record) {
                    Ok(elements) => entries.push(ParsedEntry { line, elements }),
                    Err(message) => errors.push(EntryError::new(line, message)),
                }
            }
            Err(err) => errors.push(csv_error(text, &err)),
        }
    }
    (entries, errors)
}

/// Where each OMM field is in a row, from the header.
#[derive(Debug)]
struct Columns {
    /// Header names, for messages.
    names: Vec<String>,
    /// Column of `OBJECT_NAME`, if the header has one.
    object_name: Option<usize>,
    /// Column of `OBJECT_ID`, if the header has one.
    object_id: Option<usize>,
    /// Column of each [`REQUIRED`] field, in that order.
    required: [usize; REQUIRED.len()],
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Self, String> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
        let find = |field: &str| names.iter().position(|name| name == field);
        let mut required = [0; REQUIRED.len()];
        let mut missing = Vec::new();
        for (slot, field) in required.iter_mut().zip(REQUIRED) {
            match find(field) {
                Some(column) => *slot = column,
                None => missing.push(field),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "OMM CSV header lacks {} (expected a header naming the OMM fields, as CelesTrak's FORMAT=csv has)",
                missing.join(", ")
            ));
        }
        Ok(Columns {
            object_name: find("OBJECT_NAME"),
            object_id: find("OBJECT_ID"),
            names,
            required,
        })
    }

    /// The 0-based column of a [`REQUIRED`] field.
    fn index(&self, field: &str) -> Result<usize, String> {
        REQUIRED
            .iter()
            .position(|f| *f == field)
            .map(|i| self.required[i])
            .ok_or_else(|| format!("{field} is not an OMM field this reader knows"))
    }

    /// The value of `field` in `record`, or why there is none.
    fn field<'r>(&self, record: &'r csv::StringRecord, field: &str) -> Result<&'r str, String> {
        let index = self.index(field)?;
        match record.get(index) {
            Some(value) if !value.trim().is_empty() => Ok(value.trim()),
            Some(_) => Err(format!("column {} ({field}): empty", index + 1)),
            None => Err(format!(
                "column {} ({field}): missing (the row has {} fields, the header {})",
                index + 1,
                record.len(),
                self.names.len()
            )),
        }
    }

    /// A whole number (catalogue number, element set, revolution, type).
    fn integer<T: std::str::FromStr>(
        &self,
        record: &csv::StringRecord,
        field: &str,
    ) -> Result<T, String> {
        let value = self.field(record, field)?;
        value.parse().map_err(|_| {
            format!(
                "column {} ({field}): \"{}\" is not a whole number in range",
                self.index(field).map_or(0, |i| i + 1),
                shorten(value)
            )
        })
    }

    /// A finite float; `inf` and `NaN` parse but describe no orbit.
    fn float(&self, record: &csv::StringRecord, field: &str) -> Result<f64, String> {
        let value = self.field(record, field)?;
        match value.parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(number),
            _ => Err(format!(
                "column {} ({field}): \"{}\" is not a finite number",
                self.index(field).map_or(0, |i| i + 1),
                shorten(value)
            )),
        }
    }

    /// One row as elements, or the first problem in it.
    fn elements(&self, record: &csv::StringRecord) -> Result<Elements, String> {
        let optional = |column: Option<usize>| {
            column
                .and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(Elements {
            object_name: optional(self.object_name),
            international_designator: optional(self.object_id),
            norad_id: self.integer(record, "NORAD_CAT_ID")?,
            classification: self.classification(record)?,
            datetime: self.epoch(record)?,
            mean_motion_dot: self.float(record, "MEAN_MOTION_DOT")?,
            mean_motion_ddot: self.float(record, "MEAN_MOTION_DDOT")?,
            drag_term: self.float(record, "BSTAR")?,
            element_set_number: self.integer(record, "ELEMENT_SET_NO")?,
            inclination: self.float(record, "INCLINATION")?,
            right_ascension: self.float(record, "RA_OF_ASC_NODE")?,
            eccentricity: self.float(record, "ECCENTRICITY")?,
            argument_of_perigee: self.float(record, "ARG_OF_PERICENTER")?,
            mean_anomaly: self.float(record, "MEAN_ANOMALY")?,
            mean_motion: self.float(record, "MEAN_MOTION")?,
            revolution_number: self.integer(record, "REV_AT_EPOCH")?,
            ephemeris_type: self.integer(record, "EPHEMERIS_TYPE")?,
        })
    }

    fn classification(&self, record: &csv::StringRecord) -> Result<Classification, String> {
        match self.field(record, "CLASSIFICATION_TYPE")? {
            "U" => Ok(Classification::Unclassified),
            "C" => Ok(Classification::Classified),
            "S" => Ok(Classification::Secret),
            other => Err(format!(
                "column {} (CLASSIFICATION_TYPE): \"{}\" is not U, C or S",
                self.index("CLASSIFICATION_TYPE").map_or(0, |i| i + 1),
                shorten(other)
            )),
        }
    }

    fn epoch(&self, record: &csv::StringRecord) -> Result<NaiveDateTime, String> {
        let value = self.field(record, "EPOCH")?;
        let column = self.index("EPOCH").map_or(0, |i| i + 1);
        let epoch = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").map_err(|err| {
            format!(
                "column {column} (EPOCH): \"{}\" is not a UTC instant like 2025-11-29T20:01:44.058144 ({err})",
                shorten(value)
            )
        })?;
        match implausible_epoch(&epoch) {
            None => Ok(epoch),
            Some(problem) => Err(format!("column {column} (EPOCH): {problem}")),
        }
    }
}

/// A CSV-level problem (bad quoting, invalid UTF-8), with its line.
fn csv_error(text: &str, err: &csv::Error) -> EntryError {
    let line = err.position().map_or(1, |p| line_at(text, p));
    EntryError::new(line, format!("not valid CSV: {err}"))
}

/// The 1-based line a record starts on. The `csv` crate's own line count
/// lags by one after a CRLF ending (the LF is counted with the next record),
/// so it is taken from the byte offset instead, past any line ending.
fn line_at(text: &str, position: &csv::Position) -> usize {
    let bytes = text.as_bytes();
    let mut at = usize::try_from(position.byte())
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
        at += 1;
    }
    1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()
}

/// At most 40 characters of a field, for messages.
fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,ECCENTRICITY,INCLINATION,RA_OF_ASC_NODE,ARG_OF_PERICENTER,MEAN_ANOMALY,EPHEMERIS_TYPE,CLASSIFICATION_TYPE,NORAD_CAT_ID,ELEMENT_SET_NO,REV_AT_EPOCH,BSTAR,MEAN_MOTION_DOT,MEAN_MOTION_DDOT";
    const ISS: &str = "ISS (ZARYA),1998-067A,2025-11-29T20:01:44.058144,15.49193835,.0003723,51.6312,206.3646,184.1118,175.9840,0,U,25544,999,54085,.15237E-3,.801E-4,0";

    #[test]
    fn reads_celestrak_rows_the_way_the_json_reader_does() {
        let (entries, errors) = parse(&format!("{HEADER}\r\n{ISS}\r\n"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].line, 2);
        let json = r#"{"OBJECT_NAME":"ISS (ZARYA)","OBJECT_ID":"1998-067A","EPOCH":"2025-11-29T20:01:44.058144","MEAN_MOTION":15.49193835,"ECCENTRICITY":0.0003723,"INCLINATION":51.6312,"RA_OF_ASC_NODE":206.3646,"ARG_OF_PERICENTER":184.1118,"MEAN_ANOMALY":175.984,"EPHEMERIS_TYPE":0,"CLASSIFICATION_TYPE":"U","NORAD_CAT_ID":25544,"ELEMENT_SET_NO":999,"REV_AT_EPOCH":54085,"BSTAR":0.00015237,"MEAN_MOTION_DOT":8.01e-5,"MEAN_MOTION_DDOT":0}"#;
        let from_json: Elements = serde_json::from_str(json).unwrap();
        assert_eq!(entries[0].elements, from_json);
    }

    #[test]
    fn carries_catalogue_numbers_above_99999_and_quoted_names() {
        let row = ISS
            .replace("ISS (ZARYA)", "\"STARLINK-9999, TEST\"")
            .replace(",25544,", ",270123,");
        let (entries, errors) = parse(&format!("{HEADER}\n{row}\n"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries[0].elements.norad_id, 270_123);
        assert_eq!(
            entries[0].elements.object_name.as_deref(),
            Some("STARLINK-9999, TEST")
        );
    }

    #[test]
    fn columns_are_found_by_header_not_position() {
        let mut header: Vec<&str> = HEADER.split(',').collect();
        let mut row: Vec<&str> = ISS.split(',').collect();
        header.reverse();
        row.reverse();
        let (entries, errors) = parse(&format!("{}\n{}\n", header.join(","), row.join(",")));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries[0].elements.norad_id, 25544);
        assert!((entries[0].elements.inclination - 51.6312).abs() < 1e-12);
    }

    #[test]
    fn a_bad_field_names_line_column_and_field_and_the_rest_is_kept() {
        let bad = ISS.replace(",51.6312,", ",steep,");
        let (entries, errors) = parse(&format!("{HEADER}\n{ISS}\n{bad}\n{ISS}\n"));
        assert_eq!(entries.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert_eq!(
            errors[0].message,
            "column 6 (INCLINATION): \"steep\" is not a finite number"
        );
    }

    #[test]
    fn short_rows_bad_epochs_and_odd_classifications_are_named() {
        let short = ISS.rsplitn(3, ',').nth(2).unwrap();
        let epoch = ISS.replace("2025-11-29T20:01:44.058144", "yesterday");
        let class = ISS.replace(",U,", ",X,");
        let nan = ISS.replace(",.0003723,", ",NaN,");
        let (entries, errors) = parse(&format!("{HEADER}\n{short}\n{epoch}\n{class}\n{nan}\n"));
        assert!(entries.is_empty());
        let messages: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(messages[0].0, 2);
        assert!(
            messages[0]
                .1
                .contains("missing (the row has 15 fields, the header 17)"),
            "{messages:?}"
        );
        assert_eq!(messages[1].0, 3);
        assert!(
            messages[1].1.starts_with("column 3 (EPOCH)"),
            "{messages:?}"
        );
        assert_eq!(
            messages[2],
            (4, "column 11 (CLASSIFICATION_TYPE): \"X\" is not U, C or S")
        );
        assert_eq!(
            messages[3],
            (5, "column 5 (ECCENTRICITY): \"NaN\" is not a finite number")
        );
    }

    #[test]
    fn control_characters_of_a_field_are_escaped_in_the_message() {
        // A field quoted as it is would let a catalogue write a terminal
        // escape into the log line (a `cargo fuzz run omm_csv` finding).
        let bad = ISS.replace(",25544,", ",576\u{f}\u{1b}[2J1849,");
        let (entries, errors) = parse(&format!("{HEADER}\n{bad}\n"));
        assert!(entries.is_empty());
        assert_eq!(errors[0].line, 2);
        assert_eq!(
            errors[0].message,
            r#"column 12 (NORAD_CAT_ID): "576\u{f}\u{1b}[2J1849" is not a whole number in range"#
        );
    }

    #[test]
    fn epochs_no_element_set_has_are_refused() {
        let far = ISS.replace("2025-11-29T20:01:44.058144", "+20000-06-25T00:33:43");
        let old = ISS.replace("2025-11-29T20:01:44.058144", "1956-12-31T23:59:59");
        let (entries, errors) = parse(&format!("{HEADER}\n{far}\n{old}\n{ISS}\n"));
        assert_eq!(entries.len(), 1);
        let messages: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    2,
                    "column 3 (EPOCH): +20000-06-25 00:33:43 is outside the years 1957 to 2099 (the first satellite to the end of the century)"
                ),
                (
                    3,
                    "column 3 (EPOCH): 1956-12-31 23:59:59 is outside the years 1957 to 2099 (the first satellite to the end of the century)"
                )
            ]
        );
    }

    #[test]
    fn a_header_without_the_needed_columns_is_one_error() {
        let (entries, errors) =
            parse("OBJECT_NAME,NORAD_CAT_ID,EPOCH\nISS,25544,2025-11-29T20:01:44\n");
        assert!(entries.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(
            errors[0]
                .message
                .contains("lacks MEAN_MOTION, ECCENTRICITY"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn detection_needs_a_header_with_norad_cat_id() {
        assert!(looks_like_csv(&format!("\u{feff}{HEADER}\n{ISS}\n")));
        assert!(!looks_like_csv("ISS (ZARYA), THE STATION\n1 25544U ...\n"));
        assert!(!looks_like_csv("[{\"NORAD_CAT_ID\": 1}]"));
    }
}
