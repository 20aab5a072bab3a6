//! A page's title as a browser shows it (`document.title`).
//!
//! Two steps, both as the HTML standard says:
//! 1. **Bytes to text.** A byte order mark wins; else the `charset` of the HTTP
//!    `Content-Type`; else a `<meta charset>` or `<meta http-equiv="content-type">` found
//!    by the standard's prescan of the first 1024 bytes; else UTF-8. encoding_rs decodes.
//! 2. **Text to title.** The first `title` element *in the HTML namespace* and outside
//!    template contents, its text with character references decoded, ASCII white space
//!    collapsed to single spaces and trimmed.
//!
//! The book's listing takes `select_first("title")` and its `inner_html`, which keeps
//! entities encoded, keeps line breaks and picks an SVG icon's title; this does not.
//!
//! # How the title is found
//!
//! Not by building a DOM: html5ever's tree builder takes time quadratic in the input on
//! some shapes (the scans of its open-element stack under 20,000 nested `<div>`s, the
//! adoption agency on misnested `<b><i><b><i>...` with distinct attributes, unclosed
//! `<table>`s), and its tokenizer checks each attribute against the tag's earlier ones, so
//! one tag with tens of thousands of attributes is quadratic too. A body may be 10 MiB.
//!
//! Instead a scanner walks the text once. Its tokenizer part goes from one `<` to the next
//! and reads tags, their attributes (a `>` or `<title>` inside quotes is a value) and
//! comments (with the abrupt `<!-->`, `<!--->` and `--!>`), DOCTYPEs and other bogus
//! comments, CDATA sections (in foreign content only); it skips the content of the
//! raw-text elements whole: RCDATA `title` and `textarea`; RAWTEXT `style`, `xmp`,
//! `iframe`, `noembed`, `noframes` and `noscript` (scripting is on, as in a browser);
//! `script` with its escaped and double-escaped states; `plaintext`, after which all is
//! text. Its tree part, `OpenElements`, keeps the stack of open elements with what the
//! tree builder's rules look at: each element's namespace, whether it is special, a scope
//! boundary or an integration point. It tells whether a start tag is HTML or foreign
//! (inside `<svg>` and `<math>`, a `title` is SVG's or MathML's, unless the current node
//! is an HTML integration point or a MathML text integration point, and the standard's
//! breakout tags pop back to HTML), what end tags close, as "in body" and the foreign
//! content rules say (with their scopes), and whether a `template` is open, whose contents
//! `document.title` does not see. The first HTML `title` start tag outside templates is
//! the answer; its raw text runs to the first `</title` followed by white space, `/` or
//! `>`, or to the end of the input. Only that text goes to html5ever, as
//! `<title>RAW</title>`, to decode its character references as the standard does.
//!
//! # Why it is linear
//!
//! The tokenizer never goes back: each byte is read a bounded number of times. The
//! stack keeps, beside the elements, the indices of open elements by name and by category
//! (special, scope boundary, HTML, heading), so every question a tag asks ("is a `p` open
//! in button scope?", "is the `div` this end tag names above the nearest special
//! element?") is answered from the tops of those lists, without walking the stack; an
//! unmatched end tag is ignored in constant time. Each element is pushed once and popped
//! at most once. Attributes are read once, and only `encoding` and `font`'s `color`,
//! `face` and `size` are kept: no check for duplicates.
//!
//! # Where it differs from a browser
//!
//! - Foster parenting: a browser moves a title met in table context (`<table><title>`)
//!   to before the table; here it is found in document order, which differs only when
//!   an earlier title sits inside that table's cells.
//! - The adoption agency: a browser re-parents misnested formatting elements and reopens
//!   those closed early (`<p><b></p>x` has a second `b`); here `</b>` only pops to its
//!   element, so a later end tag may close a little differently.
//! - The `select`, table and frameset insertion modes' own rules: a browser ignores some
//!   tags there (a `title` or `style` inside `<select>`, a `textarea` in a column group,
//!   every title once a `<frameset>` is accepted); here "in body" rules apply to them.

use std::borrow::Cow;
use std::collections::HashMap;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use scraper::Html;

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
/// `title` element outside templates, or one with only white space). Linear in the input.
pub fn title_of(html: &str) -> Option<String> {
    let raw = Scanner::new(html).first_title()?;
    let collapsed = collapse_ascii_whitespace(&decode_rcdata(raw));
    (!collapsed.is_empty()).then_some(collapsed)
}

/// The text of RCDATA (a title's content): character references decoded and NUL made
/// U+FFFD, by html5ever's tokenizer on `<title>RAW</title>` alone. RAW holds no `</title`
/// end tag, so that document is one title and its parse is linear.
fn decode_rcdata(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['&', '\0']) {
        return Cow::Borrowed(raw);
    }
    let document = Html::parse_document(&format!("<title>{raw}</title>"));
    let text = document
        .tree
        .root()
        .descendants()
        .filter_map(|node| node.value().as_text().map(|text| text.to_string()))
        .collect();
    Cow::Owned(text)
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

/// What the scanner does after one piece of markup.
enum Flow<'a> {
    /// Go on scanning.
    Go,
    /// The first HTML title outside templates starts here: its raw text.
    Title(&'a str),
    /// The rest of the input is text, or a tag the input ends inside: no title comes.
    Stop,
}

/// The tokenizer's part: walks the input once, from one `<` to the next, tells the
/// open-element model about each tag and skips raw-text content whole.
struct Scanner<'a> {
    html: &'a str,
    pos: usize,
    open: OpenElements,
}

impl<'a> Scanner<'a> {
    fn new(html: &'a str) -> Self {
        Scanner {
            html,
            pos: 0,
            open: OpenElements::new(),
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.html.as_bytes()
    }

    /// The raw text of the first HTML `title` outside template contents, if any.
    fn first_title(mut self) -> Option<&'a str> {
        while let Some(at) = find_byte(&self.bytes()[self.pos..], b'<') {
            self.pos += at;
            match self.markup() {
                Flow::Go => {}
                Flow::Title(raw) => return Some(raw),
                Flow::Stop => return None,
            }
        }
        None
    }

