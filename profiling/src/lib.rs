//! satloc-profiling: placeholder, built in issue 4.
