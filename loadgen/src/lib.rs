//! satloc-loadgen: placeholder, built in issue 3.
