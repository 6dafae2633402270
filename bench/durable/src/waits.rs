//! Waits measured on atode and on River in alternating rounds, pooled for
//! the percentiles, and their table with atode's p50 and p99 over River's.

use crate::report::{Table, ms, percentile, spread};

/// Microseconds, pooled over rounds.
#[derive(Debug, Default)]
pub struct Waits {
    /// Sorted once `finish` ran.
    pub us: Vec<u64>,
    /// Requests not answered 2xx, or calls not seen through.
    pub errors: u64,
    /// Waits that came out negative (the task before the client read its
    /// response), counted as 0.
    pub early: u64,
}

impl Waits {
    pub fn finish(&mut self) {
        self.us.sort_unstable();
    }

    pub fn p50(&self) -> u64 {
        percentile(&self.us, 0.50)
    }

    pub fn p99(&self) -> u64 {
        percentile(&self.us, 0.99)
    }

    pub fn max(&self) -> u64 {
        self.us.last().copied().unwrap_or(0)
    }

    fn extend(&mut self, other: Waits) {
        self.us.extend(other.us);
        self.us.sort_unstable();
        self.errors += other.errors;
        self.early += other.early;
    }
}

#[derive(Debug, Default)]
pub struct Comparison {
    pub atode: Waits,
    pub river: Waits,
    /// atode p50 / River p50, per round (lower is better for atode).
    pub p50_ratios: Vec<f64>,
    pub p99_ratios: Vec<f64>,
}

impl Comparison {
    /// One round of each, measured back to back.
    pub fn push(&mut self, mut atode: Waits, mut river: Waits) {
        atode.finish();
        river.finish();
        let ratio = |a: u64, r: u64| a as f64 / (r as f64).max(1.0);
        self.p50_ratios.push(ratio(atode.p50(), river.p50()));
        self.p99_ratios.push(ratio(atode.p99(), river.p99()));
        self.atode.extend(atode);
        self.river.extend(river);
    }
}

/// One row per backend and setting: `(backend, setting, comparison)`.
pub fn print(rows: &[(&str, String, &Comparison)]) {
    let mut table = Table::new(&[
        "backend",
        "fetch",
        "atode p50:",
        "atode p99:",
        "atode max:",
        "River p50:",
        "River p99:",
        "atode/River p50:",
        "atode/River p99:",
        "samples:",
        "errors:",
    ]);
    for (backend, setting, c) in rows {
        table.row(&[
            (*backend).to_owned(),
            setting.clone(),
            ms(c.atode.p50() as f64),
            ms(c.atode.p99() as f64),
            ms(c.atode.max() as f64),
            ms(c.river.p50() as f64),
            ms(c.river.p99() as f64),
            spread(&c.p50_ratios),
            spread(&c.p99_ratios),
            format!("{} / {}", c.atode.us.len(), c.river.us.len()),
            format!("{} / {}", c.atode.errors, c.river.errors),
        ]);
    }
    print!("{}", table.render());
}
