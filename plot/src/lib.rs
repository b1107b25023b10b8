//! satloc's one plotting module: plotters set up once (its SVG backend with
//! the built-in text metrics, so no font files, no fontconfig, nothing to
//! install: the viewer's browser picks the font) and the charts the tools
//! draw from it.
//!
//! `satloc-prof` draws coz's speedup curves with it, `satloc-loadgen`'s
//! reports their latency-throughput and percentile plots ([`XyChart`]). Both
//! reach plotters through [`plotters`] re-exported here, so the workspace
//! has one plotters dependency with one set of features.

#![forbid(unsafe_code)]

mod chart;

pub use chart::{Axis, Rule, Scale, Series, XyChart};
pub use plotters;

/// The font family every chart names; the browser chooses the face.
pub const FONT: &str = "sans-serif";

/// Indent of wrapped lines: no-break spaces, since SVG collapses ordinary
/// ones.
pub const INDENT: &str = "\u{a0}\u{a0}\u{a0}\u{a0}";

/// A chart that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the plot: {0}")]
pub struct PlotError(pub String);

/// Wraps a plotters error (whose types differ by backend) as a [`PlotError`].
pub fn plot_error(err: impl std::fmt::Display) -> PlotError {
    PlotError(err.to_string())
}

/// Greedy word wrap for text drawn in a chart: continuation lines start
/// with [`INDENT`].
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
            line.push_str(INDENT);
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_whole_and_indents_continuations() {
        let lines = wrap("warning: one two three four", 14);
        assert_eq!(
            lines,
            [
                "warning: one",
                "\u{a0}\u{a0}\u{a0}\u{a0}two three",
                "\u{a0}\u{a0}\u{a0}\u{a0}four"
            ]
        );
    }
}
