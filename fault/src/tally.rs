//! Counting outcomes, per category and in total.

use std::collections::BTreeMap;
use std::fmt::{self, Display};

use crate::probe::Outcome;

#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: BTreeMap<Outcome, usize>,
}

impl Tally {
    pub fn add(&mut self, outcome: Outcome) {
        *self.counts.entry(outcome).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        for (&outcome, &count) in &other.counts {
            *self.counts.entry(outcome).or_default() += count;
        }
    }

    pub fn tried(&self) -> usize {
        self.counts.values().sum()
    }

    fn count(&self, matches: impl Fn(Outcome) -> bool) -> usize {
        self.counts
            .iter()
            .filter(|(outcome, _)| matches(**outcome))
            .map(|(_, count)| count)
            .sum()
    }

    pub fn status_class(&self, class: u16) -> usize {
        self.count(|o| matches!(o, Outcome::Status(code) if code / 100 == class))
    }

    /// Connections the server ended without an HTTP answer: a plain
    /// close, or a WebSocket close frame.
    pub fn closes(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Closed | Outcome::WsClose(_)))
    }

    pub fn hangs(&self) -> usize {
        self.count(|o| o == Outcome::Hang)
    }

    pub fn refused(&self) -> usize {
        self.count(|o| o == Outcome::Refused)
    }

    pub fn unanswered(&self) -> usize {
        self.count(|o| o == Outcome::Unanswered)
    }

    /// For the script: `key=value` pairs on one line.
    pub fn figures(&self) -> String {
        format!(
            "tried={} 2xx={} 4xx={} closes={} 5xx={} hangs={} refused={} unanswered={}",
            self.tried(),
            self.status_class(2),
            self.status_class(4),
            self.closes(),
            self.status_class(5),
            self.hangs(),
            self.refused(),
            self.unanswered()
        )
    }
}

/// `404×3 closed×2`: each outcome with its count.
impl Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (outcome, count) in &self.counts {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            match outcome {
                Outcome::Status(code) => write!(f, "{code}×{count}")?,
                Outcome::Closed => write!(f, "closed×{count}")?,
                Outcome::WsClose(code) => write!(f, "ws-close-{code}×{count}")?,
                Outcome::Hang => write!(f, "HANG×{count}")?,
                Outcome::Unanswered => write!(f, "UNANSWERED×{count}")?,
                Outcome::Aborted => write!(f, "reset-by-us×{count}")?,
                Outcome::Refused => write!(f, "REFUSED×{count}")?,
            }
        }
        Ok(())
    }
}
