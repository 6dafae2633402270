//! Medians, percentiles and the markdown tables.

use std::fmt::Write;

/// The median of `values` (the lower middle for an even count), 0 if none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

/// "median (min–max)" of per-round ratios.
pub fn spread(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        "–".to_owned()
    } else if values.len() == 1 {
        format!("{:.2}", values[0])
    } else {
        format!("{:.2} ({min:.2}–{max:.2})", median(values))
    }
}

/// The value at quantile `q` of sorted `values` (nearest rank).
pub fn percentile(values: &[u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Microseconds as milliseconds, two decimals.
pub fn ms(us: f64) -> String {
    format!("{:.2} ms", us / 1000.0)
}

/// A markdown table.
pub struct Table {
    text: String,
}

impl Table {
    /// `columns`: names, a trailing `:` right-aligns one.
    pub fn new(columns: &[&str]) -> Self {
        let mut text = String::from("|");
        let mut rule = String::from("|");
        for column in columns {
            let (name, right) = match column.strip_suffix(':') {
                Some(name) => (name, true),
                None => (*column, false),
            };
            let _ = write!(text, " {name} |");
            rule.push_str(if right { " ---: |" } else { " --- |" });
        }
        text.push('\n');
        text.push_str(&rule);
        text.push('\n');
        Table { text }
    }

    pub fn row(&mut self, cells: &[String]) {
        self.text.push('|');
        for cell in cells {
            let _ = write!(self.text, " {cell} |");
        }
        self.text.push('\n');
    }

    pub fn render(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.0);
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), 2);
        assert_eq!(percentile(&[1, 2, 3, 4], 0.99), 4);
        assert_eq!(spread(&[1.0, 0.5, 2.0]), "1.00 (0.50–2.00)");
    }
}
