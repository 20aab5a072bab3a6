//! A page's title as a browser shows it (`document.title`).
//!
//! Two steps, both as the HTML standard says:
//! 1. **Bytes to text.** A byte order mark wins; else the `charset` of the HTTP
//!    `Content-Type`; else a `<meta charset>` or `<meta http-equiv="content-type">` found
//!    by the standard's prescan of the first 1024 bytes; else UTF-8. encoding_rs decodes.
//! 2. **Text to title.** The first `title` element *in the HTML namespace* (a `title`
//!    inside an inline `<svg>` is SVG's, and a browser ignores it), its text children
//!    joined, ASCII white space collapsed to single spaces and trimmed. Entities are
//!    decoded by the HTML parser (html5ever, through scraper).
//!
//! The book's listing takes `select_first("title")` and its `inner_html`, which keeps
//! entities encoded, keeps line breaks and picks an SVG icon's title; this does not.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use scraper::{Html, Node};

const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

/// How far into the body the `<meta>` prescan looks, as browsers do.
const PRESCAN_BYTES: usize = 1024;

/// Decodes an HTML body to text the way a browser picks its encoding. Returns the text
/// and the name of the encoding used.
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let declared = content_type
        .and_then(charset_from_content_type)
        .or_else(|| prescan_meta_charset(body))
        .unwrap_or(UTF_8);
    // `decode` sniffs a BOM first, which overrides the declared encoding.
    let (text, used, _had_errors) = declared.decode(body);
    (text.into_owned(), used.name())
}

/// The title a browser would show for `html`, or `None` when it shows none (no HTML
/// `title` element, or one with only white space).
pub fn title_of(html: &str) -> Option<String> {
    let document = Html::parse_document(html);
    let title = document.tree.root().descendants().find(|node| {
        matches!(node.value(), Node::Element(e)
            if e.name.local.as_ref() == "title" && e.name.ns.as_ref() == HTML_NAMESPACE)
    })?;
    // document.title is the element's *child* text content: text nodes directly inside it.
    let text: String = title
        .children()
        .filter_map(|child| child.value().as_text().map(|t| t.to_string()))
        .collect();
    let collapsed = collapse_ascii_whitespace(&text);
    (!collapsed.is_empty()).then_some(collapsed)
}

/// Decodes `body` and finds its title: the two steps together.
pub fn page_title(body: &[u8], content_type: Option<&str>) -> Option<String> {
    title_of(&decode_html(body, content_type).0)
}

/// Collapses runs of ASCII white space (the HTML standard's: space, tab, LF, FF, CR) to one
/// space and trims them from both ends. Other white space, like U+00A0, is kept.
pub fn collapse_ascii_whitespace(text: &str) -> String {
    text.split([' ', '\t', '\n', '\x0C', '\r'])
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The encoding named by the `charset` parameter of a `Content-Type` header value.
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    extract_charset(content_type.as_bytes()).and_then(Encoding::for_label)
}

/// The HTML standard's "prescan a byte stream to determine its encoding", over the first
/// 1024 bytes: comments and other tags are skipped; the first `<meta>` that declares a
/// known encoding wins.
pub fn prescan_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let bytes = &body[..body.len().min(PRESCAN_BYTES)];
    let mut pos = 0;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if rest.starts_with(b"<!--") {
            pos += find(&rest[4..], b"-->").map_or(rest.len(), |end| 4 + end + 3);
        } else if starts_with_ignore_case(rest, b"<meta")
            && rest.get(5).is_some_and(|&b| is_space(b) || b == b'/')
        {
            let (encoding, consumed) = meta_encoding(&rest[5..]);
            if let Some(encoding) = encoding {
                return Some(fix_meta_encoding(encoding));
            }
            pos += 5 + consumed;
        } else if rest.len() > 1 && rest[0] == b'<' && is_tag_start(&rest[1..]) {
            // Some other tag: skip its name and attributes.
            let name_len = rest[1..]
                .iter()
                .position(|&b| is_space(b) || b == b'>')
                .unwrap_or(rest.len() - 1);
            let mut at = 1 + name_len;
            while let Some((_, _, used)) = next_attribute(&rest[at..]) {
                at += used;
            }
            pos += at + 1;
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            pos += find(rest, b">").map_or(rest.len(), |end| end + 1);
        } else {
            pos += 1;
        }
    }
    None
}

/// A meta tag's declared encoding (after `<meta`), and how many bytes its attributes used.
fn meta_encoding(bytes: &[u8]) -> (Option<&'static Encoding>, usize) {
    let mut at = 0;
    let (mut charset, mut content, mut http_equiv_content_type) = (None, None, false);
    while let Some((name, value, used)) = next_attribute(&bytes[at..]) {
        at += used;
        match name.as_slice() {
            b"charset" if charset.is_none() => charset = Encoding::for_label(&value),
            b"content" if content.is_none() => {
                content = extract_charset(&value).map(<[u8]>::to_vec)
            }
            b"http-equiv" => http_equiv_content_type = value.eq_ignore_ascii_case(b"content-type"),
            _ => {}
        }
    }
    let from_content = content
        .filter(|_| http_equiv_content_type)
        .and_then(|label| Encoding::for_label(&label));
    (charset.or(from_content), at)
}

/// A `<meta>` cannot really declare UTF-16 (the bytes read so far were ASCII), and
/// x-user-defined means windows-1252, as the standard says.
fn fix_meta_encoding(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == encoding_rs::UTF_16BE || encoding == encoding_rs::UTF_16LE {
        UTF_8
    } else if encoding == encoding_rs::X_USER_DEFINED {
        WINDOWS_1252
    } else {
        encoding
    }
}

