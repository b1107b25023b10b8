//! One step of a sweep: an open-loop run at one rate, and the verdict on
//! it.
//!
//! The verdict separates what the server did from what the generator
//! could do. Latency is timed from each query's due time, so when the
//! generator itself cannot keep to the timetable its own lag lands in the
//! percentiles; such a step is therefore judged as the generator's
//! shortfall first, before the latency objective is read, and is never
//! counted against the server. A rate can also fall short because every
//! socket's window is full of queries the server has not answered yet
//! (the worker counts those waits): that shortfall is the server's
//! backlog, and judged as such. (A window made tiny on purpose, with
//! `--socket-buffer 1 --sockets 1`, would be read the same way: the
//! windows the `window` module sizes hold thousands of queries.)

use std::time::SystemTime;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::run::RunResult;
use crate::stats::{Counters, LatencySummary, MeasuredSecond, SecondFigures};
use crate::sweep::slo::{Slo, format_us};

/// How far the generator may fall behind its timetable, in percent of the
/// offered rate, before a step counts as one it could not offer. A brief
/// stall it catches up from sends the queries late but still sends them
/// (the lag is in the latencies); only a sustained shortfall shows here.
pub const GENERATOR_SHORTFALL_LIMIT_PCT: f64 = 5.0;

/// What a step is held to.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Every latency objective (`--slo`).
    pub slos: Vec<Slo>,
    /// Most queries that may go unanswered, in percent (`--max-loss`).
    pub max_loss_pct: f64,
    /// A latency this many times over its limit ends the sweep
    /// (`--stop-factor`): past the knee, further steps only pile up
    /// timeouts.
    pub far_factor: f64,
}

/// Whether a step was part of the plan, a bisection between the last
/// good and the first bad step, or a failing rate run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// A rate of `--rates`.
    Plan,
    /// A rate chosen by `--refine`.
    Refine,
    /// A rate that failed, run again by `--confirm`.
    Confirm,
}

/// One objective, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SloCheck {
    /// The objective.
    #[serde(flatten)]
    pub slo: Slo,
    /// The step's latency at that percentile, µs.
    pub value_us: u64,
    /// Whether the value is within the limit.
    pub met: bool,
}

impl SloCheck {
    /// How many times over its limit the value is.
    fn ratio(&self) -> f64 {
        self.value_us as f64 / self.slo.limit_us as f64
    }
}

/// What a step says about the server (or the generator).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Every objective met, losses within the limit, rate offered.
    Meets,
    /// An objective missed (the worst one given).
    MissesSlo(SloCheck),
    /// An objective missed by more than the stop factor.
    MissesSloFar(SloCheck),
    /// More queries went unanswered than allowed.
    Loses {
        /// Share unanswered, percent of sent.
        lost_pct: f64,
    },
    /// The rate fell short because every socket's window was full of
    /// unanswered queries: the server's backlog held sending back.
    Backlog {
        /// How far the sent rate fell short of the offered rate, percent.
        shortfall_pct: f64,
    },
    /// The generator could not send on the timetable: its limit, not the
    /// server's.
    GeneratorShort {
        /// How far the sent rate fell short of the offered rate, percent.
        shortfall_pct: f64,
    },
}

impl Verdict {
    /// Whether the step counts towards the capacity.
    pub fn meets(&self) -> bool {
        matches!(self, Self::Meets)
    }

    /// Whether no higher rate is worth offering after this step.
    pub fn stops_sweep(&self) -> bool {
        matches!(
            self,
            Self::MissesSloFar(_)
                | Self::Loses { .. }
                | Self::Backlog { .. }
                | Self::GeneratorShort { .. }
        )
    }

    /// Whether running the rate again could change the verdict: anything
    /// but a met objective or the generator's own shortfall (which says
    /// nothing about the server).
    pub fn worth_confirming(&self) -> bool {
        !matches!(self, Self::Meets | Self::GeneratorShort { .. })
    }

