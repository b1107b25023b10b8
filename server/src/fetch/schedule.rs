//! When to ask a URL again: the refresh interval after an answer, exponential
//! backoff after refusals, a quicker retry when nothing answered, and jitter.
//!
//! CelesTrak's usage policy asks machine clients to stop on any answer other
//! than HTTP 200 and get a human to look; a server that is left running cannot
//! stop for good, so it backs off instead: from the refresh interval, doubling
//! with every refusal in a row, capped at a day. Jitter only ever lengthens an
//! interval, so a fetcher never asks sooner than `--refresh` allows, and
//! servers started together drift apart instead of asking in step.

use std::time::Duration;

use super::stats::RefreshOutcome;

/// The longest backoff after refusals (unless `--refresh` is longer still).
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// The first retry after no answer at all (connection refused, DNS, TLS,
/// timeout), doubling up to the refresh interval: the network at start-up
/// is often not ready yet, and a refused connection reaches no one's policy.
pub const FIRST_RETRY_UNREACHABLE: Duration = Duration::from_secs(60);
/// Intervals are lengthened by a random fraction below this.
pub const JITTER_FRACTION: f64 = 0.1;

/// One URL's schedule: how many attempts in a row ended in a refusal or no
/// answer, which sets the next interval.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// `--refresh`.
    refresh: Duration,
    /// Answers other than 200/304 in a row.
    refusals: u32,
    /// Attempts in a row that got no answer.
    unreachable: u32,
}

impl Backoff {
    /// A schedule for a URL polled every `refresh`.
    pub fn new(refresh: Duration) -> Self {
        Backoff {
            refresh,
            refusals: 0,
            unreachable: 0,
        }
    }

    /// The interval before the next attempt after one that ended in `outcome`,
    /// before jitter.
    pub fn after(&mut self, outcome: RefreshOutcome) -> Duration {
        match outcome {
            RefreshOutcome::HttpStatus => {
                self.refusals = self.refusals.saturating_add(1);
                self.unreachable = 0;
                doubled(self.refresh, self.refusals - 1).min(self.refresh.max(MAX_BACKOFF))
            }
            RefreshOutcome::Unreachable => {
                self.unreachable = self.unreachable.saturating_add(1);
                let first = FIRST_RETRY_UNREACHABLE.min(self.refresh);
                doubled(first, self.unreachable - 1).min(self.refresh)
            }
            // The server answered 200 or 304: whatever the body was worth,
            // the refusal streak is over.
            RefreshOutcome::Updated
            | RefreshOutcome::NotModified
            | RefreshOutcome::Invalid
            | RefreshOutcome::Rejected => {
                self.refusals = 0;
                self.unreachable = 0;
                self.refresh
            }
        }
    }

    /// Answers other than 200/304 in a row so far.
    pub fn refusals(&self) -> u32 {
        self.refusals
    }
}

/// `base * 2^times`, saturating.
fn doubled(base: Duration, times: u32) -> Duration {
    let factor = 2u32.checked_pow(times).unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(Duration::MAX)
}

/// `delay` lengthened by `unit * JITTER_FRACTION` of itself, `unit` in [0, 1).
pub fn jittered(delay: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    delay.saturating_add(delay.mul_f64(unit * JITTER_FRACTION))
}

/// `delay` with random jitter.
pub fn with_jitter(delay: Duration) -> Duration {
    jittered(delay, rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn refusals_back_off_from_the_refresh_interval_doubling_to_a_day() {
        let mut backoff = Backoff::new(6 * HOUR);
        let delays: Vec<Duration> = (0..5)
            .map(|_| backoff.after(RefreshOutcome::HttpStatus))
            .collect();
        assert_eq!(
            delays,
            [6 * HOUR, 12 * HOUR, 24 * HOUR, 24 * HOUR, 24 * HOUR]
        );
        assert_eq!(backoff.refusals(), 5);
        // A 200 (even with a body that is refused) ends the streak.
        assert_eq!(backoff.after(RefreshOutcome::Invalid), 6 * HOUR);
        assert_eq!(backoff.after(RefreshOutcome::HttpStatus), 6 * HOUR);
        assert_eq!(backoff.after(RefreshOutcome::NotModified), 6 * HOUR);
    }

    #[test]
    fn short_test_intervals_double_the_same_way() {
        let second = Duration::from_secs(1);
        let mut backoff = Backoff::new(second);
        let delays: Vec<u64> = (0..4)
            .map(|_| backoff.after(RefreshOutcome::HttpStatus).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8]);
        assert_eq!(backoff.after(RefreshOutcome::Updated), second);
    }

    #[test]
    fn a_refresh_longer_than_a_day_is_never_shortened_by_backing_off() {
        let mut backoff = Backoff::new(48 * HOUR);
        assert_eq!(backoff.after(RefreshOutcome::HttpStatus), 48 * HOUR);
        assert_eq!(backoff.after(RefreshOutcome::HttpStatus), 48 * HOUR);
    }

    #[test]
    fn no_answer_retries_from_a_minute_doubling_up_to_the_refresh_interval() {
        let mut backoff = Backoff::new(6 * HOUR);
        let minutes: Vec<u64> = (0..10)
            .map(|_| backoff.after(RefreshOutcome::Unreachable).as_secs() / 60)
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360]);
        let mut quick = Backoff::new(Duration::from_secs(2));
        assert_eq!(
            quick.after(RefreshOutcome::Unreachable),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn jitter_only_lengthens_by_under_a_tenth() {
        assert_eq!(jittered(HOUR, 0.0), HOUR);
        assert_eq!(jittered(HOUR, 0.5), HOUR + Duration::from_secs(180));
        assert_eq!(jittered(HOUR, f64::NAN), HOUR);
        for _ in 0..1000 {
            let delay = with_jitter(HOUR);
            assert!(delay >= HOUR && delay < HOUR + HOUR / 10, "{delay:?}");
        }
    }
}
