//! The deep-space resonance integrator's states near "now", so that a position
//! of a 12- or 24-hour orbit costs one integration step instead of one per
//! half day since the element epoch.
//!
//! SDP4 integrates the resonance effects in fixed 720-minute steps from the
//! epoch; `sgp4` redoes that from the start on every `propagate` call, which
//! made a GEO answer cost as much as the steps since its epoch and an old
//! Molniya's thousands of times an ISS answer (`docs/case-study.md`, "Every
//! object"). The integrator is deterministic: a state carried to step `n` and
//! integrated on from there takes exactly the steps a run from the epoch would,
//! so positions are bit-for-bit the same (`tests/resonance.rs` checks it).
//!
//! A [`Checkpoints`] keeps the states of a window of steps around the instant
//! it was last prepared for. It is prepared before its catalogue is shared and
//! never changes afterwards, so a query reads it like any other field: no
//! lock, no atomic, no allocation, one 24-byte state copied out. A catalogue
//! moves on with the clock by being cloned, prepared again and swapped in
//! whole (the server's `keep_prepared`), as a reload is.

use std::fmt;
use std::sync::Arc;

use sgp4::{Constants, MinutesSinceEpoch, ResonanceState};

/// Minutes between two steps of the resonance integrator (fixed by SDP4).
const STEP_MIN: f64 = 720.0;
/// Steps kept before the step of the instant prepared for: a clock stepped
/// back by up to a day still finds a state.
const STEPS_BEHIND: i64 = 2;
/// Steps kept after it: a week, far more than the server's re-preparing
/// interval, so the window always covers "now".
const STEPS_AHEAD: i64 = 14;

/// Prepared integrator states for one element set; empty until prepared, and
/// always empty for orbits without resonance. Clones share the window.
#[derive(Clone, Default)]
pub(super) struct Checkpoints {
    window: Option<Arc<Window>>,
}

/// `states[i]` is the integrator's state at step `first + i`, that is
/// `(first + i) × 720` minutes from the epoch (negative: before it).
struct Window {
    first: i64,
    states: Vec<ResonanceState>,
}

impl Checkpoints {
    /// The state to integrate from for a position `minutes` from the epoch:
    /// the prepared one at the last step not past it, or `initial` (the
    /// epoch's) when the window holds none usable.
    pub(super) fn start_for(&self, minutes: f64, initial: ResonanceState) -> ResonanceState {
        self.window
            .as_deref()
            .and_then(|window| window.start_for(minutes))
            .unwrap_or(initial)
    }

    /// Whether the states around `minutes` from the epoch are kept.
    pub(super) fn covers(&self, minutes: f64) -> bool {
        let (Some(step), Some(window)) = (step_of(minutes), self.window.as_deref()) else {
            return false;
        };
        let (_, last) = window_around(step);
        window.covers(step - 1, (step + STEPS_AHEAD / 2).min(last))
    }

    /// Builds the states around `minutes` from the epoch (from the closest
    /// state already prepared, or from `initial`), unless the window already
    /// covers them.
    pub(super) fn prepare(&mut self, constants: &Constants, minutes: f64, initial: ResonanceState) {
        let Some(step) = step_of(minutes) else {
            return;
        };
        if self.covers(minutes) {
            return;
        }
        let (first, last) = window_around(step);
        // The window's step nearest the epoch, where its integration begins.
        let nearest = if step >= 0 { first } else { last };
        let start = self.start_for(minutes_at(nearest), initial);
        if let Some(window) = Window::build(constants, start, first, last) {
            self.window = Some(Arc::new(window));
        }
    }
}