    /// A short machine-readable label.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Meets => "ok",
            Self::MissesSlo(_) => "slo-miss",
            Self::MissesSloFar(_) => "slo-miss-far",
            Self::Loses { .. } => "lost",
            Self::Backlog { .. } => "backlog",
            Self::GeneratorShort { .. } => "generator-short",
        }
    }

    /// The verdict in a few words, with the figure that decided it.
    pub fn describe(&self) -> String {
        match self {
            Self::Meets => "ok".to_owned(),
            Self::MissesSlo(check) | Self::MissesSloFar(check) => format!(
                "{} {} > {}{}",
                check.slo.name(),
                format_us(check.value_us),
                format_us(check.slo.limit_us),
                if matches!(self, Self::MissesSloFar(_)) {
                    format!(" ({:.0}x: stop)", check.ratio())
                } else {
                    String::new()
                }
            ),
            Self::Loses { lost_pct } => format!("lost {lost_pct:.2}%: stop"),
            Self::Backlog { shortfall_pct } => format!(
                "sent {shortfall_pct:.1}% short, every window full of unanswered queries (server backlog): stop"
            ),
            Self::GeneratorShort { shortfall_pct } => format!(
                "GENERATOR could not send on time ({shortfall_pct:.1}% short): stop, not the server's limit"
            ),
        }
    }
}

/// What a step measured that the verdict reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured<'a> {
    /// Unanswered queries, percent of sent.
    pub lost_pct: f64,
    /// How far the sent rate fell short of the offered rate, percent.
    pub shortfall_pct: f64,
    /// Waits for a window full of unanswered queries.
    pub window_stalls: u64,
    /// Each objective checked.
    pub checks: &'a [SloCheck],
}

/// Judges a step. A shortfall with no window ever full is the generator's
/// own (it had room to send and did not keep up), and then nothing else it
/// measured says anything about the server: a saturated generator also
/// reads answers late, and its latencies carry its lag. Otherwise losses,
/// then a shortfall behind full windows (the server's backlog), then the
/// objectives decide.
pub fn judge(limits: &Limits, measured: &Measured<'_>) -> Verdict {
    let Measured {
        lost_pct,
        shortfall_pct,
        window_stalls,
        checks,
    } = *measured;
    let short = shortfall_pct > GENERATOR_SHORTFALL_LIMIT_PCT;
    if short && window_stalls == 0 {
        return Verdict::GeneratorShort { shortfall_pct };
    }
    if lost_pct > limits.max_loss_pct {
        return Verdict::Loses { lost_pct };
    }
    if short {
        return Verdict::Backlog { shortfall_pct };
    }
    let worst = checks
        .iter()
        .filter(|check| !check.met)
        .max_by(|a, b| a.ratio().total_cmp(&b.ratio()));
    match worst {
        None => Verdict::Meets,
        Some(check) if check.ratio() >= limits.far_factor => Verdict::MissesSloFar(*check),
        Some(check) => Verdict::MissesSlo(*check),
    }
}

/// A finished step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its number in the order run, from 1.
    pub number: usize,
    /// Planned or refining.
    pub phase: Phase,
    /// The rate asked for, queries per second.
    pub offered_qps: f64,
    /// The rate queries actually went out at.
    pub sent_qps: f64,
    /// Answers per second.
    pub answered_qps: f64,
    /// Every outcome counted.
    pub counters: Counters,
    /// Unanswered queries, percent of sent.
    pub lost_pct: f64,
    /// The latency figures.
    pub latency: LatencySummary,
    /// Each objective checked.
    pub checks: Vec<SloCheck>,
    /// How far the sent rate fell short of the offered rate, percent.
    pub shortfall_pct: f64,
    /// The most any query went out after its due time, µs.
    pub max_send_lag_us: u64,
    /// The verdict.
    pub verdict: Verdict,
    /// Every latency measured.
    pub histogram: Histogram<u64>,
    /// When measurement began, on the wall clock.
    pub measure_start: SystemTime,
    /// Each measured second's figures, for the report.
    pub seconds: Vec<SecondFigures>,
}