    /// At a `<`: a tag, a comment or other declaration, or a `<` that is only text.
    fn markup(&mut self) -> Flow<'a> {
        match self.bytes().get(self.pos + 1) {
            Some(b'!') => self.declaration(),
            Some(b'/') => self.end_tag(),
            // A processing instruction is a bogus comment in HTML.
            Some(b'?') => self.skip_past(self.pos + 2, b">"),
            Some(b) if b.is_ascii_alphabetic() => self.start_tag(),
            _ => self.go_to(Some(self.pos + 1)),
        }
    }

    /// After `<!`: a comment; a CDATA section, which only foreign content has; else a
    /// DOCTYPE or a bogus comment, both of which end at the first `>`.
    fn declaration(&mut self) -> Flow<'a> {
        let after = self.pos + 2;
        let rest = &self.bytes()[after..];
        if rest.starts_with(b"--") {
            self.comment(after + 2)
        } else if rest.starts_with(b"[CDATA[") && self.open.in_foreign_content() {
            self.skip_past(after + 7, b"]]>")
        } else {
            self.skip_past(after, b">")
        }
    }

    /// A comment's text from `from`: it ends at `-->` or `--!>`, or at once at `>` or `->`
    /// (the abrupt `<!-->` and `<!--->`); an unclosed comment runs to the end.
    fn comment(&mut self, from: usize) -> Flow<'a> {
        let rest = &self.bytes()[from..];
        let end = if rest.starts_with(b">") {
            Some(1)
        } else if rest.starts_with(b"->") {
            Some(2)
        } else {
            comment_end(rest)
        };
        self.go_to(end.map(|end| from + end))
    }

    /// After `</`: an end tag; `</>` is nothing; `</` and a non-letter starts a bogus
    /// comment; `</` at the end is text.
    fn end_tag(&mut self) -> Flow<'a> {
        let name_at = self.pos + 2;
        match self.bytes().get(name_at) {
            Some(b) if b.is_ascii_alphabetic() => {}
            Some(b'>') => return self.go_to(Some(name_at + 1)),
            Some(_) => return self.skip_past(name_at, b">"),
            None => return Flow::Stop,
        }
        match self.read_tag(name_at) {
            Some(tag) => {
                self.open.end_tag(&tag.name);
                Flow::Go
            }
            None => Flow::Stop,
        }
    }

    /// A start tag: foreign, unless the current node makes it HTML or it breaks out.
    fn start_tag(&mut self) -> Flow<'a> {
        let Some(tag) = self.read_tag(self.pos + 1) else {
            return Flow::Stop;
        };
        if self.open.start_is_foreign(&tag.name) {
            if !tag.breaks_out() {
                self.open.push_foreign(&tag);
                return Flow::Go;
            }
            // A breakout tag closes the foreign elements, then is an HTML tag.
            self.open.pop_to_html_context();
        }
        self.html_start_tag(&tag)
    }

    /// An HTML start tag. Raw-text elements never stay open: their content is skipped here
    /// up to their end tag, and the first title outside templates is the answer.
    fn html_start_tag(&mut self, tag: &Tag<'_>) -> Flow<'a> {
        let name = tag.name.as_ref();
        match name {
            "title" if self.open.templates == 0 => {
                let end = find_end_tag(self.bytes(), self.pos, name).unwrap_or(self.html.len());
                Flow::Title(&self.html[self.pos..end])
            }
            "title" | "textarea" | "style" | "iframe" | "noembed" | "noframes" | "noscript" => {
                self.skip_raw_text(name)
            }
            "xmp" => {
                self.open.close_p();
                self.skip_raw_text(name)
            }
            "script" => {
                let end = script_end(self.bytes(), self.pos);
                self.finish_raw_text(end, name)
            }
            "plaintext" => Flow::Stop,
            _ => {
                self.open.html_start(tag);
                Flow::Go
            }
        }
    }

    fn skip_raw_text(&mut self, name: &str) -> Flow<'a> {
        let end = find_end_tag(self.bytes(), self.pos, name);
        self.finish_raw_text(end, name)
    }

    /// Reads the end tag at `end` that closes a raw-text element, with its attributes (a
    /// quoted `>` among them does not end it); `None` means the text runs to the end.
    fn finish_raw_text(&mut self, end: Option<usize>, name: &str) -> Flow<'a> {
        let Some(end) = end else {
            return Flow::Stop;
        };
        self.pos = end + 2 + name.len();
        match self.read_attributes(&mut Tag::default()) {
            Some(()) => Flow::Go,
            None => Flow::Stop,
        }
    }

    fn go_to(&mut self, pos: Option<usize>) -> Flow<'a> {
        match pos {
            Some(pos) => {
                self.pos = pos;
                Flow::Go
            }
            None => Flow::Stop,
        }
    }

    /// Goes past the next `needle` from `from`; without one, the rest is not markup.
    fn skip_past(&mut self, from: usize, needle: &[u8]) -> Flow<'a> {
        let end = find(&self.bytes()[from..], needle).map(|at| from + at + needle.len());
        self.go_to(end)
    }
}

/// Reading tags: the tokenizer's tag name, attribute and self-closing states.
impl<'a> Scanner<'a> {
    /// Reads a tag's name from `from`, then its attributes, up to and past its `>`.
    /// `None` when the input ends inside the tag, which the tokenizer then drops.
    fn read_tag(&mut self, from: usize) -> Option<Tag<'a>> {
        let len = self.bytes()[from..]
            .iter()
            .position(|&b| is_space(b) || b == b'/' || b == b'>')?;
        self.pos = from + len;
        let mut tag = Tag {
            name: lowercase(&self.html[from..from + len]),
            ..Tag::default()
        };
        self.read_attributes(&mut tag)?;
        Some(tag)
    }

    /// From after the tag name to past the `>`: attributes, and `/>`, which marks the tag
    /// self-closing (a `/` elsewhere is dropped).
    fn read_attributes(&mut self, tag: &mut Tag<'a>) -> Option<()> {
        loop {
            match self.skip_spaces()? {
                b'>' => {
                    self.pos += 1;
                    return Some(());
                }
                b'/' => {
                    self.pos += 1;
                    if *self.bytes().get(self.pos)? == b'>' {
                        self.pos += 1;
                        tag.self_closing = true;
                        return Some(());
                    }
                }
                _ => self.read_attribute(tag)?,
            }
        }
    }

    /// One attribute: its name (whose first character may be `=`), then `=` and a value
    /// if one follows.
    fn read_attribute(&mut self, tag: &mut Tag<'a>) -> Option<()> {
        let start = self.pos;
        let len = self.bytes()[start + 1..]
            .iter()
            .position(|&b| is_space(b) || matches!(b, b'/' | b'>' | b'='))?;
        self.pos = start + 1 + len;
        let name = &self.html[start..self.pos];
        let value = if self.skip_spaces()? == b'=' {
            self.pos += 1;
            self.read_value()?
        } else {
            ""
        };
        tag.attribute(name, value);
        Some(())
    }

    /// An attribute's value after its `=`: quoted, unquoted, or missing before a `>`.
    fn read_value(&mut self) -> Option<&'a str> {
        let first = self.skip_spaces()?;
        if first == b'>' {
            return Some("");
        }
        let (start, len) = if first == b'"' || first == b'\'' {
            let start = self.pos + 1;
            let len = find_byte(&self.bytes()[start..], first)?;
            self.pos = start + len + 1;
            (start, len)
        } else {
            let start = self.pos;
            let len = self.bytes()[start..]
                .iter()
                .position(|&b| is_space(b) || b == b'>')?;
            self.pos = start + len;
            (start, len)
        };
        Some(&self.html[start..start + len])
    }

    /// Skips ASCII white space: the next byte, or `None` at the end of the input.
    fn skip_spaces(&mut self) -> Option<u8> {
        let skip = self.bytes()[self.pos..]
            .iter()
            .position(|&b| !is_space(b))?;
        self.pos += skip;
        Some(self.bytes()[self.pos])
    }
}

