//! How locations, fractions and durations are written for people, the same in the table,
//! the plot and pprof-top.

/// Shortens `FILE:LINE` locations under the current directory for people; JSON keeps them
/// as coz wrote them.
#[derive(Debug)]
pub struct PathDisplay {
    prefix: Option<String>,
}

impl PathDisplay {
    pub fn from_current_dir() -> Self {
        let prefix = std::env::current_dir().ok().and_then(|dir| {
            dir.to_str()
                .map(|d| format!("{}/", d.trim_end_matches('/')))
        });
        Self { prefix }
    }

    pub fn short<'a>(&self, location: &'a str) -> &'a str {
        self.prefix
            .as_deref()
            .and_then(|prefix| location.strip_prefix(prefix))
            .unwrap_or(location)
    }
}

/// `+12.3%`.
pub fn percent(fraction: f64) -> String {
    // `+ 0.0` turns -0.0 (the baseline's change, negated) into +0.0.
    format!("{:+.1}%", fraction * 100.0 + 0.0)
}

/// A duration in ns, in the unit that keeps 3-4 significant digits.
pub fn duration(ns: f64) -> String {
    let magnitude = ns.abs();
    if magnitude >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if magnitude >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if magnitude >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else if magnitude >= 10.0 {
        format!("{ns:.0} ns")
    } else {
        // Never round a small positive value to "0 ns": it would read as no time at all.
        format!("{ns:.2} ns")
    }
}
