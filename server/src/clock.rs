//! Where "now" comes from.
//!
//! The answer core never reads the system clock: the transport asks a [`Clock`]
//! for the instant and passes it in. A frozen clock (`--now`) makes answers,
//! tests and benchmarks reproducible.

use chrono::{DateTime, Utc};

/// The source of the instant a query is answered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system's real-time clock.
    System,
    /// Always the same instant.
    Frozen(DateTime<Utc>),
}

impl Clock {
    /// The instant to answer for.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Frozen(at) => *at,
        }
    }

    /// Parses an RFC 3339 timestamp such as `2026-11-28T12:00:00Z` into a frozen clock.
    pub fn frozen_at(rfc3339: &str) -> Result<Self, chrono::ParseError> {
        Ok(Clock::Frozen(
            DateTime::parse_from_rfc3339(rfc3339)?.with_timezone(&Utc),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_does_not_move() {
        let clock = Clock::frozen_at("2026-11-28T12:00:00+01:00").unwrap();
        assert_eq!(clock.now(), clock.now());
        assert_eq!(clock.now().to_rfc3339(), "2026-11-28T11:00:00+00:00");
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert!(Clock::frozen_at("2026-11-28 12:00").is_err());
        assert!(Clock::frozen_at("yesterday").is_err());
    }
}