/// A tag as the scanner reads it: what the tree rules look at, nothing more.
#[derive(Default)]
struct Tag<'a> {
    /// The name, ASCII-lowercased as the tokenizer does.
    name: Cow<'a, str>,
    self_closing: bool,
    /// The first `encoding` attribute's value: it makes a MathML `annotation-xml` an HTML
    /// integration point.
    encoding: Option<&'a str>,
    /// Whether a `color`, `face` or `size` attribute makes a `font` break out of foreign
    /// content.
    font_breakout: bool,
}

impl<'a> Tag<'a> {
    /// Keeps what the rules need of an attribute; of duplicates, the first counts.
    fn attribute(&mut self, name: &str, value: &'a str) {
        if name.eq_ignore_ascii_case("encoding") {
            self.encoding.get_or_insert(value);
        } else if ["color", "face", "size"]
            .iter()
            .any(|font| name.eq_ignore_ascii_case(font))
        {
            self.font_breakout = true;
        }
    }

    /// The standard's breakout tags, which pop foreign content back to HTML.
    fn breaks_out(&self) -> bool {
        let name = self.name.as_ref();
        (name == "font" && self.font_breakout) || is_heading(name) || is_breakout(name)
    }

    /// Whether the `encoding` names HTML (`text/html` or `application/xhtml+xml`, in any
    /// case). A value is decoded like RCDATA: the only references that decode otherwise in
    /// an attribute (legacy names without `;`) give no character these names hold.
    fn encoding_is_html(&self) -> bool {
        self.encoding.is_some_and(|value| {
            let value = decode_rcdata(value);
            value.eq_ignore_ascii_case("text/html")
                || value.eq_ignore_ascii_case("application/xhtml+xml")
        })
    }
}

/// The breakout tags but `font` and the headings.
#[rustfmt::skip]
fn is_breakout(name: &str) -> bool {
    matches!(name,
        "b" | "big" | "blockquote" | "body" | "br" | "center" | "code" | "dd" | "div" |
        "dl" | "dt" | "em" | "embed" | "head" | "hr" | "i" | "img" | "li" | "listing" |
        "menu" | "meta" | "nobr" | "ol" | "p" | "pre" | "ruby" | "s" | "small" | "span" |
        "strong" | "strike" | "sub" | "sup" | "table" | "tt" | "u" | "ul" | "var"
    )
}

/// A tag name lowercased as the tokenizer does: ASCII letters, and NUL made U+FFFD.
fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase() || b == 0) {
        Cow::Owned(name.to_ascii_lowercase().replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Where a comment's text ends: past the first `-->` or `--!>`.
fn comment_end(text: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let dashes = from + find(&text[from..], b"--")?;
        let after = &text[dashes + 2..];
        if after.starts_with(b">") {
            return Some(dashes + 3);
        }
        if after.starts_with(b"!>") {
            return Some(dashes + 4);
        }
        from = dashes + 1;
    }
}

/// The `<` of the first end tag for `name` (an ASCII-lowercase name) from `from`, as the
/// raw-text states find it: `</`, the name in any case, then white space, `/` or `>`.
fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    loop {
        at += find(&bytes[at..], b"</")?;
        if names_tag(bytes, at + 2, name) {
            return Some(at);
        }
        at += 2;
    }
}

/// Whether `name` (in any case), then white space, `/` or `>`, is at `at`.
fn names_tag(bytes: &[u8], at: usize, name: &str) -> bool {
    let end = at + name.len();
    bytes
        .get(at..end)
        .is_some_and(|found| found.eq_ignore_ascii_case(name.as_bytes()))
        && bytes
            .get(end)
            .is_some_and(|&b| is_space(b) || b == b'/' || b == b'>')
}

/// The script data states that matter for where a script ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Data,
    /// After `<!--`: `-->` goes back to data, `<script` starts double escaping.
    Escaped,
    /// After `<!--<script`: a `</script>` only goes back to escaped.
    DoubleEscaped,
}

/// The `<` of the `</script` that ends a script's text from `from`, through the escaped and
/// double-escaped states (`<script><!--<script></script>...-->`); `None` when it runs to
/// the end.
fn script_end(bytes: &[u8], from: usize) -> Option<usize> {
    let (mut state, mut dashes, mut at) = (Script::Data, 0, from);
    while let Some(&b) = bytes.get(at) {
        match b {
            b'-' => {
                dashes += 1;
                at += 1;
                continue;
            }
            b'>' if dashes >= 2 => state = Script::Data,
            b'<' if state == Script::Data && bytes[at + 1..].starts_with(b"!--") => {
                (state, dashes, at) = (Script::Escaped, 2, at + 4);
                continue;
            }
            b'<' if bytes.get(at + 1) == Some(&b'/') && names_tag(bytes, at + 2, "script") => {
                if state != Script::DoubleEscaped {
                    return Some(at);
                }
                state = Script::Escaped;
            }
            b'<' if state == Script::Escaped && names_tag(bytes, at + 1, "script") => {
                state = Script::DoubleEscaped;
            }
            _ => {}
        }
        dashes = 0;
        at += 1;
    }
    None
}

fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// The namespace of an open element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ns {
    Html,
    Svg,
    MathMl,
}

// What the tree builder's rules ask of an open element, as bits. Each of the first five
// has a list of the indices of the open elements in it, so that its topmost is at hand.
/// The standard's special elements: "any other end tag" stops at one.
const SPECIAL: u16 = 1;
/// The bounds of "has an element in scope" (the other scopes add named elements).
const SCOPE: u16 = 1 << 1;
/// Where a new `li`, `dd` or `dt` stops looking for one to close: special elements but
/// `address`, `div` and `p`.
const LI_STOP: u16 = 1 << 2;
/// Elements in the HTML namespace: a foreign end tag looks no further down.
const HTML: u16 = 1 << 3;
/// `h1` to `h6`, which `</h1>` to `</h6>` all close.
const HEADING: u16 = 1 << 4;
/// How many of the bits above have index lists.
const LISTED: usize = 5;
/// HTML elements and integration points: a breakout tag pops down to one.
const HTML_CONTEXT: u16 = 1 << 5;
/// SVG `foreignObject`, `desc`, `title`; MathML `annotation-xml` with an HTML `encoding`.
const HTML_IP: u16 = 1 << 6;
/// MathML `mi`, `mo`, `mn`, `ms`, `mtext`.
const TEXT_IP: u16 = 1 << 7;
/// MathML `annotation-xml`, whose `<svg>` child is HTML's.
const ANNOTATION_XML: u16 = 1 << 8;
/// An HTML `template`.
const TEMPLATE: u16 = 1 << 9;
/// The categories of the foreign elements that bound every scope.
const FOREIGN_BOUND: u16 = SPECIAL | SCOPE | LI_STOP;

