//! Speedup curves as SVG, one small plot per top-ranked line, like coz's viewer draws them.
//!
//! x is the line's virtual speedup (0-100 %), y the predicted program speedup (positive is
//! better, for latency points too; see `causal::curve`), one series per progress point, all
//! plots on one y scale so they compare at a glance. Every curve starts at (0 %, 0), its
//! baseline; with a pooled baseline a line's own 0 % experiments are a row of the table, not a
//! point of the plot (they are part of the baseline). Points are joined by straight segments;
//! coz's viewer draws a loess-smoothed line instead, which the raw points make unnecessary
//! for a handful of lines.
//!
//! plotters comes set up from the workspace's plotting module (`satloc-plot`): the SVG
//! backend with its built-in text metrics, nothing to install.
//!
//! A profile with nothing to plot still gets a file: its warnings, in words, instead of axes
//! with no data on them.

use std::path::Path;

use anyhow::Result;
use satloc_plot::plotters::coord::Shift;
use satloc_plot::plotters::prelude::*;
use satloc_plot::{FONT, plot_error, wrap};
use satloc_prof::causal::{Analysis, Curve, PointKind, ProgressPoint};

use crate::format::{PathDisplay, percent};

const COLUMNS: usize = 2;
const PLOT_WIDTH: u32 = 560;
const PLOT_HEIGHT: u32 = 320;
const TEXT_LINE: u32 = 18;
const WRAP_AT: usize = 140;

pub fn write_svg(
    path: &Path,
    file: &Path,
    analysis: &Analysis,
    top: usize,
    display: &PathDisplay,
) -> Result<()> {
    let lines: Vec<_> = analysis.ranked.iter().take(top).collect();
    let ranked_on = analysis.ranked_by.as_ref().map_or_else(String::new, |by| {
        format!(" on {} ({})", by.point, by.kind.as_str())
    });
    let mut header = vec![format!(
        "coz profile {}: {} experiment(s), {} line(s) ranked by impact{ranked_on}, {} baseline",
        file.display(),
        analysis.summary.experiments,
        analysis.ranked.len(),
        analysis.baseline_mode.as_str()
    )];
    if lines.is_empty() {
        header.push("Nothing to plot.".to_owned());
    }
    for warning in &analysis.warnings {
        header.extend(wrap(&format!("warning: {}", warning.message), WRAP_AT));
    }

    let rows = lines.len().div_ceil(COLUMNS);
    let header_height = TEXT_LINE * to_u32(header.len()) + 12;
    let width = PLOT_WIDTH * to_u32(COLUMNS);
    let height = header_height + PLOT_HEIGHT * to_u32(rows);
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top_area, body) = root.split_vertically(header_height);
    for (i, text) in header.iter().enumerate() {
        let style = if i == 0 {
            (FONT, 16).into_font().style(FontStyle::Bold).color(&BLACK)
        } else {
            (FONT, 13).into_font().color(&RED.mix(0.9))
        };
        top_area
            .draw(&Text::new(
                text.as_str(),
                (8, 6 + to_i32(TEXT_LINE) * to_i32(i)),
                style,
            ))
            .map_err(plot_error)?;
    }

    if !lines.is_empty() {
        let (y_min, y_max) = y_range(analysis, &lines);
        let areas = body.split_evenly((rows, COLUMNS));
        for (area, line) in areas.iter().zip(&lines) {
            let title = format!(
                "#{} {}  (impact {})",
                line.rank,
                tail(display.short(&line.line), 60),
                percent(line.impact)
            );
            let curves: Vec<&Curve> = line.curves.iter().map(|&i| &analysis.curves[i]).collect();
            draw_plot(
                area,
                &title,
                &curves,
                &analysis.summary.progress_points,
                (y_min, y_max),
            )?;
        }
    }
    root.present().map_err(plot_error)?;
    Ok(())
}

fn draw_plot(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    curves: &[&Curve],
    points: &[ProgressPoint],
    (y_min, y_max): (f64, f64),
) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 14))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..100.0, y_min..y_max)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("line speedup")
        .y_desc("program speedup")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}%"))
        .y_label_formatter(&|y| format!("{y:+.0}%"))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (100.0, 0.0)], BLACK.mix(0.4)))
        .map_err(plot_error)?;
    for curve in curves {
        let index = points
            .iter()
            .position(|p| p.name == curve.point && p.kind == curve.kind)
            .unwrap_or(0);
        let color = Palette99::pick(index).to_rgba();
        let xy: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(
                curve
                    .measurements
                    .iter()
                    .filter(|m| m.line_speedup_percent > 0)
                    .map(|m| (f64::from(m.line_speedup_percent), m.program_speedup * 100.0)),
            )
            .collect();
        chart
            .draw_series(LineSeries::new(xy.iter().copied(), color.stroke_width(2)))
            .map_err(plot_error)?
            .label(format!("{} ({})", curve.point, curve.kind.as_str()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        // Latency points as rings around the dots, so a latency curve that coincides with a
        // throughput curve (a closed loop keeps the number in flight constant) stays visible.
        let (marker, radius) = match curve.kind {
            PointKind::Throughput => (color.filled(), 3),
            PointKind::Latency => (color.stroke_width(2), 6),
        };
        chart
            .draw_series(xy.iter().map(|&p| Circle::new(p, radius, marker)))
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 12))
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

/// One y scale for every plot, in percent, with 0 always visible and 5 % of headroom.
fn y_range(analysis: &Analysis, lines: &[&satloc_prof::causal::RankedLine]) -> (f64, f64) {
    let values = lines
        .iter()
        .flat_map(|l| &l.curves)
        .flat_map(|&i| &analysis.curves[i].measurements)
        .map(|m| m.program_speedup * 100.0);
    let (min, max) = values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((max - min) * 0.05).max(1.0);
    (min - pad, max + pad)
}

/// The last `max` characters of `text`, with an ellipsis when cut.
fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().skip(count - max + 1).collect();
        format!("…{kept}")
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX / 4)
}

fn to_i32(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end_of_long_paths() {
        assert_eq!(tail("src/main.rs:10", 60), "src/main.rs:10");
        assert_eq!(tail("abcdefgh", 5), "…efgh");
    }
}
