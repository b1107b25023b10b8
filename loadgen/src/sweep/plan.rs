//! Which rates a sweep offers: `--rates FROM..TO` spaced geometrically
//! (the default: equal ratios give each decade the same number of steps,
//! so the knee is found with the same relative precision wherever it is)
//! or linearly (`--linear`, resperf's ramp), or an explicit list
//! (`--rates 1000,5000,20000`).

use thiserror::Error;

/// Steps of a `FROM..TO` sweep when neither `--steps` nor `--step-factor`
/// is given: enough to see the curve's shape in a few minutes of steps.
pub const DEFAULT_STEPS: usize = 8;

/// Most steps a plan may have: a typo (`--step-factor 1.0001`) should be
/// refused, not run for a day.
pub const MAX_STEPS: usize = 1000;

/// `--rates` as given.
#[derive(Debug, Clone, PartialEq)]
pub enum Rates {
    /// `FROM..TO`, spaced by [`Spacing`].
    Range {
        /// The first rate, queries per second.
        from_qps: f64,
        /// The last rate, queries per second.
        to_qps: f64,
    },
    /// An explicit list, offered in increasing order.
    List(Vec<f64>),
}

/// How a range is cut into steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spacing {
    /// `steps` rates with equal ratios, both ends included.
    Geometric {
        /// Number of rates.
        steps: usize,
    },
    /// Each rate `factor` times the one before, from FROM up to TO (TO
    /// itself ends the plan when the last factor step falls short of it).
    Factor {
        /// The ratio between neighbours, more than 1.
        factor: f64,
    },
    /// `steps` rates with equal differences, both ends included.
    Linear {
        /// Number of rates.
        steps: usize,
    },
}

/// A `--rates` value that cannot be used and what was expected; clap puts
/// the flag and the whole text in front.
#[derive(Debug, Error, PartialEq)]
pub enum RatesError {
    /// Not a range or list of rates.
    #[error(
        "expected FROM..TO (e.g. 1000..50000) or a comma list of rates (e.g. 1000,5000,20000); rates are queries per second, k and M allowed (20k)"
    )]
    Syntax,
    /// One rate is not a positive number.
    #[error("{rate:?} is not a positive number of queries per second (e.g. 5000 or 5k)")]
    Rate {
        /// The part that is wrong.
        rate: String,
    },
    /// FROM is not below TO.
    #[error("FROM must be less than TO")]
    Order,
}

/// Parses `--rates`: `FROM..TO` or `R1,R2,...`.
pub fn parse_rates(text: &str) -> Result<Rates, RatesError> {
    let rate = |part: &str| {
        parse_rate(part).ok_or_else(|| RatesError::Rate {
            rate: part.to_owned(),
        })
    };
    if let Some((from, to)) = text.split_once("..") {
        let (from_qps, to_qps) = (rate(from.trim())?, rate(to.trim())?);
        if from_qps >= to_qps {
            return Err(RatesError::Order);
        }
        return Ok(Rates::Range { from_qps, to_qps });
    }
    if text.trim().is_empty() {
        return Err(RatesError::Syntax);
    }
    let mut rates = text
        .split(',')
        .map(|part| rate(part.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    Ok(Rates::List(rates))
}

/// One rate: a positive finite number, optionally with `k` (thousand) or
/// `M` (million).
pub fn parse_rate(text: &str) -> Option<f64> {
    let (number, scale) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1e3),
        b'M' => (&text[..text.len() - 1], 1e6),
        _ => (text, 1.0),
    };
    let value = number.parse::<f64>().ok()? * scale;
    (value.is_finite() && value > 0.0).then_some(value)
}