/// The scopes and stops of the rules: where a search for an element ends.
#[derive(Clone, Copy)]
enum Bound {
    Scope,
    /// The scope's bounds and `button`.
    Button,
    /// The scope's bounds, `ol` and `ul`.
    List,
    /// `html`, `table` and `template`.
    Table,
    Special,
    LiStop,
}

/// Names the rules look up, interned first so that their numbers are constants.
const KNOWN: [&str; 11] = [
    "p", "button", "ol", "ul", "table", "template", "form", "ruby", "li", "dd", "dt",
];
const P: u32 = 0;
const BUTTON: u32 = 1;
const OL: u32 = 2;
const UL: u32 = 3;
const TABLE: u32 = 4;
const TEMPLATE_NAME: u32 = 5;
const FORM: u32 = 6;
const RUBY: u32 = 7;
const LI: u32 = 8;
const DD: u32 = 9;
const DT: u32 = 10;

/// An element on the stack, in 8 bytes: a 10 MiB page may hold 2 million open elements.
struct Open {
    /// Its name's number in [`OpenElements::names`].
    name: u32,
    flags: u16,
    ns: Ns,
    /// Taken out of the stack from below other elements (only `</form>` does that); it
    /// goes when they do.
    removed: bool,
}

/// The form element pointer: `<form>` is ignored while it is set outside templates.
#[derive(Default, Clone, Copy)]
enum FormPointer {
    #[default]
    Null,
    Open(u32),
    /// Points to a form no longer on the stack.
    Closed,
}

/// The tree builder's stack of open elements, without the tree. The `html`, `head` and
/// `body` elements are not on it: no rule here pops them, or looks past them. Indices
/// are `u32`, to halve the lists; past 4 billion open elements, more are not tracked.
struct OpenElements {
    stack: Vec<Open>,
    /// Names to numbers. std's hasher is keyed at random, so a page cannot pick names
    /// that collide and make each lookup slow.
    ids: HashMap<String, u32>,
    names: Vec<String>,
    /// By name: the indices of the open HTML elements, and of the open foreign ones.
    html_named: Vec<Vec<u32>>,
    foreign_named: Vec<Vec<u32>>,
    /// By category: the indices of the open elements in it.
    listed: [Vec<u32>; LISTED],
    /// How many HTML templates are open: a title inside one is not the document's.
    templates: usize,
    form: FormPointer,
}

/// Pushing and popping, with the index lists kept in step.
impl OpenElements {
    fn new() -> Self {
        let mut open = OpenElements {
            stack: Vec::new(),
            ids: HashMap::new(),
            names: Vec::new(),
            html_named: Vec::new(),
            foreign_named: Vec::new(),
            listed: Default::default(),
            templates: 0,
            form: FormPointer::Null,
        };
        for name in KNOWN {
            open.id(name);
        }
        open
    }

    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let Ok(id) = u32::try_from(self.names.len()) else {
            return u32::MAX;
        };
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        self.html_named.push(Vec::new());
        self.foreign_named.push(Vec::new());
        id
    }

    fn push(&mut self, name: &str, ns: Ns, extra: u16) {
        let flags = flags_of(ns, name) | extra;
        let id = self.id(name);
        let index = u32::try_from(self.stack.len())
            .ok()
            .filter(|&i| i < u32::MAX);
        let (Some(index), Some(named)) = (index, self.named_mut(ns, id)) else {
            return;
        };
        named.push(index);
        for (bit, list) in self.listed.iter_mut().enumerate() {
            if flags & (1 << bit) != 0 {
                list.push(index);
            }
        }
        self.templates += usize::from(flags & TEMPLATE != 0);
        let removed = false;
        self.stack.push(Open {
            name: id,
            flags,
            ns,
            removed,
        });
    }

    fn named_mut(&mut self, ns: Ns, id: u32) -> Option<&mut Vec<u32>> {
        let named = match ns {
            Ns::Html => &mut self.html_named,
            _ => &mut self.foreign_named,
        };
        named.get_mut(id as usize)
    }

    /// Pops the current node, and then any removed element that it leaves on top.
    fn pop(&mut self) {
        self.pop_one();
        while self.stack.last().is_some_and(|open| open.removed) {
            self.pop_one();
        }
    }

    fn pop_one(&mut self) {
        let Some(open) = self.stack.pop() else {
            return;
        };
        let index = self.len();
        if let Some(named) = self.named_mut(open.ns, open.name)
            && named.last() == Some(&index)
        {
            named.pop();
        }
        for list in &mut self.listed {
            if list.last() == Some(&index) {
                list.pop();
            }
        }
        self.templates -= usize::from(open.flags & TEMPLATE != 0);
        if matches!(self.form, FormPointer::Open(form) if form == index) {
            self.form = FormPointer::Closed;
        }
    }

    /// The stack's length as an index (pushes stop before it would not fit).
    fn len(&self) -> u32 {
        u32::try_from(self.stack.len()).unwrap_or(u32::MAX)
    }

    /// Pops elements until the one at `index` has been popped.
    fn pop_until(&mut self, index: u32) {
        while self.len() > index {
            self.pop();
        }
    }

    /// Takes the element at `index` out of the stack, leaving those above it.
    fn remove(&mut self, index: u32) {
        if index as usize + 1 == self.stack.len() {
            return self.pop();
        }
        let Some(open) = self.stack.get_mut(index as usize) else {
            return;
        };
        open.removed = true;
        let name = open.name;
        if let Some(named) = self.named_mut(Ns::Html, name)
            && let Some(at) = named.iter().rposition(|&i| i == index)
        {
            named.remove(at);
        }
    }
}

/// Questions about the stack, each answered from the tops of the index lists.
impl OpenElements {
    /// The topmost open element in `category`; removed ones are dropped from its list.
    fn top(&mut self, category: u16) -> Option<u32> {
        let list = &mut self.listed[category.trailing_zeros() as usize];
        while let Some(&index) = list.last() {
            if self
                .stack
                .get(index as usize)
                .is_some_and(|open| !open.removed)
            {
                return Some(index);
            }
            list.pop();
        }
        None
    }

    /// The topmost element where a search bounded by `bound` stops.
    fn bound(&mut self, bound: Bound) -> Option<u32> {
        match bound {
            Bound::Scope => self.top(SCOPE),
            Bound::Button => self.top(SCOPE).max(self.known(BUTTON)),
            Bound::List => self.top(SCOPE).max(self.known(OL)).max(self.known(UL)),
            Bound::Table => self.known(TABLE).max(self.known(TEMPLATE_NAME)),
            Bound::Special => self.top(SPECIAL),
            Bound::LiStop => self.top(LI_STOP),
        }
    }