impl Step {
    /// The step that `result` measured at `offered_qps`, and the seconds
    /// it kept (for the log).
    pub fn from_run(
        number: usize,
        phase: Phase,
        offered_qps: f64,
        result: RunResult,
        limits: &Limits,
    ) -> (Self, Vec<MeasuredSecond>) {
        let counters = result.counters;
        let lost_pct = if counters.sent > 0 {
            100.0 * counters.lost as f64 / counters.sent as f64
        } else {
            0.0
        };
        let open_loop = result.report.open_loop.as_ref();
        let shortfall_pct = open_loop.map_or(0.0, |open| open.shortfall_pct);
        let checks: Vec<SloCheck> = limits
            .slos
            .iter()
            .map(|slo| {
                let value_us = slo.value_us(&result.histogram);
                SloCheck {
                    slo: *slo,
                    value_us,
                    met: value_us <= slo.limit_us && !result.histogram.is_empty(),
                }
            })
            .collect();
        let verdict = judge(
            limits,
            &Measured {
                lost_pct,
                shortfall_pct,
                window_stalls: open_loop.map_or(0, |open| open.window_stalls),
                checks: &checks,
            },
        );
        let step = Self {
            number,
            phase,
            offered_qps,
            sent_qps: open_loop.map_or(0.0, |open| open.achieved_qps),
            answered_qps: result.report.qps,
            lost_pct,
            latency: result.report.latency_us,
            checks,
            shortfall_pct,
            max_send_lag_us: open_loop.map_or(0, |open| open.max_send_lag_us),
            verdict,
            counters,
            histogram: result.histogram,
            measure_start: result.measure_start,
            seconds: result.report.seconds.unwrap_or_default(),
        };
        (step, result.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            slos: vec![Slo::parse("p99=1ms").unwrap()],
            max_loss_pct: 1.0,
            far_factor: 10.0,
        }
    }

    fn check(value_us: u64) -> SloCheck {
        let slo = Slo::parse("p99=1ms").unwrap();
        SloCheck {
            slo,
            value_us,
            met: value_us <= slo.limit_us,
        }
    }

    fn verdict(lost_pct: f64, shortfall_pct: f64, window_stalls: u64, p99_us: u64) -> Verdict {
        judge(
            &limits(),
            &Measured {
                lost_pct,
                shortfall_pct,
                window_stalls,
                checks: &[check(p99_us)],
            },
        )
    }

    #[test]
    fn verdicts_in_order_of_precedence() {
        assert_eq!(verdict(0.5, 1.0, 0, 900), Verdict::Meets);
        assert_eq!(verdict(0.0, 0.0, 0, 2000), Verdict::MissesSlo(check(2000)));
        assert_eq!(
            verdict(0.0, 0.0, 0, 10_000),
            Verdict::MissesSloFar(check(10_000))
        );
        assert_eq!(
            verdict(0.0, 30.0, 0, 50_000),
            Verdict::GeneratorShort {
                shortfall_pct: 30.0
            }
        );
        assert_eq!(
            verdict(0.0, 30.0, 12, 50_000),
            Verdict::Backlog {
                shortfall_pct: 30.0
            }
        );
        assert_eq!(
            verdict(5.0, 30.0, 0, 500),
            Verdict::GeneratorShort {
                shortfall_pct: 30.0
            }
        );
        assert_eq!(verdict(5.0, 30.0, 3, 500), Verdict::Loses { lost_pct: 5.0 });
        assert_eq!(verdict(5.0, 0.0, 0, 500), Verdict::Loses { lost_pct: 5.0 });
        assert!(!Verdict::MissesSlo(check(2000)).stops_sweep());
        assert!(Verdict::MissesSloFar(check(20_000)).stops_sweep());
        assert_eq!(
            Verdict::MissesSloFar(check(20_000)).describe(),
            "p99 20ms > 1ms (20x: stop)"
        );
    }
}
