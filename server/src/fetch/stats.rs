//! What catalogue refreshes have done, counted for the metrics endpoint:
//! attempts by outcome and the time of the last one that brought a catalogue
//! into service. Relaxed atomics: written a few times a day, read at scrape.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};

/// How one refresh attempt of one source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A new catalogue was validated and swapped in.
    Updated,
    /// The source said nothing changed (HTTP 304, or a file with the same
    /// modification time and size).
    NotModified,
    /// The server answered with a status other than 200 or 304.
    HttpStatus,
    /// No answer: connection refused, DNS, TLS, timeout, body over the cap.
    Unreachable,
    /// The body or file did not parse into a usable catalogue.
    Invalid,
    /// It parsed, but was refused by a check (e.g. lost most of the objects).
    Rejected,
}

impl RefreshOutcome {
    /// Every outcome, in the order they are exported.
    pub const ALL: [RefreshOutcome; 6] = [
        RefreshOutcome::Updated,
        RefreshOutcome::NotModified,
        RefreshOutcome::HttpStatus,
        RefreshOutcome::Unreachable,
        RefreshOutcome::Invalid,
        RefreshOutcome::Rejected,
    ];

    /// The label value the metrics use.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshOutcome::Updated => "updated",
            RefreshOutcome::NotModified => "not_modified",
            RefreshOutcome::HttpStatus => "http_status",
            RefreshOutcome::Unreachable => "unreachable",
            RefreshOutcome::Invalid => "invalid",
            RefreshOutcome::Rejected => "rejected",
        }
    }
}

/// Refresh counters shared by the fetcher (which writes) and the metrics
/// endpoint (which reads).
#[derive(Debug, Default)]
pub struct RefreshStats {
    attempts: [AtomicU64; RefreshOutcome::ALL.len()],
    /// Unix seconds of the last [`RefreshOutcome::Updated`]; 0 for never.
    last_success_unix_s: AtomicI64,
}

impl RefreshStats {
    /// Counts one attempt; an update also becomes the last success, at `at`.
    pub fn record(&self, outcome: RefreshOutcome, at: DateTime<Utc>) {
        self.attempts[outcome as usize].fetch_add(1, Ordering::Relaxed);
        if outcome == RefreshOutcome::Updated {
            self.last_success_unix_s
                .store(at.timestamp(), Ordering::Relaxed);
        }
    }

    /// Attempts that ended with `outcome` so far.
    pub fn attempts(&self, outcome: RefreshOutcome) -> u64 {
        self.attempts[outcome as usize].load(Ordering::Relaxed)
    }

    /// When a refresh last brought a catalogue into service, if ever.
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        match self.last_success_unix_s.load(Ordering::Relaxed) {
            0 => None,
            s => DateTime::from_timestamp(s, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_outcome_and_remembers_the_last_update() {
        let stats = RefreshStats::default();
        assert_eq!(stats.last_success(), None);
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        stats.record(RefreshOutcome::HttpStatus, at);
        stats.record(RefreshOutcome::Updated, at);
        stats.record(RefreshOutcome::Updated, at);
        assert_eq!(stats.attempts(RefreshOutcome::Updated), 2);
        assert_eq!(stats.attempts(RefreshOutcome::HttpStatus), 1);
        assert_eq!(stats.attempts(RefreshOutcome::Invalid), 0);
        assert_eq!(stats.last_success(), Some(at));
    }
}