    /// Whether the element at `index` is within `bound`: no bound above it (it may be a
    /// bound itself).
    fn in_scope(&mut self, index: u32, bound: Bound) -> bool {
        self.bound(bound).is_none_or(|found| index >= found)
    }

    /// The topmost open HTML element named `name`.
    fn named(&self, name: &str) -> Option<u32> {
        self.known(*self.ids.get(name)?)
    }

    /// The topmost open HTML element whose name has the number `id`.
    fn known(&self, id: u32) -> Option<u32> {
        self.html_named.get(id as usize)?.last().copied()
    }

    /// The current node's name, when it is an HTML element.
    fn current_html(&self) -> Option<&str> {
        let open = self.stack.last().filter(|open| open.ns == Ns::Html)?;
        self.names.get(open.name as usize).map(String::as_str)
    }

    /// Whether the current node is foreign, where CDATA sections are recognized and end
    /// tags follow the foreign content rules.
    fn in_foreign_content(&self) -> bool {
        self.stack.last().is_some_and(|open| open.ns != Ns::Html)
    }

    /// Whether the start tag `name` follows the foreign content rules: the current node is
    /// foreign and not an integration point that makes the tag HTML.
    fn start_is_foreign(&self, name: &str) -> bool {
        let Some(current) = self.stack.last() else {
            return false;
        };
        if current.flags & (HTML | HTML_IP) != 0 {
            false
        } else if current.flags & TEXT_IP != 0 {
            matches!(name, "mglyph" | "malignmark")
        } else if current.flags & ANNOTATION_XML != 0 {
            name != "svg"
        } else {
            true
        }
    }
}

/// Start tags.
impl OpenElements {
    /// A foreign start tag: an element in the current node's namespace, unless it closes
    /// itself (`<path/>`).
    fn push_foreign(&mut self, tag: &Tag<'_>) {
        let Some(ns) = self.stack.last().map(|open| open.ns) else {
            return;
        };
        if tag.self_closing {
            return;
        }
        let html_ip = ns == Ns::MathMl && tag.name == "annotation-xml" && tag.encoding_is_html();
        let extra = if html_ip { HTML_IP | HTML_CONTEXT } else { 0 };
        self.push(&tag.name, ns, extra);
    }

    /// Pops foreign elements until the current node is HTML or an integration point.
    fn pop_to_html_context(&mut self) {
        while self
            .stack
            .last()
            .is_some_and(|open| open.flags & HTML_CONTEXT == 0)
        {
            self.pop();
        }
    }

    /// An HTML start tag other than the raw-text elements, as "in body" has it.
    fn html_start(&mut self, tag: &Tag<'_>) {
        let name = tag.name.as_ref();
        match name {
            "svg" | "math" if tag.self_closing => {}
            "svg" => self.push(name, Ns::Svg, 0),
            "math" => self.push(name, Ns::MathMl, 0),
            "form" => self.start_form(),
            "hr" => self.close_p(),
            _ if opens_nothing(name) => {}
            _ => {
                self.close_before(name);
                self.push(name, Ns::Html, 0);
            }
        }
    }

    /// What a start tag closes before it opens.
    fn close_before(&mut self, name: &str) {
        match name {
            "li" => self.close_list_item(&[LI]),
            "dd" | "dt" => self.close_list_item(&[DD, DT]),
            "button" => self.close_in_scope(BUTTON),
            "option" | "optgroup" if self.current_html() == Some("option") => self.pop(),
            "rb" | "rtc" => self.close_ruby_parts(""),
            "rp" | "rt" => self.close_ruby_parts("rtc"),
            _ => {}
        }
        if closes_p(name) {
            self.close_p();
        }
        if is_heading(name) && self.current_html().is_some_and(is_heading) {
            self.pop();
        }
    }

    /// Inside an open `ruby`, a new part closes the open ones ("generate implied end
    /// tags"), but for `except`.
    fn close_ruby_parts(&mut self, except: &str) {
        if self
            .known(RUBY)
            .is_some_and(|ruby| self.in_scope(ruby, Bound::Scope))
        {
            self.pop_implied(except);
        }
    }

    /// A new `li` (or `dd`, `dt`) closes an open one, unless a special element other than
    /// `address`, `div` and `p` is above it.
    fn close_list_item(&mut self, ids: &[u32]) {
        let Some(index) = ids.iter().filter_map(|&id| self.known(id)).max() else {
            return;
        };
        if self.in_scope(index, Bound::LiStop) {
            self.pop_until(index);
        }
    }

    /// Closes a `p` in button scope, as many start tags do before opening.
    fn close_p(&mut self) {
        if let Some(index) = self.known(P).filter(|&i| self.in_scope(i, Bound::Button)) {
            self.pop_until(index);
        }
    }

    fn close_in_scope(&mut self, id: u32) {
        if let Some(index) = self.known(id).filter(|&i| self.in_scope(i, Bound::Scope)) {
            self.pop_until(index);
        }
    }

    /// "Generate implied end tags", but for `except`.
    fn pop_implied(&mut self, except: &str) {
        while self
            .current_html()
            .is_some_and(|name| name != except && has_implied_end(name))
        {
            self.pop();
        }
    }

    /// `<form>` is ignored while the form element pointer is set outside templates.
    fn start_form(&mut self) {
        if !matches!(self.form, FormPointer::Null) && self.templates == 0 {
            return;
        }
        self.close_p();
        if self.templates == 0 {
            self.form = FormPointer::Open(self.len());
        }
        self.push("form", Ns::Html, 0);
    }
}

/// End tags.
impl OpenElements {
    /// An end tag: the foreign content rules close the topmost foreign element of that
    /// name above every HTML element; else the HTML rules apply.
    fn end_tag(&mut self, name: &str) {
        if self.in_foreign_content() {
            if matches!(name, "br" | "p") {
                self.pop_to_html_context();
            } else if let Some(index) = self.foreign_match(name) {
                return self.pop_until(index);
            }
        }
        self.html_end_tag(name);
    }

    fn foreign_match(&mut self, name: &str) -> Option<u32> {
        let id = *self.ids.get(name)?;
        let index = *self.foreign_named.get(id as usize)?.last()?;
        self.top(HTML)
            .is_none_or(|html| index > html)
            .then_some(index)
    }

