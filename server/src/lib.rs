//! satloc-server library.
