//! A timing taken several times, summed up honestly: its median and a confidence interval
//! for that median, from order statistics (no assumption about how the values spread,
//! which on a shared machine is anything but normal).
//!
//! For `n` values sorted, the interval from the `k`-th smallest to the `k`-th largest holds
//! the true median with probability `1 - 2·P(B < k)`, where `B` counts heads in `n` fair
//! coin tosses (each value falls below the median with probability one half). The
//! interval is the narrowest such one whose coverage is at least 95%; with 5 values or
//! fewer no interval reaches 95%, and the widest one, from the least to the most, is
//! given with its true coverage (94% for 5 values), which [`Interval::coverage`] says.
//!
//! Two figures are told apart only where their intervals do not overlap
//! ([`Interval::separated_from`]); a figure whose interval is wider than half its median
//! cannot tell apart differences the table cares about, and is marked unstable
//! ([`Interval::is_unstable`]).

use serde::{Deserialize, Serialize};

/// The coverage an interval aims for.
pub const CONFIDENCE: f64 = 0.95;

/// How wide an interval may be, relative to its median, before the figure is unstable:
/// wider than half the median, it cannot tell a 1.5x difference from noise.
pub const UNSTABLE_WIDTH: f64 = 0.5;

/// A median and its confidence interval, from `n` values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The median of the values.
    pub median: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
    /// How many values it comes from.
    pub n: usize,
}

impl Interval {
    /// The median of `values` and its interval; `None` when there is no finite value.
    pub fn of(values: &[f64]) -> Option<Interval> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let k = order_statistic(n);
        Some(Interval {
            median,
            low: sorted[k - 1],
            high: sorted[n - k],
            n,
        })
    }

    /// The probability that the interval holds the true median.
    pub fn coverage(&self) -> f64 {
        coverage(self.n, order_statistic(self.n))
    }

    /// Whether the two intervals do not overlap: only then does the lab rank one figure
    /// above the other.
    pub fn separated_from(&self, other: &Interval) -> bool {
        self.high < other.low || other.high < self.low
    }

    /// Whether `value` lies in the interval.
    pub fn holds(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }

    /// Whether the interval is too wide, for its median, to rank anything by.
    pub fn is_unstable(&self) -> bool {
        self.n < 2 || self.high - self.low > UNSTABLE_WIDTH * self.median.abs()
    }
}

/// The `k` (1-based) of the narrowest interval `[x(k), x(n-k+1)]` whose coverage reaches
/// [`CONFIDENCE`]; 1 when none does.
fn order_statistic(n: usize) -> usize {
    (1..=n.div_ceil(2))
        .take_while(|&k| coverage(n, k) >= CONFIDENCE)
        .last()
        .unwrap_or(1)
}

/// `1 - 2·P(B < k)` for `B` the heads in `n` fair tosses.
fn coverage(n: usize, k: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    // C(n, i) / 2^n, summed for i < k, in floating point (n is at most a few hundred).
    let mut term = 0.5f64.powi(n as i32);
    let mut below = 0.0;
    for i in 0..k {
        below += term;
        term *= (n - i) as f64 / (i + 1) as f64;
    }
    (1.0 - 2.0 * below).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_the_narrowest_with_95_percent_coverage() {
        // n = 6: [min, max] covers 1 - 2/64 = 96.9%; [x2, x5] only 1 - 14/64 = 78.1%.
        let six = Interval::of(&[6.0, 1.0, 5.0, 2.0, 4.0, 3.0]).expect("values");
        assert_eq!((six.median, six.low, six.high, six.n), (3.5, 1.0, 6.0, 6));
        assert!((six.coverage() - 0.96875).abs() < 1e-12);
        // n = 10: [x2, x9] covers 1 - 2·11/1024 = 97.9%; [x3, x8] 89.1%.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let ten = Interval::of(&ten).expect("values");
        assert_eq!((ten.low, ten.high), (2.0, 9.0));
        assert!((ten.coverage() - (1.0 - 22.0 / 1024.0)).abs() < 1e-12);
        // n = 5: nothing reaches 95%, so [min, max], which covers 93.75%.
        let five = Interval::of(&[3.0, 1.0, 2.0, 5.0, 4.0]).expect("values");
        assert_eq!((five.median, five.low, five.high), (3.0, 1.0, 5.0));
        assert!((five.coverage() - 0.9375).abs() < 1e-12);
    }

    #[test]
    fn one_value_has_no_interval_and_no_value_no_figure() {
        let one = Interval::of(&[7.0]).expect("a value");
        assert_eq!((one.low, one.high, one.coverage()), (7.0, 7.0, 0.0));
        assert!(one.is_unstable());
        assert_eq!(Interval::of(&[]), None);
        assert_eq!(Interval::of(&[f64::NAN]), None);
    }

    #[test]
    fn only_separated_intervals_rank_and_wide_ones_are_unstable() {
        let a = Interval::of(&[10.0, 11.0, 12.0, 10.5, 11.5, 10.8]).expect("values");
        let b = Interval::of(&[13.0, 14.0, 12.5, 13.5, 14.5, 13.2]).expect("values");
        let c = Interval::of(&[11.9, 13.0, 12.0, 12.2, 12.1, 12.4]).expect("values");
        assert!(a.separated_from(&b) && b.separated_from(&a));
        assert!(!a.separated_from(&c) && !c.separated_from(&b));
        assert!(!a.is_unstable());
        let wide = Interval::of(&[10.0, 20.0, 11.0, 12.0, 10.5, 11.5]).expect("values");
        assert!(wide.is_unstable(), "{wide:?}");
        assert!(a.holds(11.0) && !a.holds(12.5));
    }
}
