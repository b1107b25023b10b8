//! Fuzzes the OMM CSV reader on its own: on any text it must not panic, must
//! give the same result twice, must name only lines of the text, in order,
//! with one printable bounded line per problem (`satloc_fuzz::parse_checked`),
//! and every entry it reads must have elements SGP4 can start from
//! (`satloc_fuzz::check_elements`) and start on a line after the header's
//! (or on the header's line when a lone carriage return, which the `csv`
//! crate takes for a line end, ended the header: lines are counted by line
//! feeds, as everywhere else).
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run omm_csv -- -max_total_time=300

#![no_main]

use libfuzzer_sys::fuzz_target;
use satloc_fuzz::{check_elements, parse_checked, text_of};
use satloc_server::catalog::Format;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let (entries, _) = parse_checked(Format::OmmCsv, &text);
    let first_line = text.split('\n').next().unwrap_or("");
    let header_ends_in_cr = first_line.trim_end_matches('\r').contains('\r');
    for entry in &entries {
        assert!(
            entry.line >= 2 || header_ends_in_cr,
            "entry on line {}, the header's",
            entry.line
        );
        check_elements(Format::OmmCsv, entry);
    }
});
