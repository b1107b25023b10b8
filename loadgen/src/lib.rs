//! satloc-loadgen: a DNS load generator that generates more load than dnsperf
//! with the same CPU and tells the truth about latency.
//!
//! It drives any DNS server over UDP or TCP, in a closed loop (a fixed number
//! of queries in flight) or an open loop (a fixed timetable, latency timed
//! from each query's due time so that a stalled server shows in the
//! percentiles). Every response is matched to its query; latencies go into
//! HDR histograms that can be logged per second and merged across hosts.
//!
//! The crate is laid out by what each part is:
//!
//! - [`cli`] and [`config`]: the command line, and the checked settings it
//!   becomes;
//! - [`query`]: what to send, encoded once by hickory-proto;
//! - [`transport`]: moving bytes, UDP ([`transport::udp`]) and TCP
//!   ([`transport::tcp`]);
//! - [`inflight`]: the per-socket table of queries awaiting answers, and
//!   [`window`]: how many a UDP socket's receive buffer allows;
//! - [`response`]: what an answer is (fast path checked against
//!   hickory-proto);
//! - [`schedule`]: the run's clock, the open-loop timetable and the split
//!   over threads;
//! - [`worker`]: one thread's measurement loop;
//! - [`stats`], [`hdrlog`], [`report`], [`progress`]: counting, logging,
//!   summarising and showing; [`alignment`]: whether the logs of several
//!   hosts line up in time;
//! - [`run`]: a whole run, start to report, with the coordinating
//!   thread's collecting of the workers' seconds in `collect`;
//! - [`sweep`]: runs at rising rates against a latency objective, and the
//!   capacity they show; [`page`]: the HTML report with its plots;
//! - [`compare`]: two runs' or sweeps' JSON judged against their noise,
//!   for a CI gate and a tracker's history.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::sync::atomic::AtomicBool;
//! use clap::Parser;
//! use satloc_loadgen::cli::Cli;
//!
//! let cli = Cli::parse_from(["satloc-loadgen", "--qname", "iss.sat.example", "--qtype", "LOC",
//!     "--server", "127.0.0.1:5353", "--duration", "2s"]);
//! let config = cli.run.into_config()?;
//! let result = satloc_loadgen::run::run(&config, Arc::new(AtomicBool::new(false)))?;
//! println!("{}", result.report.to_text());
//! # Ok::<(), satloc_loadgen::error::LoadgenError>(())
//! ```

#![forbid(unsafe_code)]

pub mod alignment;
pub mod cli;
mod collect;
pub mod compare;
pub mod config;
pub mod error;
pub mod hdrlog;
pub mod inflight;
pub mod page;
pub mod progress;
pub mod query;
pub mod report;
pub mod response;
pub mod run;
pub mod schedule;
pub mod stats;
pub mod sweep;
pub mod transport;
pub mod window;
pub mod worker;
