//! What an experiment measures: a [`Measure`] is a measurement's key in the report's
//! `measurements`, its [`Unit`] and what it is. Each experiment's module declares its own
//! as `const`s at its top, lists them for [`Experiment::measures`], and records them with
//! [`Output::set_measure`], which takes a `Measure`, never a string.
//!
//! The report keeps the key alone, a string (older baselines and the notes read it so):
//! whoever reads it takes the unit from the key's last word ([`Unit::named_by`]: `_ms`,
//! `_kib`, ...), as the driver's `--figures` does. So a `Measure`'s constructor checks, at
//! compile time, that its key and its unit agree ([`Measure::check`]).
//!
//! [`Experiment::measures`]: super::Experiment::measures
//! [`Output::set_measure`]: super::Output::set_measure

use std::fmt::Display;

/// A measurement's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds; the key ends in `_ms`.
    Ms,
    /// Microseconds; the key ends in `_us`.
    Us,
    /// Nanoseconds; the key ends in `_ns`.
    Ns,
    /// Kibibytes; the key ends in `_kib`.
    KiB,
    /// Bytes; a key that ends in `_bytes` (or is `bytes`) is a size in bytes, and an
    /// offset in bytes may be named otherwise (`..._offset`).
    Bytes,
    /// Requests a second; the key ends in `_rps`.
    Rps,
    /// One figure over another; the key ends in `_ratio`.
    Ratio,
    /// How many of something (pages, threads, polls, races won); no word names it.
    Count,
    /// 1 for yes, 0 for no; no word names it.
    Flag,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Unit; 9] = [
        Unit::Ms,
        Unit::Us,
        Unit::Ns,
        Unit::KiB,
        Unit::Bytes,
        Unit::Rps,
        Unit::Ratio,
        Unit::Count,
        Unit::Flag,
    ];

    /// The last word of a key that names this unit (`ms` in `blocked_ms`), if one does.
    pub const fn word(self) -> Option<&'static str> {
        match self {
            Unit::Ms => Some("ms"),
            Unit::Us => Some("us"),
            Unit::Ns => Some("ns"),
            Unit::KiB => Some("kib"),
            Unit::Bytes => Some("bytes"),
            Unit::Rps => Some("rps"),
            Unit::Ratio => Some("ratio"),
            Unit::Count | Unit::Flag => None,
        }
    }

    /// What follows a figure in this unit where it is quoted on its own (the driver's
    /// `--figures`): ` ms`, ` µs`, ` ns`, ` KiB`; nothing for the others, which the prose
    /// around the figure names (`16 bytes`, `100 pages`).
    pub const fn shown(self) -> &'static str {
        match self {
            Unit::Ms => " ms",
            Unit::Us => " µs",
            Unit::Ns => " ns",
            Unit::KiB => " KiB",
            Unit::Bytes | Unit::Rps | Unit::Ratio | Unit::Count | Unit::Flag => "",
        }
    }

    /// The unit `key`'s last word names: `blocked_ms` is in milliseconds, `tx_fut_bytes`
    /// in bytes; `pages` names none. A report's keys carry no other unit.
    pub const fn named_by(key: &str) -> Option<Unit> {
        let mut i = 0;
        while i < Unit::ALL.len() {
            let unit = Unit::ALL[i];
            if let Some(word) = unit.word()
                && last_word_is(key.as_bytes(), word.as_bytes())
            {
                return Some(unit);
            }
            i += 1;
        }
        None
    }

    /// The same unit (`==`, in a `const fn`).
    const fn is(self, other: Unit) -> bool {
        self as u8 == other as u8
    }
}

/// A measurement an experiment records: its key in the report's `measurements`, its
/// unit, and what it is. Made by the `const fn`s below, which check the key against the
/// unit ([`Measure::check`]): in a `const`, a key that disagrees does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// The key in the report's `measurements` (snake case). A key with `{}` in it is a
    /// family of measurements, one a value of a parameter (`alive_after_{}s`), recorded
    /// with [`Output::set_measure_at`](super::Output::set_measure_at).
    pub key: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// What it is, in a few words.
    pub what: &'static str,
}

impl Measure {
    /// A measurement in `unit`.
    ///
    /// # Panics
    ///
    /// When `key` and `unit` disagree ([`Measure::check`]): at compile time in a `const`.
    pub const fn new(key: &'static str, unit: Unit, what: &'static str) -> Measure {
        if let Err(why) = Measure::check(key, unit) {
            panic!("{}", why);
        }
        Measure { key, unit, what }
    }

