//! The query parameters of the track API, checked: a value out of bounds or
//! not a number is refused with a message naming the parameter, the value and
//! what was expected, which the API returns as a 400.

use std::collections::HashSet;

use super::track::MAX_MINUTES;

/// Seconds between track points unless `step` says otherwise.
pub const DEFAULT_STEP_S: u32 = 60;
/// The finest step: with [`MAX_MINUTES`] it bounds a track to 8641 points.
pub const MIN_STEP_S: u32 = 10;
/// The coarsest step, an hour.
pub const MAX_STEP_S: u32 = 3600;
/// Most objects one `/api/tracks` request may name with `ids`.
pub const MAX_IDS: usize = 1000;

/// `minutes`, `step` and, for many tracks at once, `ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackParams {
    /// How long each track runs; `None`: one revolution of each object.
    pub minutes: Option<u32>,
    /// Seconds between points.
    pub step_s: u32,
    /// The objects asked for, by NORAD number or label; `None`: all.
    pub ids: Option<Vec<String>>,
}

/// Why a query string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// Not a whole number.
    #[error("{name}={value}: expected a whole number {expected}")]
    NotANumber {
        /// The parameter.
        name: &'static str,
        /// What was given.
        value: String,
        /// The bounds, as text.
        expected: String,
    },
    /// A number outside its bounds.
    #[error("{name}={value}: expected a whole number {expected}")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// What was given.
        value: String,
        /// The bounds, as text.
        expected: String,
    },
    /// A parameter the endpoint does not take.
    #[error("unknown parameter \"{name}\": expected {expected}")]
    Unknown {
        /// What was given.
        name: String,
        /// The parameters the endpoint takes.
        expected: &'static str,
    },
    /// The same parameter twice.
    #[error("parameter \"{0}\" given twice")]
    Repeated(String),
    /// `ids` with nothing in it, or too much.
    #[error("ids={value}: expected 1 to {MAX_IDS} comma-separated NORAD numbers or labels")]
    BadIds {
        /// What was given (cut to its first 100 characters).
        value: String,
    },
}

/// Which parameters an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/track/<id>`: `minutes` and `step`.
    OneTrack,
    /// `/api/tracks`: `minutes`, `step` and `ids`.
    ManyTracks,
}

impl Endpoint {
    fn expected(self) -> &'static str {
        match self {
            Endpoint::OneTrack => "minutes and step",
            Endpoint::ManyTracks => "minutes, step and ids",
        }
    }
}

impl TrackParams {
    /// Parses the query string (`None`: there was none) of `endpoint`.
    pub fn parse(query: Option<&str>, endpoint: Endpoint) -> Result<Self, ParamError> {
        let mut params = TrackParams {
            minutes: None,
            step_s: DEFAULT_STEP_S,
            ids: None,
        };
        let mut seen = HashSet::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if !seen.insert(name.clone().into_owned()) {
                return Err(ParamError::Repeated(name.into_owned()));
            }
            match (&*name, endpoint) {
                ("minutes", _) => {
                    params.minutes = Some(bounded("minutes", &value, 1, MAX_MINUTES)?);
                }
                ("step", _) => params.step_s = bounded("step", &value, MIN_STEP_S, MAX_STEP_S)?,
                ("ids", Endpoint::ManyTracks) => params.ids = Some(ids(&value)?),
                _ => {
                    return Err(ParamError::Unknown {
                        name: name.into_owned(),
                        expected: endpoint.expected(),
                    });
                }
            }
        }
        Ok(params)
    }
}

/// A whole number in `min..=max`.
fn bounded(name: &'static str, value: &str, min: u32, max: u32) -> Result<u32, ParamError> {
    let unit = if name == "step" { " (seconds)" } else { "" };
    let expected = format!("from {min} to {max}{unit}");
    let number: u64 = value.parse().map_err(|_| ParamError::NotANumber {
        name,
        value: value.to_owned(),
        expected: expected.clone(),
    })?;
    u32::try_from(number)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or(ParamError::OutOfRange {
            name,
            value: value.to_owned(),
            expected,
        })
}

/// `a,b,c`: at least one, at most [`MAX_IDS`], none empty.
fn ids(value: &str) -> Result<Vec<String>, ParamError> {
    let ids: Vec<String> = value.split(',').map(|id| id.trim().to_owned()).collect();
    if ids.len() > MAX_IDS || ids.iter().any(String::is_empty) {
        return Err(ParamError::BadIds {
            value: value.chars().take(100).collect(),
        });
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(query: &str) -> Result<TrackParams, String> {
        TrackParams::parse(Some(query), Endpoint::OneTrack).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_one_revolution_every_minute() {
        let params = TrackParams::parse(None, Endpoint::OneTrack).unwrap();
        assert_eq!(
            params,
            TrackParams {
                minutes: None,
                step_s: 60,
                ids: None
            }
        );
        assert_eq!(one("").unwrap(), params);
    }

    #[test]
    fn minutes_and_step_within_bounds_are_taken() {
        let params = one("minutes=1440&step=10").unwrap();
        assert_eq!((params.minutes, params.step_s), (Some(1440), 10));
        let params = one("step=3600&minutes=1").unwrap();
        assert_eq!((params.minutes, params.step_s), (Some(1), 3600));
    }

    #[test]
    fn bad_values_name_the_parameter_the_value_and_the_bounds() {
        let cases = [
            (
                "minutes=0",
                "minutes=0: expected a whole number from 1 to 1440",
            ),
            (
                "minutes=1441",
                "minutes=1441: expected a whole number from 1 to 1440",
            ),
            (
                "minutes=-5",
                "minutes=-5: expected a whole number from 1 to 1440",
            ),
            (
                "minutes=1.5",
                "minutes=1.5: expected a whole number from 1 to 1440",
            ),
            ("minutes=99999999999", "minutes=99999999999: expected"),
            (
                "step=9",
                "step=9: expected a whole number from 10 to 3600 (seconds)",
            ),
            (
                "step=abc",
                "step=abc: expected a whole number from 10 to 3600 (seconds)",
            ),
            ("step=", "step=: expected"),
            (
                "steps=60",
                "unknown parameter \"steps\": expected minutes and step",
            ),
            (
                "ids=1",
                "unknown parameter \"ids\": expected minutes and step",
            ),
            ("step=60&step=30", "parameter \"step\" given twice"),
        ];
        for (query, expected) in cases {
            let err = one(query).unwrap_err();
            assert!(err.contains(expected), "{query}: {err}");
        }
    }

    #[test]
    fn many_tracks_take_ids() {
        let params =
            TrackParams::parse(Some("ids=25544,%20hst,iss"), Endpoint::ManyTracks).unwrap();
        assert_eq!(params.ids.unwrap(), ["25544", "hst", "iss"]);
        for bad in ["ids=", "ids=1,,2", "ids=1,"] {
            let err = TrackParams::parse(Some(bad), Endpoint::ManyTracks).unwrap_err();
            assert!(matches!(err, ParamError::BadIds { .. }), "{bad}: {err}");
        }
        let too_many = format!("ids={}", vec!["1"; MAX_IDS + 1].join(","));
        assert!(TrackParams::parse(Some(&too_many), Endpoint::ManyTracks).is_err());
    }
}
