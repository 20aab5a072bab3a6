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

pub use async_lab_runtime::render::is_hidden;

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

/// A URL as one [`word`], with the password of its user information hidden:
/// `http://user:***@host/`. Every place that prints a URL the user typed (a line, a task's
/// name in the report, the timelines) prints it this way, so a password never reaches an
/// output.
pub fn url(text: &str) -> Cow<'_, str> {
    match redact_password(text) {
        Cow::Borrowed(plain) => word(plain),
        Cow::Owned(redacted) => Cow::Owned(word(&redacted).into_owned()),
    }
}

/// `text` with the password between `user:` and `@` in its authority replaced by `***`.
fn redact_password(text: &str) -> Cow<'_, str> {
    let Some(scheme_end) = text.find("://") else {
        return Cow::Borrowed(text);
    };
    let authority_start = scheme_end + 3;
    let authority_len = text[authority_start..]
        .find(['/', '?', '#'])
        .unwrap_or(text.len() - authority_start);
    let authority = &text[authority_start..authority_start + authority_len];
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(text);
    };
    let Some(colon) = authority[..at].find(':') else {
        return Cow::Borrowed(text);
    };
    let password = authority_start + colon + 1..authority_start + at;
    Cow::Owned(format!(
        "{}***{}",
        &text[..password.start],
        &text[password.end..]
    ))
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
    fn a_password_in_a_url_is_hidden_and_the_rest_kept() {
        assert_eq!(
            url("http://user:secret@host/a:b@c"),
            "http://user:***@host/a:b@c"
        );
        assert_eq!(url("https://u:p:q@h:8080?x=@"), "https://u:***@h:8080?x=@");
        assert_eq!(url("http://user@host/"), "http://user@host/");
        assert_eq!(url("http://host/p?u=a:b@c"), "http://host/p?u=a:b@c");
        assert_eq!(url("http://a b:pw@h/"), "\"http://a b:***@h/\"");
        assert_eq!(url("/plain"), "/plain");
    }

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
