//! Fuzzes the OMM JSON reader on its own: on any text it must not panic, must
//! give the same result twice, must name only lines of the text, in order,
//! with one printable bounded line per problem (`satloc_fuzz::parse_checked`),
//! and every entry it reads must start on the line of its record's `{` and
//! have elements SGP4 can start from (`satloc_fuzz::check_elements`).
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run omm_json -- -max_total_time=300

#![no_main]

use libfuzzer_sys::fuzz_target;
use satloc_fuzz::{check_elements, parse_checked, text_of};
use satloc_server::catalog::Format;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let (entries, _) = parse_checked(Format::OmmJson, &text);
    let lines: Vec<&str> = text.split('\n').collect();
    for entry in &entries {
        assert!(
            lines[entry.line - 1].contains('{'),
            "entry on line {}, which holds no record's start: {:?}",
            entry.line,
            lines[entry.line - 1]
        );
        check_elements(Format::OmmJson, entry);
    }
});
