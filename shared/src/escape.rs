//! Text from outside (a URL typed by the user, a title sent by a server, a reason that
//! quotes either) made safe to print on a line of its own.
//!
//! Printed raw, such text can hold anything: a line break (one argument prints two lines,
//! the second one looking like a title), a terminal escape, a right-to-left override that
//! shows the line in another order. [`inline`] writes every such character as an escape
//! (`\n`, `\u{1b}`); [`word`] also quotes a text that would not read as one word: empty,
//! with white space, or starting with a quote (`"" failed: ...` rather than a line that
//! starts with ` failed:`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// A character that must not reach the terminal as it is: control characters (C0, DEL,
/// C1), the line and paragraph separators, and the invisible ones that reorder or hide
/// text (bidirectional overrides and isolates, zero-width characters, the BOM).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with every hidden character ([`is_hidden`]) escaped: `\n`, `\r`, `\t`, else
/// `\u{…}`. Everything else, backslashes included, is kept, so a title reads as sent.
pub fn inline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// `text` as one word: as it is when it is one (not empty, no white space or hidden
/// character, no leading `"`); else in double quotes, with `"`, `\` and hidden characters
/// escaped. A URL is printed this way, so no argument can look like more than one URL.
pub fn word(text: &str) -> Cow<'_, str> {
    let plain = !text.is_empty()
        && !text.starts_with('"')
        && !text.chars().any(|c| c.is_whitespace() || is_hidden(c));
    if plain {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_hidden(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_is_printed_as_it_is() {
        for url in [
            "http://127.0.0.1:80/plain",
            "/gbk",
            "not-a-url",
            "C:\\x",
            "h\u{e9}",
        ] {
            assert_eq!(word(url), url);
        }
    }

    #[test]
    fn a_url_that_is_not_one_word_is_quoted() {
        assert_eq!(word(""), "\"\"");
        assert_eq!(word(" http://a"), "\" http://a\"");
        assert_eq!(
            word("a\nThe title for b was c"),
            "\"a\\nThe title for b was c\""
        );
        assert_eq!(word("\"quoted\" \\"), "\"\\\"quoted\\\" \\\\\"");
        assert_eq!(word("x\u{202E}y"), "\"x\\u{202e}y\"");
    }

    #[test]
    fn hidden_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            inline("Fish & Chips\u{a0}\u{2014} Caf\u{e9}"),
            "Fish & Chips\u{a0}\u{2014} Caf\u{e9}"
        );
        assert_eq!(inline("a\u{1b}[31mred\u{85}"), "a\\u{1b}[31mred\\u{85}");
        assert_eq!(inline("two\r\nlines\u{2028}"), "two\\r\\nlines\\u{2028}");
    }
}
