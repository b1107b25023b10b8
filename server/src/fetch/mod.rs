//! Fetching element sets over HTTP(S) and keeping them fresh.
//!
//! [`stats`] is what the fetcher reports for metrics and logs.

pub mod stats;
