//! `satloc-prof pprof-top`: the top functions of a pprof protobuf (`--cpu-profile x.pb`),
//! so that a script can print them without installing Go's pprof (`docs/profiling.md`,
//! *pprof: CPU profiles*).
//!
//! Two lists, as `pprof -top` and `pprof -top -cum` give them: by *self* time (the sample's
//! innermost function, where the CPU actually was) and by *total* time (every function on
//! the stack, counted once per sample). With inlining the innermost function is often an
//! intrinsic or an iterator method, so the total list is the one that names satloc's code.
//! The value used is the profile's last sample type, as pprof's default; for pprof-rs that is
//! CPU time in nanoseconds.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use pprof::protos::{Message, Profile};

use crate::format::duration;

pub fn write(out: &mut impl Write, path: &Path, top: usize) -> Result<()> {
    let profile = read(path)?;
    let summary = Summary::of(&profile)?;
    let (value_type, unit) = profile.sample_type.last().map_or(("?", "?"), |t| {
        (string(&profile, t.ty), string(&profile, t.unit))
    });
    let report = Report {
        profile: &profile,
        summary,
        in_ns: unit == "nanoseconds",
    };
    writeln!(
        out,
        "pprof profile: {} ({value_type} {unit}: {} in {} distinct stacks)",
        path.display(),
        report.show(report.summary.total),
        profile.sample.len()
    )?;
    for (title, by_self) in [
        ("by self time (where the CPU was)", true),
        ("by total time (self and callees)", false),
    ] {
        report.write_top(out, title, by_self, top)?;
    }
    Ok(())
}

/// The profile in `path`, gzip-compressed or not.
fn read(path: &Path) -> Result<Profile> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut raw)
            .with_context(|| format!("{}: not a valid gzip file", path.display()))?;
        raw
    } else {
        bytes
    };
    Profile::parse_from_bytes(&raw)
        .with_context(|| format!("{}: not a pprof protobuf", path.display()))
}

/// A profile with its per-function sums, ready to print.
struct Report<'a> {
    profile: &'a Profile,
    summary: Summary,
    /// Whether values are nanoseconds (printed as durations) rather than plain counts.
    in_ns: bool,
}

impl Report<'_> {
    /// One list, by self time or by total time.
    fn write_top(
        &self,
        out: &mut impl Write,
        title: &str,
        by_self: bool,
        top: usize,
    ) -> std::io::Result<()> {
        let summary = &self.summary;
        writeln!(out, "\ntop {top} {title}")?;
        if !by_self {
            let everywhere = summary
                .functions
                .values()
                .filter(|&&(own, total)| own == 0 && total == summary.total)
                .count();
            if everywhere > 0 {
                writeln!(
                    out,
                    "({everywhere} functions on every stack, such as `main` and the runtime's \
                     entry points, are left out)"
                )?;
            }
        }
        writeln!(
            out,
            "{:>11} {:>6}  {:>11} {:>6}  function",
            "self", "self%", "total", "total%"
        )?;
        for (name, own, total) in self.rows(by_self).into_iter().take(top) {
            writeln!(
                out,
                "{:>11} {:>5.1}%  {:>11} {:>5.1}%  {name}",
                self.show(own),
                self.percent(own),
                self.show(total),
                self.percent(total)
            )?;
        }
        Ok(())
    }

    /// `(function, self, total)`, largest first by self or by total time.
    fn rows(&self, by_self: bool) -> Vec<(&str, i64, i64)> {
        let summary = &self.summary;
        let mut rows: Vec<(&str, i64, i64)> = summary
            .functions
            .iter()
            .map(|(&id, &(own, total))| (summary.name(id, self.profile), own, total))
            .filter(|&(_, own, total)| {
                if by_self {
                    own > 0
                } else {
                    // Functions on every stack (`_start`, `main`, the runtime's frames) say
                    // nothing and would fill the list.
                    total > 0 && (own > 0 || total < summary.total)
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            let key = |r: &(&str, i64, i64)| if by_self { (r.1, r.2) } else { (r.2, r.1) };
            key(b).cmp(&key(a)).then(a.0.cmp(b.0))
        });
        rows
    }

    fn show(&self, value: i64) -> String {
        if self.in_ns {
            #[allow(clippy::cast_precision_loss)]
            let ns = value as f64;
            duration(ns)
        } else {
            value.to_string()
        }
    }

    fn percent(&self, value: i64) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let share = value as f64 * 100.0 / self.summary.total.max(1) as f64;
        share
    }
}

/// Self and total value per function id.
struct Summary {
    total: i64,
    functions: HashMap<u64, (i64, i64)>,
    names: HashMap<u64, i64>,
}

impl Summary {
    fn of(profile: &Profile) -> Result<Self> {
        let Some(value_index) = profile.sample_type.len().checked_sub(1) else {
            bail!("the profile declares no sample types");
        };
        let locations: HashMap<u64, Vec<u64>> = profile
            .location
            .iter()
            .map(|l| (l.id, l.line.iter().map(|line| line.function_id).collect()))
            .collect();
        let names = profile.function.iter().map(|f| (f.id, f.name)).collect();
        let mut functions: HashMap<u64, (i64, i64)> = HashMap::new();
        let mut total = 0_i64;
        for sample in &profile.sample {
            let value = sample.value.get(value_index).copied().unwrap_or(0);
            total = total.saturating_add(value);
            // Leaf first: the first function of the first location is where the CPU was.
            let mut stack = sample
                .location_id
                .iter()
                .flat_map(|id| locations.get(id).into_iter().flatten().copied());
            if let Some(leaf) = stack.next() {
                let leaf_values = functions.entry(leaf).or_default();
                leaf_values.0 += value;
                leaf_values.1 += value;
                let mut seen = HashSet::from([leaf]);
                for function in stack {
                    if seen.insert(function) {
                        functions.entry(function).or_default().1 += value;
                    }
                }
            }
        }
        Ok(Self {
            total,
            functions,
            names,
        })
    }

    fn name<'a>(&self, id: u64, profile: &'a Profile) -> &'a str {
        self.names
            .get(&id)
            .map_or("?", |&index| string(profile, index))
    }
}

/// Entry `index` of the profile's string table, or `?`.
fn string(profile: &Profile, index: i64) -> &str {
    usize::try_from(index)
        .ok()
        .and_then(|i| profile.string_table.get(i))
        .map_or("?", String::as_str)
}
