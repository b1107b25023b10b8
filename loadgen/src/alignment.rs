//! Whether the interval logs of several load hosts line up in time, so that
//! adding them describes one run.
//!
//! Adding histograms is exact whatever their timing, but a combined rate or
//! a combined second only means something when every host measured the same
//! seconds. Hosts started with the same `--start-at` begin their clocks at
//! one agreed wall-clock instant, and every log they write then has its
//! intervals on one grid of whole seconds from that instant (as well as the
//! hosts' clocks agree: NTP or chrony keeps a cluster within a few ms). This
//! module checks that from the logs alone: the same declared start time,
//! first intervals that start together, and every interval on the common
//! grid, each within [`ALIGNMENT_TOLERANCE`].
//!
//! A log written with `--start-at` promises to line up; `merge` holds such
//! logs to it ([`Alignment::enforce`]). Logs without it (every log of
//! earlier versions) are merged as before, and the report says whether they
//! happened to line up.

use std::time::{Duration, SystemTime};

use crate::error::{AlignmentProblem, LoadgenError};

/// How far apart two hosts may start, or an interval may sit off the grid,
/// and still count as lined up, unless `merge --tolerance` says otherwise: a
/// tenth of the 1 s interval. Also how late a run may begin after its
/// `--start-at`.
pub const ALIGNMENT_TOLERANCE: Duration = Duration::from_millis(100);

/// What the check needs to know about one log.
#[derive(Debug, Clone)]
pub struct LogTiming {
    /// The log as messages name it: its file and host, e.g.
    /// "load-1.hlog (host load-1)".
    pub name: String,
    /// The start time the log declares (written with `--start-at`).
    pub start_at: Option<SystemTime>,
    /// Every interval as (absolute start, length), seconds since the epoch
    /// and seconds, in the order of the log.
    pub intervals: Vec<(f64, f64)>,
}

/// How the logs of a merge line up.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// The grid's period: the longest interval of any log, in seconds.
    pub interval_s: f64,
    /// Absolute start of the earliest first interval, seconds since the epoch.
    pub start_s: f64,
    /// How far apart the logs' first intervals start, in seconds.
    pub start_spread_s: f64,
    /// The start time every log declares, when they all declare one and the
    /// same.
    pub start_at: Option<SystemTime>,
    /// Whether any log was written with `--start-at`, and so promised to
    /// line up with the others.
    pub promised: bool,
    /// The difference in start and distance from the grid allowed.
    pub tolerance: Duration,
    /// The first thing found that does not line up; `None` when the logs do.
    pub problem: Option<AlignmentProblem>,
}

impl Alignment {
    /// Whether the logs line up.
    pub fn is_aligned(&self) -> bool {
        self.problem.is_none()
    }

    /// The error for logs that promised to line up and do not.
    pub fn enforce(&self) -> Result<(), LoadgenError> {
        match &self.problem {
            Some(problem) if self.promised => Err(LoadgenError::Unaligned(problem.clone())),
            _ => Ok(()),
        }
    }
}

/// Checks how `logs` (each with at least one interval) line up, allowing
/// `tolerance` of difference in start and of distance from the grid.
pub fn check(logs: &[LogTiming], tolerance: Duration) -> Alignment {
    let firsts: Vec<f64> = logs
        .iter()
        .map(|log| {
            log.intervals
                .first()
                .map_or(f64::INFINITY, |&(start, _)| start)
        })
        .collect();
    let (earliest, start_s) =
        firsts
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::INFINITY), |best, (index, start)| {
                if start < best.1 { (index, start) } else { best }
            });
    let latest = firsts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let interval_s = logs
        .iter()
        .flat_map(|log| log.intervals.iter().map(|&(_, length)| length))
        .fold(0.0, f64::max);
    let declared: Vec<(usize, SystemTime)> = logs
        .iter()
        .enumerate()
        .filter_map(|(index, log)| log.start_at.map(|at| (index, at)))
        .collect();
    let problem = different_start_at(logs, &declared)
        .or_else(|| starts_apart(logs, &firsts, earliest, tolerance))
        .or_else(|| off_grid(logs, (earliest, start_s), interval_s, tolerance));
    let all_same_start = declared.len() == logs.len() && problem.is_none();
    Alignment {
        interval_s,
        start_s,
        start_spread_s: (latest - start_s).max(0.0),
        start_at: declared
            .first()
            .map(|&(_, at)| at)
            .filter(|_| all_same_start),
        promised: !declared.is_empty(),
        tolerance,
        problem,
    }
}

