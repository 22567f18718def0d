//! Small server-rendered SVG bar charts for the health view: no chart library, no CDN, readable
//! without JavaScript, with the numbers also in a table for screen readers.

pub struct Bar {
    pub label: String,
    pub value: f64,
    pub x: u32,
    pub y: u32,
    pub height: u32,
}

pub const WIDTH: u32 = 480;
pub const HEIGHT: u32 = 120;
const GAP: u32 = 4;

pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
    pub bar_width: u32,
    pub max: f64,
}

impl Chart {
    pub fn new(title: &str, series: &[(String, f64)]) -> Chart {
        let max = series.iter().map(|(_, v)| *v).fold(0.0, f64::max);
        let count = series.len().max(1) as u32;
        let bar_width = (WIDTH / count).saturating_sub(GAP).max(1);
        let bars = series
            .iter()
            .enumerate()
            .map(|(i, (label, value))| {
                let height = if max > 0.0 {
                    ((value / max) * f64::from(HEIGHT - 14)).round() as u32
                } else {
                    0
                };
                Bar {
                    label: label.clone(),
                    value: *value,
                    x: i as u32 * (bar_width + GAP),
                    y: HEIGHT - height,
                    height,
                }
            })
            .collect();
        Chart {
            title: title.to_string(),
            bars,
            bar_width,
            max,
        }
    }

    pub fn width(&self) -> u32 {
        WIDTH
    }

    pub fn height(&self) -> u32 {
        HEIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tallest_bar_fills_the_chart_and_zero_is_flat() {
        let chart = Chart::new(
            "t",
            &[("a".into(), 2.0), ("b".into(), 4.0), ("c".into(), 0.0)],
        );
        assert_eq!(chart.bars[1].height, HEIGHT - 14);
        assert_eq!(chart.bars[0].height, (HEIGHT - 14) / 2);
        assert_eq!(chart.bars[2].height, 0);
        let empty = Chart::new("t", &[("a".into(), 0.0)]);
        assert_eq!(empty.bars[0].height, 0);
    }
}
