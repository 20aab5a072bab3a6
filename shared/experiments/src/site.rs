//! The embedded site: a real HTTP/1.1 server (hyper) on 127.0.0.1, on a port the OS picks.
//!
//! Every test and every run without a URL uses it, so nothing needs the internet. It runs
//! on one thread of its own, `lab-site`, with a current-thread tokio runtime; that thread
//! leaves itself out of the thread census, so the site is never counted as the runtime's.
//! (The driver goes further and runs the site in its own process.)
//!
//! Pages ([`PAGES`]): titles that are easy to get wrong (spread over lines, entities,
//! non-ASCII, legacy charsets declared only in `<meta>` or only in the HTTP header, a BOM,
//! an SVG icon's `title`, two titles), pages with no title, and pages that fail on purpose.
//! Paths with a parameter: `/slow/{ms}` answers after `ms` milliseconds; `/status/{code}`
//! answers with that status.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::census;

/// A page of the embedded site with a known title.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Its path on the site.
    pub path: &'static str,
    /// What the page is there to test.
    pub about: &'static str,
    /// The title a browser shows for it; `None` when it shows none.
    pub title: Option<&'static str>,
    /// The page's text, before it is encoded in `charset`.
    html: &'static str,
    /// The encoding its bytes are sent in.
    charset: &'static str,
    /// The `Content-Type` header sent with it.
    content_type: &'static str,
    /// Bytes sent before the encoded text (a byte order mark).
    prefix: &'static [u8],
}

const fn page(
    path: &'static str,
    about: &'static str,
    title: Option<&'static str>,
    html: &'static str,
) -> Page {
    Page {
        path,
        about,
        title,
        html,
        charset: "utf-8",
        content_type: "text/html; charset=utf-8",
        prefix: b"",
    }
}

/// The site's pages with titles, in the order `page-title` prints them by default.
pub const PAGES: &[Page] = &[
    page(
        "/plain",
        "a plain title",
        Some("Hello from the embedded site"),
        "<!doctype html><html><head><title>Hello from the embedded site</title></head><body>hi</body></html>",
    ),
    page(
        "/multiline",
        "a title spread over several lines, with tabs",
        Some("The Rust Programming Language: Async and Await"),
        "<!doctype html><html><head><title>\n    The Rust Programming Language:\n\tAsync   and Await\n  </title></head></html>",
    ),
    page(
        "/entities",
        "named and numeric entities, a non-breaking space kept",
        Some("Fish & Chips\u{a0}\u{2014} Caf\u{e9} <menu>"),
        "<!doctype html><title>Fish &amp; Chips&#160;&mdash; Caf&eacute; &lt;menu&gt;</title>",
    ),
    page(
        "/non-ascii",
        "UTF-8 text beyond ASCII",
        Some(
            "\u{dc}n\u{ef}c\u{f6}d\u{e9} \u{2014} \u{65e5}\u{672c}\u{8a9e}\u{306e}\u{30da}\u{30fc}\u{30b8} \u{1f980}",
        ),
        "<!doctype html><meta charset=\"utf-8\"><title>\u{dc}n\u{ef}c\u{f6}d\u{e9} \u{2014} \u{65e5}\u{672c}\u{8a9e}\u{306e}\u{30da}\u{30fc}\u{30b8} \u{1f980}</title>",
    ),
    Page {
        charset: "windows-1252",
        content_type: "text/html",
        ..page(
            "/windows-1252",
            "windows-1252 bytes, declared only by <meta charset>",
            Some("Caf\u{e9} \u{201c}cr\u{e8}me br\u{fb}l\u{e9}e\u{201d} \u{2013} na\u{ef}ve"),
            "<!doctype html><html><head><meta charset=\"windows-1252\"><title>Caf\u{e9} \u{201c}cr\u{e8}me br\u{fb}l\u{e9}e\u{201d} \u{2013} na\u{ef}ve</title></head></html>",
        )
    },
    Page {
        charset: "gbk",
        content_type: "text/html",
        ..page(
            "/gbk",
            "GBK bytes, declared only by <meta charset>",
            Some("\u{5f02}\u{6b65}\u{7f16}\u{7a0b}\u{5165}\u{95e8}"),
            "<html><head><meta charset=gbk><title>\u{5f02}\u{6b65}\u{7f16}\u{7a0b}\u{5165}\u{95e8}</title></head></html>",
        )
    },
    Page {
        charset: "shift_jis",
        content_type: "text/html; charset=Shift_JIS",
        ..page(
            "/header-charset",
            "Shift_JIS bytes, declared only by the HTTP header",
            Some("\u{975e}\u{540c}\u{671f}\u{51e6}\u{7406}"),
            "<html><head><title>\u{975e}\u{540c}\u{671f}\u{51e6}\u{7406}</title></head></html>",
        )
    },
    Page {
        content_type: "text/html; charset=windows-1252",
        prefix: b"\xEF\xBB\xBF",
        ..page(
            "/bom",
            "a UTF-8 byte order mark, which beats the header's windows-1252",
            Some("Na\u{ef}ve r\u{e9}sum\u{e9}"),
            "<html><head><title>Na\u{ef}ve r\u{e9}sum\u{e9}</title></head></html>",
        )
    },
    page(
        "/svg-icon-first",
        "an inline SVG icon's <title> before the page's own",
        Some("The page's own title"),
        "<!doctype html><html><body><svg viewBox=\"0 0 1 1\"><title>Logo icon</title></svg><title>The page's own title</title></body></html>",
    ),
    page(
        "/svg-title-only",
        "the only <title> is inside an inline <svg>: a browser shows none",
        None,
        "<!doctype html><html><head></head><body><svg><title>Only an icon</title></svg></body></html>",
    ),
    page(
        "/two-titles",
        "two <title> elements: the first one counts",
        Some("First title"),
        "<!doctype html><html><head><title>First title</title><title>Second title</title></head></html>",
    ),
    page(
        "/no-title",
        "a page with no <title>",
        None,
        "<!doctype html><html><head></head><body><h1>No title here</h1></body></html>",
    ),
];