/// Two logs that declare different start times.
fn different_start_at(
    logs: &[LogTiming],
    declared: &[(usize, SystemTime)],
) -> Option<AlignmentProblem> {
    let &(first, first_at) = declared.first()?;
    declared
        .iter()
        .find(|&&(_, at)| at != first_at)
        .map(|&(other, other_at)| AlignmentProblem::DifferentStartAt {
            first: logs[first].name.clone(),
            first_at: humantime::format_rfc3339(first_at).to_string(),
            other: logs[other].name.clone(),
            other_at: humantime::format_rfc3339(other_at).to_string(),
        })
}

/// The first log whose first interval starts too long after the earliest.
fn starts_apart(
    logs: &[LogTiming],
    firsts: &[f64],
    earliest: usize,
    tolerance: Duration,
) -> Option<AlignmentProblem> {
    let tolerance_s = tolerance.as_secs_f64();
    let start = firsts[earliest];
    firsts
        .iter()
        .position(|&first| first - start > tolerance_s)
        .map(|later| AlignmentProblem::StartsApart {
            earliest: logs[earliest].name.clone(),
            later: logs[later].name.clone(),
            apart_s: firsts[later] - start,
            tolerance_ms: tolerance.as_millis(),
        })
}

/// The first interval that does not start on the grid of `period_s` from
/// the start of log `earliest`, `start_s`.
fn off_grid(
    logs: &[LogTiming],
    (earliest, start_s): (usize, f64),
    period_s: f64,
    tolerance: Duration,
) -> Option<AlignmentProblem> {
    if period_s <= 0.0 {
        return None;
    }
    let tolerance_s = tolerance.as_secs_f64();
    logs.iter().find_map(|log| {
        log.intervals
            .iter()
            .enumerate()
            .find_map(|(index, &(start, _))| {
                let steps = ((start - start_s) / period_s).round();
                let off_s = start - (start_s + steps * period_s);
                (off_s.abs() > tolerance_s).then(|| AlignmentProblem::OffGrid {
                    log: log.name.clone(),
                    number: index + 1,
                    off_s,
                    period_s,
                    earliest: logs[earliest].name.clone(),
                    tolerance_ms: tolerance.as_millis(),
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_800_000_000.0;

    fn check_default(logs: &[LogTiming]) -> Alignment {
        check(logs, ALIGNMENT_TOLERANCE)
    }

    fn log(name: &str, start_at: Option<f64>, starts: &[f64]) -> LogTiming {
        LogTiming {
            name: name.to_owned(),
            start_at: start_at.map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s)),
            intervals: starts.iter().map(|&start| (T0 + start, 1.0)).collect(),
        }
    }

    #[test]
    fn hosts_started_together_line_up_within_the_tolerance() {
        let alignment = check_default(&[
            log("a", Some(T0), &[0.0, 1.0, 2.0]),
            log("b", Some(T0), &[0.004, 1.004, 2.004]),
            log("c", Some(T0), &[0.0, 1.0]),
        ]);
        assert!(alignment.is_aligned(), "{alignment:?}");
        assert!(alignment.promised);
        assert!((alignment.start_spread_s - 0.004).abs() < 1e-6);
        assert_eq!(alignment.interval_s, 1.0);
        assert!(alignment.start_at.is_some());
        assert!(alignment.enforce().is_ok());
    }

    #[test]
    fn two_start_times_are_two_runs() {
        let alignment = check_default(&[
            log("a", Some(T0), &[0.0, 1.0]),
            log("b", Some(T0 + 60.0), &[60.0, 61.0]),
        ]);
        let err = alignment.enforce().unwrap_err().to_string();
        assert_eq!(
            err,
            "the logs do not line up: b was started at 2027-01-15T08:01:00Z and a at \
             2027-01-15T08:00:00Z (--start-at): they are not from one run \
             (widen --tolerance, or merge them anyway with --allow-unaligned)"
        );
        assert_eq!(alignment.start_at, None);
    }

    #[test]
    fn a_late_host_and_an_interval_off_the_grid_are_named() {
        let late = check_default(&[log("a", None, &[0.0, 1.0]), log("b", None, &[0.25, 1.25])]);
        assert!(matches!(
            late.problem,
            Some(AlignmentProblem::StartsApart { ref later, .. }) if later == "b"
        ));
        // Without --start-at nothing was promised: reported, not refused.
        assert!(!late.promised);
        assert!(late.enforce().is_ok());

        let drifted = check_default(&[
            log("a", Some(T0), &[0.0, 1.0, 2.0]),
            log("b", Some(T0), &[0.0, 1.0, 2.3]),
        ]);
        let message = drifted.problem.clone().unwrap().to_string();
        assert_eq!(
            message,
            "b: interval 3 starts 0.300 s off the 1.000 s grid that starts with a (more than the 100 ms tolerance)"
        );
        assert!(drifted.enforce().is_err());
    }
}