impl Window {
    /// Integrates from `start` to the window's step nearest the epoch, then
    /// one step at a time away from it, keeping each state. `None` when no
    /// state could be kept.
    fn build(
        constants: &Constants,
        mut start: ResonanceState,
        first: i64,
        last: i64,
    ) -> Option<Self> {
        let away_from_epoch: Vec<i64> = if first >= 0 {
            (first..=last).collect()
        } else {
            (first..=last).rev().collect()
        };
        let mut states = Vec::with_capacity(away_from_epoch.len());
        for &step in &away_from_epoch {
            let minutes = minutes_at(step);
            if !usable(&start, minutes) {
                break;
            }
            // Only the state matters here. A failed prediction (an orbit that
            // has decayed by then) may leave it short of the step: checked.
            let _ =
                constants.propagate_from_state(MinutesSinceEpoch(minutes), Some(&mut start), false);
            if start.t() != minutes {
                break;
            }
            states.push(start);
        }
        // Stopped early, the states still run consecutively from the side
        // nearest the epoch.
        let first = if first >= 0 {
            first
        } else {
            states.reverse();
            last + 1 - i64::try_from(states.len()).ok()?
        };
        (!states.is_empty()).then_some(Self { first, states })
    }

    fn last(&self) -> i64 {
        self.first + i64::try_from(self.states.len()).unwrap_or(i64::MAX) - 1
    }

    fn covers(&self, from: i64, to: i64) -> bool {
        self.first <= from && to <= self.last()
    }

    /// The state at the step closest to `minutes` that the integrator may
    /// start from, if the window has one. The step below is tried too: the
    /// division that finds the step can round up to it.
    fn start_for(&self, minutes: f64) -> Option<ResonanceState> {
        let step = step_of(minutes)?;
        let towards_epoch = step - step.signum();
        [step, towards_epoch].into_iter().find_map(|candidate| {
            let index = candidate.clamp(self.first, self.last()) - self.first;
            let state = *self.states.get(usize::try_from(index).ok()?)?;
            usable(&state, minutes).then_some(state)
        })
    }
}

/// The step at or before `minutes` (towards the epoch), `None` if it is not a
/// number a step can have.
fn step_of(minutes: f64) -> Option<i64> {
    let step = (minutes / STEP_MIN).trunc();
    // Far beyond any real element set's age (2^52 half days), and not NaN.
    (step.abs() < 4.5e15).then_some(step as i64)
}

/// Minutes from the epoch of step `step`; exact, as `step` is far below 2^53.
fn minutes_at(step: i64) -> f64 {
    step as f64 * STEP_MIN
}

/// The steps to keep around `step`, never crossing the epoch (states before
/// and after it are integrated in opposite directions).
fn window_around(step: i64) -> (i64, i64) {
    let (first, last) = (step - STEPS_BEHIND, step + STEPS_AHEAD);
    if step >= 0 {
        (first.max(0), last)
    } else {
        (first, last.min(0))
    }
}

/// Whether the integrator may go from `state` to `minutes`: the exact
/// negation of the condition on which `sgp4` panics (the same direction from
/// the epoch, and no closer to it than the state).
fn usable(state: &ResonanceState, minutes: f64) -> bool {
    let at = state.t();
    (at == 0.0 || at.is_sign_positive() == minutes.is_sign_positive()) && at.abs() <= minutes.abs()
}

impl fmt::Debug for Checkpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.window.as_deref() {
            None => f.write_str("Checkpoints(none)"),
            Some(window) => write!(f, "Checkpoints(steps {}..={})", window.first, window.last()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_never_cross_the_epoch() {
        assert_eq!(window_around(0), (0, 14));
        assert_eq!(window_around(1), (0, 15));
        assert_eq!(window_around(100), (98, 114));
        assert_eq!(window_around(-1), (-3, 0));
        assert_eq!(window_around(-100), (-102, -86));
    }

    #[test]
    fn steps_round_towards_the_epoch() {
        assert_eq!(step_of(0.0), Some(0));
        assert_eq!(step_of(719.9), Some(0));
        assert_eq!(step_of(720.0), Some(1));
        assert_eq!(step_of(-719.9), Some(0));
        assert_eq!(step_of(-720.0), Some(-1));
        assert_eq!(step_of(f64::NAN), None);
        assert_eq!(step_of(f64::INFINITY), None);
    }
}
