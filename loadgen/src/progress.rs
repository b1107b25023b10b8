//! The live progress line: per-second rate and p99 while a run is going.
//!
//! Drawn on stderr with indicatif, and only when stderr is a terminal (the
//! decision is made in the configuration): piped or redirected output gets
//! the summary alone, never escape codes.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::StopCondition;
use crate::report::group;

/// A progress bar, or nothing.
#[derive(Debug)]
pub struct Progress {
    /// The bar, when drawing.
    bar: Option<ProgressBar>,
    /// Whether the bar counts queries (`--requests`) rather than seconds.
    counts_queries: bool,
}

impl Progress {
    /// A bar for a run of `stop` after `warmup`; hidden unless `enabled`.
    pub fn new(enabled: bool, stop: StopCondition, warmup: Duration) -> Self {
        if !enabled {
            return Self {
                bar: None,
                counts_queries: false,
            };
        }
        let (length, counts_queries, template) = match stop {
            StopCondition::Duration(duration) => (
                (warmup + duration).as_secs().max(1),
                false,
                "{elapsed:>4} [{bar:30}] {pos}/{len}s  {msg}",
            ),
            StopCondition::Requests(requests) => (
                requests,
                true,
                "{elapsed:>4} [{bar:30}] {human_pos}/{human_len}  {msg}",
            ),
        };
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(if warmup.is_zero() {
            "starting"
        } else {
            "warming up"
        });
        Self {
            bar: Some(bar),
            counts_queries,
        }
    }

    /// Shows one finished second: `warmup` tells whether it was warm-up,
    /// `elapsed_s` is its end in seconds since the start, `done` the measured
    /// queries resolved so far.
    pub fn second(
        &self,
        warmup: bool,
        elapsed_s: f64,
        qps: f64,
        p99_us: u64,
        lost: u64,
        done: u64,
    ) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.set_position(if self.counts_queries {
            done
        } else {
            elapsed_s as u64
        });
        let phase = if warmup { "warm-up: " } else { "" };
        bar.set_message(format!(
            "{phase}{} qps  p99 {} us  lost {}",
            group(qps.round() as u64),
            group(p99_us),
            group(lost)
        ));
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