    /// An end tag as "in body" has it: which element it closes, and within what bound.
    fn html_end_tag(&mut self, name: &str) {
        let (target, bound) = match name {
            "form" => return self.end_form(),
            "body" | "html" | "head" | "br" => return,
            // `</template>` closes its template whatever is open inside it.
            "template" => (self.known(TEMPLATE_NAME), None),
            "p" => (self.known(P), Some(Bound::Button)),
            "li" => (self.known(LI), Some(Bound::List)),
            _ if is_heading(name) => (self.top(HEADING), Some(Bound::Scope)),
            _ if closes_in_scope(name) => (self.named(name), Some(Bound::Scope)),
            _ if is_table_part(name) => (self.named(name), Some(Bound::Table)),
            // Any other end tag closes its element unless a special element is above it.
            _ => (self.named(name), Some(Bound::Special)),
        };
        let Some(index) = target else {
            return;
        };
        if bound.is_none_or(|bound| self.in_scope(index, bound)) {
            self.pop_until(index);
        }
    }

    /// `</form>`: inside a template, an ordinary close; outside, the form the pointer
    /// names is taken out of the stack, and the pointer cleared.
    fn end_form(&mut self) {
        if self.templates > 0 {
            return self.close_in_scope(FORM);
        }
        let FormPointer::Open(index) = std::mem::take(&mut self.form) else {
            return;
        };
        if self.in_scope(index, Bound::Scope) {
            self.pop_implied("");
            self.remove(index);
        }
    }
}

/// An element's categories, from its namespace and name.
fn flags_of(ns: Ns, name: &str) -> u16 {
    match ns {
        Ns::Html => html_flags(name),
        Ns::Svg if matches!(name, "foreignobject" | "desc" | "title") => {
            FOREIGN_BOUND | HTML_IP | HTML_CONTEXT
        }
        Ns::MathMl if matches!(name, "mi" | "mo" | "mn" | "ms" | "mtext") => {
            FOREIGN_BOUND | TEXT_IP | HTML_CONTEXT
        }
        Ns::MathMl if name == "annotation-xml" => FOREIGN_BOUND | ANNOTATION_XML,
        _ => 0,
    }
}

fn html_flags(name: &str) -> u16 {
    let mut flags = HTML | HTML_CONTEXT;
    if is_special(name) {
        flags |= SPECIAL;
        if !matches!(name, "address" | "div" | "p") {
            flags |= LI_STOP;
        }
    }
    if matches!(
        name,
        "applet" | "caption" | "html" | "table" | "td" | "th" | "marquee" | "object" | "template"
    ) {
        flags |= SCOPE;
    }
    if is_heading(name) {
        flags |= HEADING;
    }
    if name == "template" {
        flags |= TEMPLATE;
    }
    flags
}

/// The standard's special HTML elements.
#[rustfmt::skip]
fn is_special(name: &str) -> bool {
    is_heading(name) || matches!(name,
        "address" | "applet" | "area" | "article" | "aside" | "base" | "basefont" |
        "bgsound" | "blockquote" | "body" | "br" | "button" | "caption" | "center" | "col" |
        "colgroup" | "dd" | "details" | "dir" | "div" | "dl" | "dt" | "embed" | "fieldset" |
        "figcaption" | "figure" | "footer" | "form" | "frame" | "frameset" | "head" |
        "header" | "hgroup" | "hr" | "html" | "iframe" | "img" | "input" | "keygen" | "li" |
        "link" | "listing" | "main" | "marquee" | "menu" | "meta" | "nav" | "noembed" |
        "noframes" | "noscript" | "object" | "ol" | "p" | "param" | "plaintext" | "pre" |
        "script" | "search" | "section" | "select" | "source" | "style" | "summary" |
        "table" | "tbody" | "td" | "template" | "textarea" | "tfoot" | "th" | "thead" |
        "title" | "tr" | "track" | "ul" | "wbr" | "xmp"
    )
}

/// Start tags that leave nothing open: void elements, and those whose element exists
/// already (`html`, `head`, `body`) or is not modelled (`frameset`).
#[rustfmt::skip]
fn opens_nothing(name: &str) -> bool {
    matches!(name,
        "area" | "base" | "basefont" | "bgsound" | "br" | "col" | "embed" | "frame" |
        "img" | "image" | "input" | "keygen" | "link" | "meta" | "param" | "source" |
        "track" | "wbr" | "html" | "head" | "body" | "frameset"
    )
}

/// Start tags that close a `p` in button scope first (a `table` does so in no-quirks mode).
#[rustfmt::skip]
fn closes_p(name: &str) -> bool {
    is_heading(name) || matches!(name,
        "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog" |
        "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" | "header" |
        "hgroup" | "main" | "menu" | "nav" | "ol" | "p" | "search" | "section" | "summary" |
        "ul" | "pre" | "listing" | "li" | "dd" | "dt" | "table"
    )
}

/// End tags that close their element only when it is in scope.
#[rustfmt::skip]
fn closes_in_scope(name: &str) -> bool {
    matches!(name,
        "address" | "article" | "aside" | "blockquote" | "button" | "center" | "details" |
        "dialog" | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" |
        "header" | "hgroup" | "listing" | "main" | "menu" | "nav" | "ol" | "pre" |
        "search" | "section" | "summary" | "ul" | "applet" | "marquee" | "object" | "dd" |
        "dt"
    )
}

/// End tags of table parts, which close their element only when it is in table scope.
fn is_table_part(name: &str) -> bool {
    matches!(
        name,
        "table" | "caption" | "colgroup" | "tbody" | "tfoot" | "thead" | "tr" | "td" | "th"
    )
}

