//! `satloc-loadgen sweep`: a server's capacity in one command.
//!
//! A sweep is a series of open-loop runs ([`crate::run::run`], the same
//! code path as `--rate`) at rising rates, each with its own warm-up and
//! each judged against a latency objective ([`slo`]), a loss limit, and
//! whether the generator could offer the rate at all ([`step`]). It stops
//! after the first step that misses the objective by far, loses too much,
//! or could not be offered; then it bisects between the last good and the
//! first bad rate ([`SweepConfig::refine`] steps) and reports the highest
//! rate that met everything as the capacity.
//!
//! Rates are planned by [`plan`]; the results are written by [`output`]
//! (table, JSON, CSV) and [`log`] (one HdrHistogram interval log for the
//! whole sweep, each step's seconds tagged).

pub mod log;
pub mod output;
pub mod plan;
pub mod slo;
pub mod step;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::config::{Config, JsonTarget, LoadModel, StopCondition};
use crate::error::LoadgenError;
use crate::run::run;
use log::SweepLog;
use step::{Limits, Phase, Step, Verdict};

/// Bisection stops early once the bracket is narrower than this share of
/// its lower end: a finer capacity would be below the noise of a step.
const REFINE_RESOLUTION: f64 = 0.005;

/// A checked sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Everything but the rate and the stop: server, transport, queries,
    /// threads, warm-up per step, timeout.
    pub base: Config,
    /// The planned rates, lowest first.
    pub rates: Vec<f64>,
    /// How long each step measures, after its warm-up.
    pub step_duration: Duration,
    /// What each step is held to.
    pub limits: Limits,
    /// Bisection steps between the last good and the first bad rate.
    pub refine: usize,
    /// Where the JSON summary goes.
    pub json: Option<JsonTarget>,
    /// Where the CSV table goes.
    pub csv: Option<PathBuf>,
    /// Where the interval log of the whole sweep goes.
    pub hdr_log: Option<PathBuf>,
    /// The directory the HTML report goes to.
    pub report: Option<PathBuf>,
    /// The command line, for the outputs to say how they were made.
    pub command_line: String,
}

/// What limited the capacity found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CapacityLimit {
    /// The server: the first rate above the capacity missed the SLO or
    /// lost too much.
    Server {
        /// The lowest rate that failed.
        failed_qps: f64,
    },
    /// The generator could not offer the next rate: the capacity is a
    /// lower bound (give more `--threads`, or more load hosts).
    Generator {
        /// The lowest rate the generator could not offer.
        short_qps: f64,
    },
    /// Every step met the objective: the capacity is above the highest
    /// rate offered.
    NotReached,
}

/// The sweep's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Capacity {
    /// The highest offered rate that met every objective below the first
    /// failing one; `None` if the lowest rate already failed.
    pub qps: Option<f64>,
    /// What bounds it.
    pub limit: CapacityLimit,
}

/// Everything a sweep measured.
#[derive(Debug)]
pub struct SweepResult {
    /// The steps in the order they ran.
    pub steps: Vec<Step>,
    /// The capacity found.
    pub capacity: Capacity,
    /// Why the sweep ended early, if a run failed; the steps hold what was
    /// measured until then.
    pub error: Option<LoadgenError>,
}

/// Runs the sweep, calling `on_step` as each step finishes. Errors before
/// the first query (sockets, a refused TCP port) are returned as `Err`.
pub fn run_sweep(
    sweep: &SweepConfig,
    abort: &Arc<AtomicBool>,
    mut on_step: impl FnMut(&Step),
) -> Result<SweepResult, LoadgenError> {
    let log = sweep
        .hdr_log
        .as_deref()
        .map(|path| SweepLog::create(path, sweep, SystemTime::now()))
        .transpose()?;
    let mut runner = StepRunner {
        sweep,
        abort,
        steps: Vec::new(),
        log,
    };
    let mut error = match runner.planned(&mut on_step)? {
        Next::Judged(_) => runner.refined(&mut on_step),
        Next::End(error) => error,
    };
    if let Some(log) = runner.log.take()
        && let Err(log_error) = log.finish()
    {
        error.get_or_insert(log_error);
    }
    let capacity = capacity(&runner.steps);
    Ok(SweepResult {
        steps: runner.steps,
        capacity,
        error,
    })
}

/// Runs steps one after another and keeps them.
struct StepRunner<'a> {
    /// The sweep.
    sweep: &'a SweepConfig,
    /// Set to stop early (Ctrl-C).
    abort: &'a Arc<AtomicBool>,
    /// The steps so far.
    steps: Vec<Step>,
    /// The interval log, while it is being written.
    log: Option<SweepLog>,
}

/// What the sweep does after a step.
#[derive(Debug)]
enum Next {
    /// The step was judged: its verdict says whether to go on.
    Judged(Verdict),
    /// The sweep ends: interrupted (the unfinished step is not counted), or
    /// a run failed with this error.
    End(Option<LoadgenError>),
}

