//! HTTP fetches through reqwest, on any executor.
//!
//! reqwest is built on hyper and tokio: its futures need a tokio reactor to be polled
//! within, or they panic with "there is no reactor running". On tokio (and trpl) one is
//! always there. Everywhere else, [`with_tokio_reactor`] wraps the future in
//! `async_compat::Compat`, which lazily starts a single-threaded tokio runtime on a thread
//! of its own (`async-compat/tokio-1`) and enters it around each poll. That thread is the
//! price of using reqwest off tokio, and the thread report shows it as "compat bridge".

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;

use crate::title;

pub use async_lab_runtime::compat::with_tokio_reactor;

/// Bodies larger than this are refused: a title never needs more, and a page that streams
/// forever must not take the process's memory with it.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Why a page gave no title: one variant per kind of failure. Its `Display` is the
/// one-line reason the user sees after `{url} failed: `; callers match on the variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The URL does not parse.
    #[error("malformed URL: {0}")]
    MalformedUrl(String),
    /// The URL's scheme is not http or https.
    #[error("unsupported scheme '{0}' (only http and https)")]
    UnsupportedScheme(String),
    /// No answer within the run's timeout.
    #[error("timed out after {}", seconds(*.0))]
    TimedOut(Duration),
    /// Redirect after redirect.
    #[error("too many redirects (a redirect loop?)")]
    TooManyRedirects,
    /// The process (or, `whole_system`, the whole system) has no descriptor left for
    /// another connection: a limit, which the run's remarks name up front.
    #[error("too many open files{}", if *whole_system { " in the system" } else { "" })]
    OutOfDescriptors {
        /// True for the system-wide table (`ENFILE`), false for the process's limit.
        whole_system: bool,
    },
    /// No connection could be made; the innermost cause says why.
    #[error("could not connect{}", cause(.0))]
    Connect(Option<String>),
    /// The connection broke while the body was coming.
    #[error("the body broke off{}", cause(.0))]
    BodyBrokeOff(Option<String>),
    /// Any other failure of the request.
    #[error("request failed{}", cause(.0))]
    Request(Option<String>),
    /// The server answered with a status that is not a success.
    #[error("HTTP {0}")]
    Status(reqwest::StatusCode),
    /// The answer is not an HTML page.
    #[error("not HTML (Content-Type: {0})")]
    NotHtml(String),
    /// The body is over [`MAX_BODY_BYTES`]; the length, where the server declared it.
    #[error("body too large: {}over the {} MiB cap", declared(*.0), MAX_BODY_BYTES / (1024 * 1024))]
    TooLarge(Option<u64>),
}

/// ": {cause}", or nothing.
fn cause(cause: &Option<String>) -> String {
    cause.as_ref().map(|c| format!(": {c}")).unwrap_or_default()
}

/// "{length} bytes, ", or nothing.
fn declared(length: Option<u64>) -> String {
    length.map(|l| format!("{l} bytes, ")).unwrap_or_default()
}

/// An HTTP client with the run's timeout. Clone it freely: clones share the connection
/// pools.
///
/// Two clients: one that follows the proxy variables (`HTTP_PROXY`, ...) for the URLs a
/// user types, and one that never uses a proxy, for loopback, where the embedded site
/// is: a proxy elsewhere cannot reach this machine's 127.0.0.1, and a run must not send
/// its own site's pages through one.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    direct: reqwest::Client,
    timeout: Duration,
}

impl Fetcher {
    /// A client whose every request (connect, headers and body) must finish within `timeout`.
    pub fn new(timeout: Duration) -> Result<Fetcher, FetchError> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .user_agent(concat!("async-lab/", env!("CARGO_PKG_VERSION")))
        };
        let build = |builder: reqwest::ClientBuilder| {
            builder
                .build()
                .map_err(|e| FetchError::Client(e.to_string()))
        };
        Ok(Fetcher {
            client: build(builder())?,
            direct: build(builder().no_proxy())?,
            timeout,
        })
    }

    /// Fetches `url` and returns the title a browser would show for it (`None`: no title).
    ///
    /// The timeout bounds the whole of it: fetching, decoding and finding the title. (The
    /// last two cost time linear in the body, which is capped, so they end soon after the
    /// fetch; a page that still took too long in all is reported as timed out.)
    pub async fn page_title(&self, url: &str) -> Result<Option<String>, FetchError> {
        let started = Instant::now();
        let (body, content_type) = self.fetch_html(url).await?;
        let title = title::page_title(&body, content_type.as_deref());
        if started.elapsed() > self.timeout {
            return Err(FetchError::TimedOut(self.timeout));
        }
        Ok(title)
    }

    /// Fetches `url`, checking that the answer is a successful HTML page of a sane size.
    /// Returns the body's bytes and the `Content-Type` header.
    pub async fn fetch_html(&self, url: &str) -> Result<(Vec<u8>, Option<String>), FetchError> {
        let url = parse_url(url)?;
        with_tokio_reactor(self.fetch_checked(url)).await
    }

    async fn fetch_checked(
        &self,
        url: reqwest::Url,
    ) -> Result<(Vec<u8>, Option<String>), FetchError> {
        let client = if is_loopback(&url) {
            &self.direct
        } else {
            &self.client
        };
        let mut response = client.get(url).send().await.map_err(|e| self.reason(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            // A header is bytes: one that is not visible ASCII (a stray Latin-1 byte in a
            // parameter) still says what the body is, so it is read, not dropped.
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if let Some(ct) = &content_type
            && !is_html(ct)
        {
            return Err(FetchError::NotHtml(ct.clone()));
        }
        if let Some(length) = response.content_length()
            && length > MAX_BODY_BYTES as u64
        {
            return Err(FetchError::TooLarge(Some(length)));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.reason(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge(None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, content_type))
    }

    /// A one-line reason for a reqwest error, without the URL (the caller prints it first).
    fn reason(&self, error: &reqwest::Error) -> FetchError {
        if error.is_timeout() {
            return FetchError::TimedOut(self.timeout);
        }
        if error.is_redirect() {
            return FetchError::TooManyRedirects;
        }
        // reqwest's own message repeats the URL; its sources say what went wrong.
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            if let Some(whole_system) = out_of_descriptors(cause) {
                return FetchError::OutOfDescriptors { whole_system };
            }
            let text = cause.to_string();
            if !causes.iter().any(|c: &String| c.contains(&text)) {
                causes.push(text);
            }
            source = cause.source();
        }
        let cause = causes.pop();
        if error.is_connect() {
            FetchError::Connect(cause)
        } else if error.is_body() || error.is_decode() {
            FetchError::BodyBrokeOff(cause)
        } else {
            FetchError::Request(cause)
        }
    }
}

/// `Some(whole_system)` when `error` is the OS saying no descriptor is left: `EMFILE`
/// (this process's limit) or `ENFILE` (the system's).
fn out_of_descriptors(error: &(dyn std::error::Error + 'static)) -> Option<bool> {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    match error.downcast_ref::<std::io::Error>()?.raw_os_error()? {
        EMFILE => Some(false),
        ENFILE => Some(true),
        _ => None,
    }
}

fn parse_url(url: &str) -> Result<reqwest::Url, FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| FetchError::MalformedUrl(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(FetchError::UnsupportedScheme(other.to_string())),
    }
}

/// True for a URL on this machine's loopback (`127.0.0.0/8`, `::1`, `localhost`), where
/// the embedded site is.
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

fn is_html(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "text/html" || mime == "application/xhtml+xml"
}

/// "2 s", "0.5 s": a duration as a person reads it.
pub fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}
