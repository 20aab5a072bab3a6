//! Property tests of the title and charset rules ([`crate::title`]): on arbitrary bytes,
//! and on the embedded site's real pages mutated at random, nothing panics; and the text
//! decoded for a page whose encoding is known (from a byte order mark, the HTTP header or
//! a `<meta>`) agrees with a reference decoding of its bytes in that encoding, as does the
//! title found in it.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use proptest::prelude::*;

use crate::site::PAGES;
use crate::title::{
    charset_from_content_type, collapse_ascii_whitespace, decode_html, page_title,
    prescan_meta_charset, title_of,
};

/// ASCII-compatible encodings a page may declare, by a label of theirs.
const LABELS: &[&str] = &[
    "utf-8",
    "windows-1252",
    "iso-8859-2",
    "windows-1251",
    "koi8-r",
    "gbk",
    "gb18030",
    "big5",
    "shift_jis",
    "euc-jp",
    "euc-kr",
];

fn encoding(label: &str) -> &'static Encoding {
    Encoding::for_label(label.as_bytes()).expect("a known label")
}

/// A title's text: anything but markup (`<`, `&`) and the control characters a parser
/// turns into something else.
fn title_text() -> impl Strategy<Value = String> {
    "[^<&\\x00-\\x08\\x0B\\x0E-\\x1F\\x7F-\\x{9F}]{0,40}"
}

/// A label as a server might spell it: any case, perhaps quoted.
fn spelled(label: &str, upper: bool, quoted: bool) -> String {
    let label = if upper {
        label.to_ascii_uppercase()
    } else {
        label.to_string()
    };
    if quoted {
        format!("\"{label}\"")
    } else {
        label
    }
}

/// `text` in UTF-16, little or big endian, after its byte order mark.
fn utf16_with_bom(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        let pair = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        bytes.extend_from_slice(&pair);
    }
    bytes
}

/// The reference decoding: `bytes` (without a BOM) in `encoding`, by encoding_rs alone.
fn reference(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// Checks that `body` decodes as the reference does in `encoding` (after `bom` bytes),
/// and that its title is the reference text's.
fn agrees(body: &[u8], content_type: Option<&str>, encoding: &'static Encoding, bom: usize) {
    let expected = reference(encoding, &body[bom..]);
    let (text, used) = decode_html(body, content_type);
    assert_eq!(used, encoding.name());
    assert_eq!(text, expected);
    assert_eq!(page_title(body, content_type), title_of(&expected));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        content_type in proptest::option::of(".{0,60}"),
    ) {
        let _ = page_title(&body, content_type.as_deref());
        let _ = prescan_meta_charset(&body);
        if let Some(content_type) = &content_type {
            let _ = charset_from_content_type(content_type);
        }
    }

    #[test]
    fn markup_like_bytes_never_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<meta".to_string()), Just("<title>".to_string()), Just("</title>".to_string()),
                Just("<!--".to_string()), Just("-->".to_string()), Just("charset=".to_string()),
                Just("<svg>".to_string()), Just("'".to_string()), Just("\"".to_string()),
                Just("http-equiv=content-type content=".to_string()), "[ -~]{0,8}",
            ],
            0..64,
        ),
    ) {
        let body = parts.concat();
        let _ = page_title(body.as_bytes(), None);
        let _ = page_title(body.as_bytes(), Some(&body));
    }

    #[test]
    fn mutated_pages_never_panic(
        page in 0..PAGES.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        inserts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        cut in any::<prop::sample::Index>(),
        other in 0..PAGES.len(),
    ) {
        let page = &PAGES[page];
        let mut body = page.bytes();
        for (at, byte) in flips {
            let at = at.index(body.len().max(1)).min(body.len().saturating_sub(1));
            if let Some(b) = body.get_mut(at) {
                *b ^= byte;
            }
        }
        for (at, byte) in inserts {
            body.insert(at.index(body.len() + 1), byte);
        }
        // Cut it short, then append another page's bytes: two documents spliced.
        body.truncate(cut.index(body.len() + 1));
        body.extend_from_slice(&PAGES[other].bytes());
        let _ = page_title(&body, Some(page.content_type()));
        let _ = page_title(&body, None);
    }

    #[test]
    fn a_bom_beats_the_header_and_the_meta(
        title in title_text(),
        kind in 0..3usize,
        header in prop::sample::select(LABELS),
        meta in prop::sample::select(LABELS),
    ) {
        let html = format!("<!doctype html><meta charset={meta}><title>{title}</title>");
        let (body, encoding) = match kind {
            0 => ([b"\xEF\xBB\xBF".as_slice(), html.as_bytes()].concat(), UTF_8),
            1 => (utf16_with_bom(&html, false), UTF_16LE),
            _ => (utf16_with_bom(&html, true), UTF_16BE),
        };
        let bom = if kind == 0 { 3 } else { 2 };
        agrees(&body, Some(&format!("text/html; charset={header}")), encoding, bom);
        prop_assert_eq!(page_title(&body, None), expected_title(&title));
    }

    #[test]
    fn the_header_s_charset_beats_the_meta(
        title in title_text(),
        label in prop::sample::select(LABELS),
        meta in prop::sample::select(LABELS),
        upper in any::<bool>(),
        quoted in any::<bool>(),
    ) {
        let encoding = encoding(label);
        let html = format!("<!doctype html><meta charset={meta}><title>{title}</title>");
        let body = encoding.encode(&html).0.into_owned();
        let header = format!("text/html; charset={}", spelled(label, upper, quoted));
        agrees(&body, Some(&header), encoding, 0);
    }

    #[test]
    fn a_meta_in_the_first_1024_bytes_declares_the_encoding(
        title in title_text(),
        label in prop::sample::select(LABELS),
        http_equiv in any::<bool>(),
        padding in 0..900usize,
        upper in any::<bool>(),
    ) {
        let encoding = encoding(label);
        let label = spelled(label, upper, true);
        let meta = if http_equiv {
            format!("<meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\">", label.trim_matches('"'))
        } else {
            format!("<meta charset={label}>")
        };
        let html = format!(
            "<!doctype html><!-- {} -->{meta}<title>{title}</title>",
            "-".repeat(padding)
        );
        let body = encoding.encode(&html).0.into_owned();
        agrees(&body, Some("text/html"), encoding, 0);
        agrees(&body, None, encoding, 0);
    }

    #[test]
    fn utf8_titles_come_back_as_written(title in title_text()) {
        let html = format!("<!doctype html><title>{title}</title>");
        prop_assert_eq!(page_title(html.as_bytes(), None), expected_title(&title));
    }
}

/// The title a browser shows for a `title` element holding `text` (no markup in it):
/// its ASCII white space collapsed, `None` when nothing is left. (Line breaks are
/// normalized first, as the HTML parser does; they collapse to a space either way.)
fn expected_title(text: &str) -> Option<String> {
    let collapsed = collapse_ascii_whitespace(text);
    (!collapsed.is_empty()).then_some(collapsed)
}

#[test]
fn the_real_pages_give_their_titles() {
    for page in PAGES {
        assert_eq!(
            page_title(&page.bytes(), Some(page.content_type())).as_deref(),
            page.title,
            "{}",
            page.path
        );
    }
}