/// Pages built to trip a title finder up, served but not in the default run: their
/// titles are what a browser shows, and finding them must cost time linear in the page.
pub const HOSTILE: &[Page] = &[page(
    "/template-title",
    "a <title> inside a <template> before the real one: template contents are not in the document",
    Some("The real title"),
    "<!doctype html><html><head><template><title>Fake</title></template><title>The real title</title></head></html>",
)];

/// `/deep/{n}`: a title after `n` nested `<div>`s, a shape that costs a tree builder time
/// quadratic in `n`.
pub fn deep_page(n: usize) -> String {
    format!(
        "<!doctype html><html><body>{}<title>Deep</title>",
        "<div>".repeat(n)
    )
}

/// The most `<div>`s `/deep/{n}` nests: its page stays under the fetcher's cap.
const DEEP_MOST: usize = 2_000_000;

/// The pages that fail on purpose, and the part of the error line each one must give.
pub const FAILING: &[(&str, &str)] = &[
    ("/status/404", "HTTP 404"),
    ("/status/500", "HTTP 500"),
    ("/hang", "timed out"),
    ("/reset", "connection closed"),
    ("/truncated", "the body broke off"),
    ("/not-html", "not HTML"),
    ("/text-latin1", "not HTML"),
    ("/huge", "body too large"),
    ("/redirect-loop", "too many redirects"),
];

/// How much `/huge` sends: more than the fetcher's cap, so it must give up early.
const HUGE_BYTES: usize = 16 * 1024 * 1024;
static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A running embedded site. The server thread lives as long as the process.
#[derive(Debug, Clone)]
pub struct Site {
    addr: SocketAddr,
    /// True when this process serves it (its connections' both ends are ours).
    local: bool,
    /// How many connections it holds open, where this process serves it.
    open: Option<Arc<AtomicUsize>>,
}

