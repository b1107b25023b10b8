//! The sweep itself: the planned steps until one stops it, then the
//! bisection at the knee; each step an open-loop run ([`crate::run::run`])
//! judged as it ends, its seconds logged and its figures kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use crate::config::{LoadModel, StopCondition};
use crate::error::LoadgenError;
use crate::run::run;
use crate::sweep::capacity::{Capacity, capacity, failed_rate};
use crate::sweep::config::SweepConfig;
use crate::sweep::log::SweepLog;
use crate::sweep::step::{Phase, Step, Verdict};

/// Bisection stops early once the bracket is narrower than this share of
/// its lower end: a finer capacity would be below the noise of a step.
const REFINE_RESOLUTION: f64 = 0.005;

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
            match self.confirmed_step(Phase::Plan, rate, on_step)? {
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
            match self.confirmed_step(Phase::Refine, rate, on_step) {
                Ok(Next::End(error)) => return error,
                Err(error) => return Some(error),
                Ok(Next::Judged(verdict)) if verdict.meets() => good = rate,
                Ok(Next::Judged(_)) => bad = rate,
            }
        }
        None
    }

    /// Runs the step at `rate`, and again (`--confirm` times at most) while
    /// it fails in a way another attempt could change; the last attempt's
    /// verdict stands.
    fn confirmed_step(
        &mut self,
        phase: Phase,
        rate: f64,
        on_step: &mut impl FnMut(&Step),
    ) -> Result<Next, LoadgenError> {
        let mut next = self.step(phase, rate, on_step)?;
        for _ in 0..self.sweep.confirm {
            match next {
                Next::Judged(verdict) if verdict.worth_confirming() => {
                    next = self.step(Phase::Confirm, rate, on_step)?;
                }
                _ => break,
            }
        }
        Ok(next)
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
