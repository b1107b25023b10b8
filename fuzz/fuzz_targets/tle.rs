//! Fuzzes the TLE reader (two- and three-line element text) on its own: on
//! any text it must not panic, must give the same result twice, must name
//! only lines of the text, in order, with one printable bounded line per
//! problem (`satloc_fuzz::parse_checked`), and every entry it reads must start
//! on a line that holds element text (a name or a line 1) and have elements
//! SGP4 can start from (`satloc_fuzz::check_elements`).
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run tle -- -max_total_time=300

#![no_main]

use libfuzzer_sys::fuzz_target;
use satloc_fuzz::{check_elements, parse_checked, text_of};
use satloc_server::catalog::Format;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let (entries, _) = parse_checked(Format::Tle, &text);
    let lines: Vec<&str> = text.lines().collect();
    for entry in &entries {
        // As the reader sees it: trailing white space gone, a comment being
        // a '#' in the first column ("2 " alone is a name, "2").
        let line = lines[entry.line - 1].trim_end();
        assert!(
            !line.trim().is_empty() && !line.starts_with('#'),
            "entry on line {} starts on a blank or comment line {line:?}",
            entry.line
        );
        assert!(
            !line.starts_with("2 "),
            "entry on line {} starts on a line 2",
            entry.line
        );
        check_elements(Format::Tle, entry);
    }
});