impl Site {
    /// Starts the site on 127.0.0.1 on a free port, on a thread named `lab-site`.
    pub fn start() -> io::Result<Site> {
        let (ready, started) = mpsc::channel();
        let open = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&open);
        thread::Builder::new()
            .name("lab-site".into())
            .spawn(move || {
                census::exclude_current();
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match listen() {
                        Ok((listener, addr)) => {
                            let _ = ready.send(Ok(addr));
                            serve(listener, counted).await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                });
            })?;
        let addr = started
            .recv()
            .map_err(|_| io::Error::other("the site thread ended before it started"))??;
        Ok(Site {
            addr,
            local: true,
            open: Some(open),
        })
    }

    /// A site already running elsewhere (the driver's), at `base` (`http://127.0.0.1:PORT`).
    pub fn at(base: &str) -> Result<Site, String> {
        let rest = base
            .strip_prefix("http://")
            .unwrap_or(base)
            .trim_end_matches('/');
        rest.parse()
            .map(|addr| Site {
                addr,
                local: false,
                open: None,
            })
            .map_err(|_| format!("--site wants http://IP:PORT, not '{base}'"))
    }

    /// Waits, at most `limit`, until the site holds no connection open: the driver waits
    /// so between two configurations, so that one's connections, still closing, never
    /// hold the descriptors (and the site's time) that the next one's run needs.
    pub fn wait_until_idle(&self, limit: Duration) {
        let Some(open) = &self.open else {
            return;
        };
        let started = std::time::Instant::now();
        while open.load(Ordering::Acquire) > 0 && started.elapsed() < limit {
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// True when this process serves the site, so that each connection to it holds two
    /// of the process's descriptors (the client's end and the site's).
    pub fn in_this_process(&self) -> bool {
        self.local
    }

    /// The address the site listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The site's base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The full URL of `path` on this site.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// How many connections may wait to be accepted. The default (128) is far too few for
/// thousands of clients connecting at once (a thread per download): the kernel drops
/// the others' SYNs, and they retry after 1, 3, 7 s, until they time out. The kernel caps
/// it at `net.core.somaxconn`.
const BACKLOG: u32 = 65_535;

/// How long a client may take to send a request's headers: a client that sends nothing,
/// or one byte at a time, is let go after that, so idle connections cannot pile up.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The most a request's headers may take; more is answered with 431 and the connection
/// closed (a request from the lab's client is a few hundred bytes).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Listens on 127.0.0.1, on a port the OS picks. Call it inside the site's runtime.
fn listen() -> io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let listener = socket.listen(BACKLOG)?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

async fn serve(listener: tokio::net::TcpListener, open: Arc<AtomicUsize>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_header_size(MAX_HEADER_BYTES);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, accept fails at once, again and again: wait a moment
                // (the connection waits in the backlog) instead of spinning.
                if matches!(e.raw_os_error(), Some(23 | 24)) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                continue;
            }
        };
        let connection = http.serve_connection(TokioIo::new(stream), service_fn(answer));
        open.fetch_add(1, Ordering::AcqRel);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            // A connection that ends badly (a reset page, a client that gave up) is the
            // point of some pages: nothing to report.
            let _ = connection.await;
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

type Body = BoxBody<Bytes, io::Error>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn html_response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

fn simple_page(status: StatusCode, title: &str) -> Response<Body> {
    let body = format!("<!doctype html><html><head><title>{title}</title></head></html>");
    html_response(status, "text/html; charset=utf-8", body)
}

impl Page {
    /// The bytes the site sends for the page: its text encoded in its charset.
    pub fn bytes(&self) -> Vec<u8> {
        let encoding =
            encoding_rs::Encoding::for_label(self.charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        let mut bytes = self.prefix.to_vec();
        bytes.extend_from_slice(&encoding.encode(self.html).0);
        bytes
    }

    /// The `Content-Type` header the site sends with it.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}

async fn answer(request: Request<Incoming>) -> Result<Response<Body>, io::Error> {
    let path = request.uri().path().to_string();
    if let Some(page) = PAGES.iter().chain(HOSTILE).find(|p| p.path == path) {
        return Ok(html_response(
            StatusCode::OK,
            page.content_type,
            page.bytes(),
        ));
    }
    if let Some(ms) = path
        .strip_prefix("/slow/")
        .and_then(|ms| ms.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return Ok(simple_page(StatusCode::OK, &format!("Slow page ({ms} ms)")));
    }
    if let Some(n) = path
        .strip_prefix("/deep/")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n <= DEEP_MOST)
    {
        return Ok(html_response(StatusCode::OK, "text/html", deep_page(n)));
    }
    if let Some(code) = path
        .strip_prefix("/status/")
        .and_then(|c| c.parse::<u16>().ok())
    {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
        return Ok(simple_page(status, &format!("Status {code}")));
    }
    match path.as_str() {
        "/" => Ok(index()),
        "/hang" => std::future::pending().await,
        // An error from the service makes hyper drop the connection without an answer.
        "/reset" => Err(io::Error::other("reset on purpose")),
        "/truncated" => Ok(truncated()),
        "/not-html" => Ok(html_response(
            StatusCode::OK,
            "application/json",
            "{\"title\": \"not a page\"}",
        )),
        // A text file that looks like HTML, whose Content-Type has a byte beyond ASCII:
        // the header still says it is not a page.
        "/text-latin1" => {
            let mut response = simple_page(StatusCode::OK, "Not a page");
            response.headers_mut().insert(
                CONTENT_TYPE,
                hyper::header::HeaderValue::from_bytes(b"text/plain; name=caf\xe9")
                    .unwrap_or(hyper::header::HeaderValue::from_static("text/plain")),
            );
            Ok(response)
        }
        "/huge" => Ok(huge()),
        "/redirect-loop" => {
            let mut response = simple_page(StatusCode::FOUND, "Redirecting");
            response.headers_mut().insert(
                LOCATION,
                hyper::header::HeaderValue::from_static("/redirect-loop"),
            );
            Ok(response)
        }
        _ => Ok(simple_page(StatusCode::NOT_FOUND, "Not found")),
    }
}

fn index() -> Response<Body> {
    let mut html = String::from("<!doctype html><title>async-lab embedded site</title><ul>\n");
    for page in PAGES {
        html.push_str(&format!(
            "<li><a href=\"{0}\">{0}</a>: {1}</li>\n",
            page.path,
            page.about.replace('<', "&lt;")
        ));
    }
    for (path, what) in FAILING {
        html.push_str(&format!(
            "<li><a href=\"{path}\">{path}</a>: fails with {what}</li>\n"
        ));
    }
    for page in HOSTILE {
        html.push_str(&format!(
            "<li><a href=\"{0}\">{0}</a>: {1}</li>\n",
            page.path,
            page.about.replace('<', "&lt;")
        ));
    }
    html.push_str("<li>/slow/{ms}: answers after ms milliseconds</li>\n");
    html.push_str("<li>/deep/{n}: a title after n nested &lt;div&gt;s</li></ul>\n");
    html_response(StatusCode::OK, "text/html; charset=utf-8", html)
}

/// Promises 10,000 bytes, sends 100, waits a moment so they reach the client, then
/// breaks the connection.
fn truncated() -> Response<Body> {
    let first = futures::stream::iter([Ok(Frame::data(Bytes::from_static(&CHUNK[..100])))]);
    let broken = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(io::Error::other("truncated on purpose"))
    });
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(first.chain(broken))));
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html"),
    );
    response.headers_mut().insert(
        CONTENT_LENGTH,
        hyper::header::HeaderValue::from_static("10000"),
    );
    response
}

/// A page far over the fetcher's cap, streamed without a length so the cap must hold
/// while reading.
fn huge() -> Response<Body> {
    let head = Bytes::from_static(b"<!doctype html><title>Huge</title><pre>");
    let chunks = std::iter::once(head).chain(std::iter::repeat_n(
        Bytes::from_static(&CHUNK),
        HUGE_BYTES / CHUNK.len(),
    ));
    let frames = futures::stream::iter(chunks.map(|c| Ok::<_, io::Error>(Frame::data(c))));
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html"),
    );
    response
}