/// The standard's "get an attribute": the next attribute's lowercased name and its value,
/// and the bytes consumed; `None` at the tag's end.
fn next_attribute(bytes: &[u8]) -> Option<(Vec<u8>, Vec<u8>, usize)> {
    let mut at = 0;
    while at < bytes.len() && (is_space(bytes[at]) || bytes[at] == b'/') {
        at += 1;
    }
    if at >= bytes.len() || bytes[at] == b'>' {
        return None;
    }
    let mut name = Vec::new();
    while at < bytes.len() && !matches!(bytes[at], b'=' | b'>' | b'/') && !is_space(bytes[at]) {
        name.push(bytes[at].to_ascii_lowercase());
        at += 1;
    }
    while at < bytes.len() && is_space(bytes[at]) {
        at += 1;
    }
    if bytes.get(at) != Some(&b'=') {
        return Some((name, Vec::new(), at));
    }
    at += 1;
    while at < bytes.len() && is_space(bytes[at]) {
        at += 1;
    }
    let mut value = Vec::new();
    match bytes.get(at) {
        Some(&quote) if quote == b'"' || quote == b'\'' => {
            at += 1;
            while at < bytes.len() && bytes[at] != quote {
                value.push(bytes[at].to_ascii_lowercase());
                at += 1;
            }
            at += 1;
        }
        _ => {
            while at < bytes.len() && !is_space(bytes[at]) && bytes[at] != b'>' {
                value.push(bytes[at].to_ascii_lowercase());
                at += 1;
            }
        }
    }
    Some((name, value, at.min(bytes.len())))
}

/// The standard's "extract a character encoding from a meta element", also right for a
/// `Content-Type` header: the value after `charset=`, quoted or not.
fn extract_charset(value: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    loop {
        let start = from + find_ignore_case(&value[from..], b"charset")? + 7;
        let mut at = start;
        while at < value.len() && is_space(value[at]) {
            at += 1;
        }
        if value.get(at) != Some(&b'=') {
            from = start;
            continue;
        }
        at += 1;
        while at < value.len() && is_space(value[at]) {
            at += 1;
        }
        let rest = &value[at..];
        return match rest.first() {
            Some(&quote) if quote == b'"' || quote == b'\'' => {
                let end = rest[1..].iter().position(|&b| b == quote)?;
                Some(&rest[1..1 + end])
            }
            Some(_) => {
                let end = rest
                    .iter()
                    .position(|&b| is_space(b) || b == b';')
                    .unwrap_or(rest.len());
                Some(&rest[..end])
            }
            None => None,
        };
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0C' | b'\r')
}

fn is_tag_start(rest: &[u8]) -> bool {
    rest[0].is_ascii_alphabetic()
        || (rest[0] == b'/' && rest.get(1).is_some_and(u8::is_ascii_alphabetic))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.len() >= prefix.len() && haystack[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_ascii_whitespace_but_keeps_nbsp() {
        assert_eq!(collapse_ascii_whitespace("\n  a \t b\r\n"), "a b");
        assert_eq!(collapse_ascii_whitespace("a\u{a0} b"), "a\u{a0} b");
    }

    #[test]
    fn first_html_title_wins_and_svg_titles_do_not_count() {
        let html = "<body><svg><title>Icon</title></svg><title>Real</title><title>Second</title>";
        assert_eq!(title_of(html).as_deref(), Some("Real"));
        assert_eq!(title_of("<body><svg><title>Icon</title></svg>"), None);
    }

    #[test]
    fn entities_are_decoded_and_empty_titles_are_none() {
        assert_eq!(
            title_of("<title>Fish &amp; Chips&#160;&mdash; &lt;b&gt;</title>").as_deref(),
            Some("Fish & Chips\u{a0}\u{2014} <b>")
        );
        assert_eq!(title_of("<title> \n </title>"), None);
        assert_eq!(title_of("<p>no title here</p>"), None);
    }

    #[test]
    fn meta_charset_forms_are_found() {
        let enc = |s: &str| prescan_meta_charset(s.as_bytes()).map(|e| e.name());
        assert_eq!(enc("<meta charset=gbk>"), Some("GBK"));
        assert_eq!(enc("<META CHARSET='windows-1252'>"), Some("windows-1252"));
        assert_eq!(
            enc(r#"<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">"#),
            Some("Shift_JIS")
        );
        // content without http-equiv declares nothing; a comment hides a meta.
        assert_eq!(enc(r#"<meta content="text/html; charset=gbk">"#), None);
        assert_eq!(enc("<!-- <meta charset=gbk> --><p>"), None);
        // Attribute values of other tags are skipped, not read as tags.
        assert_eq!(enc(r#"<a title="<meta charset=gbk>">x</a>"#), None);
        assert_eq!(enc("<meta charset=utf-16le>"), Some("UTF-8"));
        let late = format!("{}<meta charset=gbk>", " ".repeat(PRESCAN_BYTES));
        assert_eq!(enc(&late), None);
    }

    #[test]
    fn header_charset_beats_meta_and_bom_beats_both() {
        let body = "<meta charset=gbk><title>caf\u{e9}</title>";
        let latin1 = encoding_rs::WINDOWS_1252.encode(body).0;
        assert_eq!(
            page_title(&latin1, Some("text/html; charset=\"windows-1252\"")).as_deref(),
            Some("caf\u{e9}")
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(body.as_bytes());
        assert_eq!(
            decode_html(&bom, Some("text/html; charset=windows-1252")).1,
            "UTF-8"
        );
        assert_eq!(decode_html(b"<title>x</title>", None).1, "UTF-8");
    }
}