/// The rates to offer, lowest first; `Err` says why the spacing cannot cut
/// the range.
pub fn plan_rates(rates: &Rates, spacing: Spacing) -> Result<Vec<f64>, String> {
    let (from, to) = match rates {
        Rates::List(list) => return Ok(list.clone()),
        Rates::Range { from_qps, to_qps } => (*from_qps, *to_qps),
    };
    match spacing {
        Spacing::Geometric { steps } | Spacing::Linear { steps }
            if !(2..=MAX_STEPS).contains(&steps) =>
        {
            Err(format!("--steps {steps} is out of range 2..={MAX_STEPS}"))
        }
        Spacing::Geometric { steps } => {
            let ratio = (to / from).powf(1.0 / (steps - 1) as f64);
            Ok((0..steps)
                .map(|i| {
                    if i + 1 == steps {
                        to
                    } else {
                        from * ratio.powi(i as i32)
                    }
                })
                .collect())
        }
        Spacing::Linear { steps } => {
            let step = (to - from) / (steps - 1) as f64;
            Ok((0..steps)
                .map(|i| {
                    if i + 1 == steps {
                        to
                    } else {
                        from + step * i as f64
                    }
                })
                .collect())
        }
        Spacing::Factor { factor } => by_factor(from, to, factor),
    }
}

/// FROM, FROM×factor, ... up to TO; TO is added when the last step stops
/// more than 1 % below it.
fn by_factor(from: f64, to: f64, factor: f64) -> Result<Vec<f64>, String> {
    if !(factor.is_finite() && factor > 1.0) {
        return Err(format!("--step-factor {factor} must be more than 1"));
    }
    let needed = ((to / from).ln() / factor.ln()).ceil() + 1.0;
    if needed > MAX_STEPS as f64 {
        return Err(format!(
            "--step-factor {factor} from {from} to {to} needs {needed} steps, more than {MAX_STEPS}: give a larger factor"
        ));
    }
    let mut rates = Vec::new();
    let mut rate = from;
    while rate <= to * (1.0 + 1e-9) {
        rates.push(rate);
        rate *= factor;
    }
    if rates.last().is_some_and(|&last| last < to * 0.99) {
        rates.push(to);
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from_qps: f64, to_qps: f64) -> Rates {
        Rates::Range { from_qps, to_qps }
    }

    #[test]
    fn ranges_lists_and_suffixes_parse() {
        assert_eq!(parse_rates("1000..50k").unwrap(), range(1000.0, 50_000.0));
        assert_eq!(
            parse_rates("20k, 1000,5000,5000").unwrap(),
            Rates::List(vec![1000.0, 5000.0, 20_000.0])
        );
        assert_eq!(parse_rates("1.5M..2M").unwrap(), range(1.5e6, 2e6));
    }

    #[test]
    fn bad_rates_say_what_was_expected() {
        let err = parse_rates("5000..1000").unwrap_err().to_string();
        assert_eq!(err, "FROM must be less than TO");
        let err = parse_rates("1000..lots").unwrap_err().to_string();
        assert!(
            err.starts_with("\"lots\" is not a positive number"),
            "{err}"
        );
        let err = parse_rates("100,-5").unwrap_err().to_string();
        assert!(err.contains("\"-5\" is not a positive number"), "{err}");
        let err = parse_rates("").unwrap_err().to_string();
        assert!(err.contains("expected FROM..TO"), "{err}");
    }

    #[test]
    fn geometric_steps_have_equal_ratios_and_both_ends() {
        let rates = plan_rates(&range(1000.0, 8000.0), Spacing::Geometric { steps: 4 }).unwrap();
        assert_eq!(rates.len(), 4);
        for (got, want) in rates.iter().zip([1000.0, 2000.0, 4000.0, 8000.0]) {
            assert!((got - want).abs() < 1e-6, "{rates:?}");
        }
    }

    #[test]
    fn linear_and_factor_spacing() {
        let rates = plan_rates(&range(1000.0, 4000.0), Spacing::Linear { steps: 4 }).unwrap();
        assert_eq!(rates, vec![1000.0, 2000.0, 3000.0, 4000.0]);
        let rates = plan_rates(&range(1000.0, 5000.0), Spacing::Factor { factor: 2.0 }).unwrap();
        assert_eq!(rates, vec![1000.0, 2000.0, 4000.0, 5000.0]);
        let err = plan_rates(&range(1.0, 1e6), Spacing::Factor { factor: 1.001 }).unwrap_err();
        assert!(err.contains("more than 1000"), "{err}");
        let err = plan_rates(&range(1.0, 2.0), Spacing::Geometric { steps: 1 }).unwrap_err();
        assert_eq!(err, "--steps 1 is out of range 2..=1000");
    }
}