impl StepRunner<'_> {
    /// The planned rates, until one stops the sweep: `End` if the sweep must
    /// not go on to refine.
    fn planned(&mut self, on_step: &mut impl FnMut(&Step)) -> Result<Next, LoadgenError> {
        for &rate in &self.sweep.rates {
            match self.step(Phase::Plan, rate, on_step)? {
                Next::Judged(verdict) if verdict.stops_sweep() => break,
                Next::Judged(_) => {}
                end @ Next::End(_) => return Ok(end),
            }
        }
        Ok(Next::Judged(Verdict::Meets))
    }

    /// Bisects between the capacity so far and the first failing rate.
    fn refined(&mut self, on_step: &mut impl FnMut(&Step)) -> Option<LoadgenError> {
        let found = capacity(&self.steps);
        let (Some(mut good), Some(mut bad)) = (found.qps, failed_rate(found.limit)) else {
            return None;
        };
        for _ in 0..self.sweep.refine {
            if (bad - good) < good * REFINE_RESOLUTION {
                break;
            }
            let rate = (good + bad) / 2.0;
            match self.step(Phase::Refine, rate, on_step) {
                Ok(Next::End(error)) => return error,
                Err(error) => return Some(error),
                Ok(Next::Judged(verdict)) if verdict.meets() => good = rate,
                Ok(Next::Judged(_)) => bad = rate,
            }
        }
        None
    }

    /// Runs one step at `rate` and judges it. `Err` only if the very first
    /// step cannot start (nothing measured yet, as for a run); a later
    /// failure ends the sweep with what it measured.
    fn step(
        &mut self,
        phase: Phase,
        rate: f64,
        on_step: &mut impl FnMut(&Step),
    ) -> Result<Next, LoadgenError> {
        let mut config = self.sweep.base.clone();
        config.load = LoadModel::Open { rate_qps: rate };
        config.stop = StopCondition::Duration(self.sweep.step_duration);
        config.json = None;
        config.hdr_log = None;
        config.report = None;
        config.progress = false;
        config.keep_seconds = self.sweep.hdr_log.is_some();
        let mut result = match run(&config, Arc::clone(self.abort)) {
            Ok(result) => result,
            Err(error) if self.steps.is_empty() => return Err(error),
            Err(error) => return Ok(Next::End(Some(error))),
        };
        if self.abort.load(Ordering::Relaxed) {
            // Cut short, its rate falls short of the timetable: judging it
            // would blame someone for the interruption.
            return Ok(Next::End(None));
        }
        // A server that answers nothing has a step that lost everything,
        // which the verdict says; any other error ends the sweep.
        let mut error = match result.error.take() {
            Some(LoadgenError::NoResponse { .. }) | None => None,
            Some(other) => Some(other),
        };
        let (step, seconds) = Step::from_run(
            self.steps.len() + 1,
            phase,
            rate,
            result,
            &self.sweep.limits,
        );
        if let Some(log) = &mut self.log
            && let Err(log_error) = log.add_step(&step, &seconds)
        {
            // The sweep ends with what it measured, and says why.
            error.get_or_insert(log_error);
            self.log = None;
        }
        on_step(&step);
        let verdict = step.verdict;
        self.steps.push(step);
        Ok(match error {
            None => Next::Judged(verdict),
            Some(error) => Next::End(Some(error)),
        })
    }
}

/// The lowest failing rate a capacity limit names.
fn failed_rate(limit: CapacityLimit) -> Option<f64> {
    match limit {
        CapacityLimit::Server { failed_qps } => Some(failed_qps),
        CapacityLimit::Generator { short_qps } => Some(short_qps),
        CapacityLimit::NotReached => None,
    }
}

/// The highest rate that met everything below the lowest rate that did
/// not (a good step above a failed one is noise, not capacity).
pub fn capacity(steps: &[Step]) -> Capacity {
    let first_bad = steps
        .iter()
        .filter(|step| !step.verdict.meets())
        .min_by(|a, b| a.offered_qps.total_cmp(&b.offered_qps));
    let below = first_bad.map_or(f64::INFINITY, |step| step.offered_qps);
    let qps = steps
        .iter()
        .filter(|step| step.verdict.meets() && step.offered_qps < below)
        .map(|step| step.offered_qps)
        .max_by(f64::total_cmp);
    let limit = match first_bad {
        None => CapacityLimit::NotReached,
        Some(step) if matches!(step.verdict, Verdict::GeneratorShort { .. }) => {
            CapacityLimit::Generator {
                short_qps: step.offered_qps,
            }
        }
        Some(step) => CapacityLimit::Server {
            failed_qps: step.offered_qps,
        },
    };
    Capacity { qps, limit }
}
