//! An x-y chart as data ([`XyChart`]: axes, series, reference lines) drawn
//! to an SVG string, so a caller builds a plot without touching plotters'
//! types, and a log axis is a field rather than another coordinate type.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

use crate::{FONT, PlotError, plot_error};

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Equal distances for equal differences.
    Linear,
    /// Equal distances for equal ratios (the range must be above zero).
    Log,
}

/// One axis.
#[derive(Debug, Clone)]
pub struct Axis {
    /// What it measures, with its unit.
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// The values shown, low to high.
    pub range: (f64, f64),
    /// How a tick's value is written.
    pub format: fn(f64) -> String,
}

/// A line through points, with a dot at each.
#[derive(Debug, Clone)]
pub struct Series {
    /// The legend's text.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// A reference line across the whole chart: an objective, a capacity.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The legend's text.
    pub label: String,
    /// Where it crosses its axis.
    pub at: f64,
}

/// A chart of series against two axes, with horizontal and vertical rules.
#[derive(Debug, Clone)]
pub struct XyChart {
    /// The caption.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The data.
    pub series: Vec<Series>,
    /// Horizontal lines, at y values (e.g. a latency objective).
    pub y_rules: Vec<Rule>,
    /// Vertical lines, at x values (e.g. the capacity found).
    pub x_rules: Vec<Rule>,
}

/// Colour of rule `index` (red first: an objective stands out).
fn rule_color(index: usize) -> RGBColor {
    [RED, MAGENTA, BLACK][index % 3]
}

impl XyChart {
    /// The chart as an SVG document of `size` pixels.
    pub fn to_svg(&self, size: (u32, u32)) -> Result<String, PlotError> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            let (x, y) = (self.x.range, self.y.range);
            match (self.x.scale, self.y.scale) {
                (Scale::Linear, Scale::Linear) => self.draw(&root, x.0..x.1, y.0..y.1)?,
                (Scale::Linear, Scale::Log) => {
                    self.draw(&root, x.0..x.1, (y.0..y.1).log_scale())?
                }
                (Scale::Log, Scale::Linear) => {
                    self.draw(&root, (x.0..x.1).log_scale(), y.0..y.1)?
                }
                (Scale::Log, Scale::Log) => {
                    self.draw(&root, (x.0..x.1).log_scale(), (y.0..y.1).log_scale())?;
                }
            }
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Draws on `root` with the coordinate types the scales chose.
    fn draw<X, Y>(
        &self,
        root: &DrawingArea<SVGBackend<'_>, Shift>,
        x: impl AsRangedCoord<CoordDescType = X, Value = f64>,
        y: impl AsRangedCoord<CoordDescType = Y, Value = f64>,
    ) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(x, y)
            .map_err(plot_error)?;
        let (x_format, y_format) = (self.x.format, self.y.format);
        chart
            .configure_mesh()
            .x_desc(&self.x.label)
            .y_desc(&self.y.label)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|v| x_format(*v))
            .y_label_formatter(&|v| y_format(*v))
            .label_style((FONT, 12))
            .draw()
            .map_err(plot_error)?;
        self.draw_series(&mut chart)?;
        self.draw_rules(&mut chart)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 12))
            .draw()
            .map_err(plot_error)
    }

    /// Each series as a line with a dot at each point.
    fn draw_series<X, Y>(
        &self,
        chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    ) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        for (index, series) in self.series.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    series.points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(plot_error)?
                .label(series.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    series
                        .points
                        .iter()
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )
                .map_err(plot_error)?;
        }
        Ok(())
    }

    /// The reference lines, across the whole plot.
    fn draw_rules<X, Y>(
        &self,
        chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    ) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let (x0, x1) = self.x.range;
        let (y0, y1) = self.y.range;
        let rules = self
            .y_rules
            .iter()
            .map(|rule| (rule, [(x0, rule.at), (x1, rule.at)]))
            .chain(
                self.x_rules
                    .iter()
                    .map(|rule| (rule, [(rule.at, y0), (rule.at, y1)])),
            );
        for (index, (rule, ends)) in rules.enumerate() {
            let color = rule_color(index);
            chart
                .draw_series(LineSeries::new(ends, color.stroke_width(1)))
                .map_err(plot_error)?
                .label(rule.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(1))
                });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(label: &str, scale: Scale, range: (f64, f64)) -> Axis {
        Axis {
            label: label.to_owned(),
            scale,
            range,
            format: |v| format!("{v}"),
        }
    }

    #[test]
    fn a_chart_draws_its_series_rules_and_labels_on_log_axes() {
        let chart = XyChart {
            title: "latency against throughput".to_owned(),
            x: axis("answers per second", Scale::Linear, (0.0, 100.0)),
            y: axis("latency (ms)", Scale::Log, (0.01, 100.0)),
            series: vec![Series {
                label: "p99".to_owned(),
                points: vec![(10.0, 0.1), (50.0, 0.2), (90.0, 30.0)],
            }],
            y_rules: vec![Rule {
                label: "SLO p99 1ms".to_owned(),
                at: 1.0,
            }],
            x_rules: vec![Rule {
                label: "capacity".to_owned(),
                at: 60.0,
            }],
        };
        let svg = chart.to_svg((640, 400)).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        for text in [
            "latency against throughput",
            "answers per second",
            "SLO p99 1ms",
            "capacity",
            "p99",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(svg.matches("<circle").count() >= 3);
    }
}