/// Elements that "generate implied end tags" closes.
fn has_implied_end(name: &str) -> bool {
    matches!(
        name,
        "dd" | "dt" | "li" | "optgroup" | "option" | "p" | "rb" | "rp" | "rt" | "rtc"
    )
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

    /// `title_of`'s answer, as an `Option<&str>` for short asserts.
    fn title(html: &str) -> Option<String> {
        title_of(html)
    }

    #[test]
    fn titles_in_template_contents_do_not_count() {
        let html = "<template><title>T</title></template><title>Real</title>";
        assert_eq!(title(html).as_deref(), Some("Real"));
        assert_eq!(title("<template><title>T</title></template>"), None);
        // End tags inside a template do not close it; only `</template>` does, whatever
        // is open inside it.
        let html = "<div><template></div></body></html><title>T</title></template><title>R</title>";
        assert_eq!(title(html).as_deref(), Some("R"));
        let html = "<template><div><svg><g><p></template><title>R</title>";
        assert_eq!(title(html).as_deref(), Some("R"));
        // A `template` in foreign content is foreign: it hides nothing.
        let html = "<svg><template></template></svg><title>R</title>";
        assert_eq!(title(html).as_deref(), Some("R"));
        let html = "<svg><foreignObject><template><title>T</title></template></foreignObject>";
        assert_eq!(title(html), None);
    }

    #[test]
    fn titles_in_nested_templates_do_not_count() {
        let html = "<template><template></template><title>T</title></template><title>R</title>";
        assert_eq!(title(html).as_deref(), Some("R"));
        let html = "<template><template><title>A</title></template><title>B</title></template>\
                    <title>C</title>";
        assert_eq!(title(html).as_deref(), Some("C"));
        let html = "<template><template><template></template></template><title>T</title>";
        assert_eq!(title(html), None);
    }

    #[test]
    fn svg_and_mathml_titles_do_not_count() {
        assert_eq!(title("<svg><title>Icon</title></svg>"), None);
        assert_eq!(title("<math><title>M</title></math>"), None);
        assert_eq!(title("<svg><g><title>A</title><title>B</title></g>"), None);
        let html = "<math><mrow><title>M</title></mrow></math><title>Real</title>";
        assert_eq!(title(html).as_deref(), Some("Real"));
        // An `svg` inside MathML (not in an integration point) is MathML's, and so is
        // its `foreignObject`: no integration point.
        let html = "<math><mrow><svg><foreignObject><title>M</title>";
        assert_eq!(title(html), None);
        // `mglyph` stays MathML in a text integration point.
        assert_eq!(title("<math><mi><mglyph><title>M</title>"), None);
    }

    #[test]
    fn integration_points_make_start_tags_html() {
        let x = Some("X");
        assert_eq!(title("<svg><foreignObject><title>X</title>").as_deref(), x);
        assert_eq!(
            title("<svg><title><title>X</title></title></svg>").as_deref(),
            x
        );
        assert_eq!(title("<svg><desc><title>X</title>").as_deref(), x);
        assert_eq!(title("<SVG><FOREIGNOBJECT><TITLE>X</TITLE>").as_deref(), x);
        for point in ["mi", "mo", "mn", "ms", "mtext"] {
            let html = format!("<math><{point}><title>X</title>");
            assert_eq!(title(&html).as_deref(), x, "{point}");
        }
        for encoding in ["text/html", "APPLICATION/XHTML+XML", "text&#x2F;html"] {
            let html = format!("<math><annotation-xml encoding='{encoding}'><title>X</title>");
            assert_eq!(title(&html).as_deref(), x, "{encoding}");
        }
        let html = "<math><annotation-xml encoding=mathml><title>M</title></annotation-xml>";
        assert_eq!(title(html), None);
        // The first `encoding` counts, as the first of duplicate attributes does.
        let html = "<math><annotation-xml encoding=x encoding=text/html><title>M</title>";
        assert_eq!(title(html), None);
        // A breakout stops at an `annotation-xml` integration point, which closes later.
        let html = "<math><annotation-xml encoding=text/html><svg><div></div></annotation-xml>\
                    <title>M</title>";
        assert_eq!(title(html), None);
        // Under `annotation-xml`, an `svg` is SVG's, with its integration points.
        let html = "<math><annotation-xml><svg><foreignObject><title>X</title>";
        assert_eq!(title(html).as_deref(), x);
    }

    #[test]
    fn breakout_tags_return_to_html() {
        let breakouts = "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 \
            h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong \
            strike sub sup table tt u ul var";
        for tag in breakouts.split_whitespace() {
            for island in ["<svg><g>", "<math><mrow>"] {
                let html = format!("{island}<{tag}><title>X</title>");
                assert_eq!(title(&html).as_deref(), Some("X"), "{html}");
            }
        }
        assert_eq!(
            title("<svg><font color=red><title>X</title>").as_deref(),
            Some("X")
        );
        assert_eq!(
            title("<svg><font SIZE><title>X</title>").as_deref(),
            Some("X")
        );
        assert_eq!(title("<svg><font><title>F</title></font></svg>"), None);
        // `</p>` and `</br>` leave foreign content too.
        assert_eq!(title("<svg><g></p><title>X</title>").as_deref(), Some("X"));
        assert_eq!(title("<svg><g></br><title>X</title>").as_deref(), Some("X"));
        // A breakout stops at an integration point: here the `div` is inside `mi`, and
        // once `mi` closes the `title` is MathML's.
        let html = "<math><mi><svg><div></div></mi><title>M</title>";
        assert_eq!(title(html), None);
    }

    #[test]
    fn self_closing_foreign_elements_open_nothing() {
        assert_eq!(title("<svg/><title>X</title>").as_deref(), Some("X"));
        assert_eq!(title("<math/><title>X</title>").as_deref(), Some("X"));
        let html = "<svg><path/><title>I</title></svg><title>X</title>";
        assert_eq!(title(html).as_deref(), Some("X"));
        // In HTML content the slash means nothing: `<title/>` opens a title.
        assert_eq!(title("<div/><title/>X</title>").as_deref(), Some("X"));
    }

    #[test]
    fn end_tags_close_what_they_match() {
        assert_eq!(
            title("<svg><g></G></SVG><title>X</title>").as_deref(),
            Some("X")
        );
        // An HTML end tag closes the foreign elements above its element...
        assert_eq!(
            title("<div><svg><g></div><title>X</title>").as_deref(),
            Some("X")
        );
        assert_eq!(title("<p><svg></p><title>X</title>").as_deref(), Some("X"));
        assert_eq!(
            title("<ul><li><svg></li><title>X</title>").as_deref(),
            Some("X")
        );
        assert_eq!(
            title("<h1><svg></h2><title>X</title>").as_deref(),
            Some("X")
        );
        assert_eq!(
            title("<math><mi></math><title>X</title>").as_deref(),
            Some("X")
        );
        // ...but not past a scope boundary such as `foreignObject`, nor a special element.
        let html = "<div><svg><foreignObject></div></foreignObject><title>I</title>";
        assert_eq!(title(html), None);
        let html = "<span><svg><foreignObject><div></span></div></foreignObject><title>I</title>";
        assert_eq!(title(html), None);
        // An SVG `title` is special too, so `</span>` stops at it (html5ever 0.27 looks
        // past it, closes the `span` and makes the last title HTML).
        let html = "<span><svg><title></span></title><title>I</title>";
        assert_eq!(title(html), None);
        // An end tag that matches nothing is ignored.
        assert_eq!(title("<svg></div></html><title>I</title>"), None);
        let html = "<svg><foreignObject><div></svg></div></foreignObject><title>I</title>";
        assert_eq!(title(html), None);
    }

    #[test]
    fn a_form_end_tag_takes_out_only_the_form() {
        // `</form>` takes the form out of the stack and leaves the `svg` above it open.
        assert_eq!(title("<form><svg></form><title>I</title>"), None);
        let html = "<form><div></form></div><title>X</title>";
        assert_eq!(title(html).as_deref(), Some("X"));
        // A second form while the first is open is ignored, so its end tag finds none.
        let html = "<form><div><form><svg></div></form><title>X</title>";
        assert_eq!(title(html).as_deref(), Some("X"));
    }

    #[test]
    fn comments_and_declarations_hide_titles() {
        let x = Some("X");
        assert_eq!(
            title("<!-- <title>C</title> --><title>X</title>").as_deref(),
            x
        );
        assert_eq!(title("<!--><title>X</title>").as_deref(), x);
        assert_eq!(title("<!---><title>X</title>").as_deref(), x);
        assert_eq!(
            title("<!-- <title>C</title> --!><title>X</title>").as_deref(),
            x
        );
        assert_eq!(
            title("<!-- -- ><title>C</title> ---><title>X</title>").as_deref(),
            x
        );
        assert_eq!(title("<!-- <title>C</title>"), None);
        assert_eq!(
            title("<!DOCTYPE html SYSTEM 'a'><title>X</title>").as_deref(),
            x
        );
        // Bogus comments end at the first `>`, here the title tag's.
        assert_eq!(title("</ <title>C</title>"), None);
        assert_eq!(title("<? <title>C</title>"), None);
        assert_eq!(title("<!x <title>C</title>"), None);
        assert_eq!(title("</><title>X</title>").as_deref(), x);
        // CDATA sections exist in foreign content only; in HTML they are bogus comments.
        let html = "<svg><![CDATA[</svg><title>C</title>]]></svg><title>X</title>";
        assert_eq!(title(html).as_deref(), x);
        assert_eq!(title("<![CDATA[<title>C</title>]]>"), None);
    }

    #[test]
    fn script_data_and_its_escapes_hide_titles() {
        let x = Some("X");
        let html = "<script>w('<title>S</title>')</script><title>X</title>";
        assert_eq!(title(html).as_deref(), x);
        assert_eq!(title("<SCRIPT>a</Script ><title>X</title>").as_deref(), x);
        assert_eq!(title("<script>a</scripty><title>S</title>"), None);
        assert_eq!(title("<script><!--</script><title>X</title>").as_deref(), x);
        assert_eq!(
            title("<script><!--></script><title>X</title>").as_deref(),
            x
        );
        assert_eq!(
            title("<script>a<!-b</script><title>X</title>").as_deref(),
            x
        );
        // Double escaped: the first `</script>` only goes back to escaped.
        let html = "<script><!--<script></script></script><title>X</title>";
        assert_eq!(title(html).as_deref(), x);
        let html = "<script><!--<script>--></script><title>X</title>";
        assert_eq!(title(html).as_deref(), x);
        // After `-->`, a `<title>` is still script text, and no `</script>` follows.
        let html = "<script><!--<script><title>S</title></script>--><title>S</title>";
        assert_eq!(title(html), None);
        // In SVG, `script` is not raw text.
        let html = "<svg><script></svg><title>X</title>";
        assert_eq!(title(html).as_deref(), x);
    }

    #[test]
    fn raw_text_elements_hide_titles() {
        for name in [
            "textarea", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
        ] {
            let html = format!("<{name}><title>R</title></{name}><title>X</title>");
            assert_eq!(title(&html).as_deref(), Some("X"), "{name}");
            let html = format!("<{name}><title>R</title></{name} a='>'><title>X</title>");
            assert_eq!(title(&html).as_deref(), Some("X"), "{name}");
            let upper = name.to_ascii_uppercase();
            let html = format!("<{upper}><title>R</title></{upper}/><title>X</title>");
            assert_eq!(title(&html).as_deref(), Some("X"), "{name}");
            assert_eq!(title(&format!("<{name}><title>R</title>")), None, "{name}");
            // In foreign content they are ordinary elements.
            let html = format!("<svg><{name}></svg><title>X</title>");
            assert_eq!(title(&html).as_deref(), Some("X"), "{name}");
        }
        assert_eq!(title("<plaintext></plaintext><title>P</title>"), None);
    }

    #[test]
    fn attribute_values_are_not_markup() {
        let x = Some("X");
        assert_eq!(
            title(r#"<a title="<title>A</title>">a</a><title>X</title>"#).as_deref(),
            x
        );
        assert_eq!(title("<img alt='>'><title>X</title>").as_deref(), x);
        assert_eq!(
            title("<p x = '<title>' y=\">\"/><title>X</title>").as_deref(),
            x
        );
        // An unquoted value stops at white space: `<title` is the next attribute's name.
        assert_eq!(title("<p class=a <title>X</title>"), None);
        // A tag the input ends inside is dropped.
        assert_eq!(title("<title x='>"), None);
        let many: String = (0..50_000).map(|i| format!(" a{i}=v")).collect();
        assert_eq!(title(&format!("<div{many}><title>X</title>")).as_deref(), x);
    }

    #[test]
    fn character_references_are_decoded_as_the_standard_says() {
        let html = "<title>&amp;&lt;&gt;&quot;&#39;&#x41;&#65</title>";
        assert_eq!(title(html).as_deref(), Some("&<>\"'AA"));
        // Legacy names need no `;`, and the longest match wins.
        let html = "<title>&copy 2024 &notit; &amp</title>";
        assert_eq!(title(html).as_deref(), Some("\u{a9} 2024 \u{ac}it; &"));
        assert_eq!(
            title("<title>&bogus; &</title>").as_deref(),
            Some("&bogus; &")
        );
        let html = "<title>&#0;&#x80;&#x9F;&#xD800;&#x110000;&#x1F980;\0</title>";
        let expected = "\u{FFFD}\u{20AC}\u{178}\u{FFFD}\u{FFFD}\u{1F980}\u{FFFD}";
        assert_eq!(title(html).as_deref(), Some(expected));
    }

    #[test]
    fn a_title_is_rcdata_and_an_unterminated_one_runs_to_the_end() {
        assert_eq!(
            title("<title>Half a title").as_deref(),
            Some("Half a title")
        );
        assert_eq!(title("<title>a</titlex>b").as_deref(), Some("a</titlex>b"));
        assert_eq!(title("<title>a</TITLE >b</title>").as_deref(), Some("a"));
        let html = "<title>a <b>bold</b><!-- c --></title>";
        assert_eq!(title(html).as_deref(), Some("a <b>bold</b><!-- c -->"));
        assert_eq!(title("<title>a</title").as_deref(), Some("a</title"));
        // The first title counts even when it is empty.
        assert_eq!(title("<title> </title><title>X</title>"), None);
    }

    #[test]
    fn the_known_names_have_their_numbers() {
        let open = OpenElements::new();
        let ids = [
            P,
            BUTTON,
            OL,
            UL,
            TABLE,
            TEMPLATE_NAME,
            FORM,
            RUBY,
            LI,
            DD,
            DT,
        ];
        for (name, id) in KNOWN.iter().zip(ids) {
            assert_eq!(open.ids.get(*name), Some(&id), "{name}");
        }
    }

    #[test]
    fn deep_nesting_is_linear() {
        let html = format!("<html><body>{}<title>x</title>", "<div>".repeat(200_000));
        assert_eq!(title(&html).as_deref(), Some("x"));
    }
}