    /// A time in milliseconds: the key ends in `_ms`.
    pub const fn ms(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Ms, what)
    }

    /// A time in microseconds: the key ends in `_us`.
    pub const fn us(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Us, what)
    }

    /// A time in nanoseconds: the key ends in `_ns`.
    pub const fn ns(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Ns, what)
    }

    /// A size in kibibytes: the key ends in `_kib`.
    pub const fn kib(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::KiB, what)
    }

    /// A size or an offset in bytes.
    pub const fn bytes(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Bytes, what)
    }

    /// Requests a second: the key ends in `_rps`.
    pub const fn rps(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Rps, what)
    }

    /// One figure over another: the key ends in `_ratio`.
    pub const fn ratio(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Ratio, what)
    }

    /// How many of something: the key names no unit.
    pub const fn count(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Count, what)
    }

    /// 1 for yes, 0 for no: the key names no unit.
    pub const fn flag(key: &'static str, what: &'static str) -> Measure {
        Measure::new(key, Unit::Flag, what)
    }

    /// Whether `key` can carry a measurement in `unit`, and why not:
    /// - the key is snake case (`a`-`z`, `0`-`9`, `_`), with at most one `{}`: the
    ///   driver finds a key after the last hyphen of an anchor's name;
    /// - where its last word names a unit ([`Unit::named_by`]), that is `unit`, so that
    ///   whoever reads the report reads the right one;
    /// - a unit the driver shows after each figure ([`Unit::shown`]: a time, KiB) is
    ///   named by the key's last word, since the report carries it nowhere else.
    pub const fn check(key: &str, unit: Unit) -> Result<(), &'static str> {
        let bytes = key.as_bytes();
        if bytes.is_empty() {
            return Err("a measure's key is empty");
        }
        let (mut i, mut holes) = (0, 0);
        while i < bytes.len() {
            match bytes[i] {
                b'a'..=b'z' | b'0'..=b'9' | b'_' => {}
                b'{' if i + 1 < bytes.len() && bytes[i + 1] == b'}' => {
                    holes += 1;
                    i += 1;
                }
                _ => return Err("a measure's key is snake case: a-z, 0-9, _ (and one {})"),
            }
            i += 1;
        }
        if holes > 1 {
            return Err("a measure's key has one {} at most");
        }
        match Unit::named_by(key) {
            Some(named) if !named.is(unit) => {
                Err("a measure's key ends in the word of another unit than its own")
            }
            None if !unit.shown().is_empty() => {
                Err("a time or a size in KiB needs its unit's word at the end of its key")
            }
            _ => Ok(()),
        }
    }

    /// Whether the key has a `{}`: a family of measurements, one a value of a parameter.
    pub fn is_family(&self) -> bool {
        self.key.contains("{}")
    }

    /// The key of the family's member for `at` (`alive_after_{}s` at 15: `alive_after_15s`).
    pub fn key_at(&self, at: impl Display) -> String {
        self.key.replacen("{}", &at.to_string(), 1)
    }
}

/// Whether `key`'s last `_`-separated word is `word` (or the key is the word).
const fn last_word_is(key: &[u8], word: &[u8]) -> bool {
    if key.len() < word.len() {
        return false;
    }
    let start = key.len() - word.len();
    if start > 0 && key[start - 1] != b'_' {
        return false;
    }
    let mut i = 0;
    while i < word.len() {
        if key[start + i] != word[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_the_unit_of_its_last_word() {
        assert_eq!(Unit::named_by("blocked_ms"), Some(Unit::Ms));
        assert_eq!(Unit::named_by("sleep_1000_ms"), Some(Unit::Ms));
        assert_eq!(Unit::named_by("timer_late_p99_us"), Some(Unit::Us));
        assert_eq!(Unit::named_by("spawn_ns"), Some(Unit::Ns));
        assert_eq!(Unit::named_by("peak_rss_kib"), Some(Unit::KiB));
        assert_eq!(Unit::named_by("bytes"), Some(Unit::Bytes));
        assert_eq!(Unit::named_by("tx_fut_bytes"), Some(Unit::Bytes));
        assert_eq!(Unit::named_by("fetch_rps"), Some(Unit::Rps));
        assert_eq!(Unit::named_by("lab_spawn_ratio"), Some(Unit::Ratio));
        for key in [
            "pages",
            "alive_after_{}s",
            "items",
            "forms",
            "self_referential_local_offset",
        ] {
            assert_eq!(Unit::named_by(key), None, "{key}");
        }
    }

    #[test]
    fn a_key_and_a_unit_that_disagree_are_refused() {
        assert!(Measure::check("blocked_ms", Unit::Ms).is_ok());
        assert!(Measure::check("pages", Unit::Count).is_ok());
        assert!(Measure::check("alive_after_{}s", Unit::Count).is_ok());
        assert!(Measure::check("local_offset", Unit::Bytes).is_ok());
        // The key says another unit.
        assert!(Measure::check("blocked_ms", Unit::Us).is_err());
        assert!(Measure::check("polls_ms", Unit::Count).is_err());
        // A time whose key does not say so.
        assert!(Measure::check("blocked", Unit::Ms).is_err());
        assert!(Measure::check("peak_rss", Unit::KiB).is_err());
        // Not snake case, or two parameters.
        assert!(Measure::check("", Unit::Count).is_err());
        assert!(Measure::check("tokio-late_ms", Unit::Ms).is_err());
        assert!(Measure::check("Late_ms", Unit::Ms).is_err());
        assert!(Measure::check("a_{}_{}", Unit::Count).is_err());
        assert!(Measure::check("a_{", Unit::Count).is_err());
    }

    #[test]
    fn a_family_has_a_member_for_each_value() {
        const ALIVE: Measure = Measure::count("alive_after_{}s", "threads alive");
        assert!(ALIVE.is_family());
        assert_eq!(ALIVE.key_at(15.0), "alive_after_15s");
        assert_eq!(ALIVE.key_at(0.5), "alive_after_0.5s");
        assert!(!Measure::ms("blocked_ms", "blocked").is_family());
    }
}
