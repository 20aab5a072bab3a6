//! HTTP fetches through reqwest, on any executor.
//!
//! reqwest is built on hyper and tokio: its futures need a tokio reactor to be polled
//! within, or they panic with "there is no reactor running". On tokio (and trpl) one is
//! always there. Everywhere else, [`with_tokio_reactor`] wraps the future in
//! `async_compat::Compat`, which lazily starts a single-threaded tokio runtime on a thread
//! of its own (`async-compat/tokio-1`) and enters it around each poll. That thread is the
//! price of using reqwest off tokio, and the thread report shows it as "compat bridge".

use std::fmt;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;

use crate::title;

pub use async_lab_core::compat::with_tokio_reactor;

/// Bodies larger than this are refused: a title never needs more, and a page that streams
/// forever must not take the process's memory with it.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Why a page gave no title. Its `Display` is the one-line reason the user sees after
/// `{url} failed: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError(pub String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

/// An HTTP client with the run's timeout. Clone it freely: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
}

impl Fetcher {
    /// A client whose every request (connect, headers and body) must finish within `timeout`.
    pub fn new(timeout: Duration) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("async-lab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher { client, timeout })
    }

    /// Fetches `url` and returns the title a browser would show for it (`None`: no title).
    pub async fn page_title(&self, url: &str) -> Result<Option<String>, FetchError> {
        let (body, content_type) = self.fetch_html(url).await?;
        Ok(title::page_title(&body, content_type.as_deref()))
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
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| self.reason(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError(format!("HTTP {status}")));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(ct) = &content_type {
            if !is_html(ct) {
                return Err(FetchError(format!("not HTML (Content-Type: {ct})")));
            }
        }
        if let Some(length) = response.content_length() {
            if length > MAX_BODY_BYTES as u64 {
                return Err(too_large(Some(length)));
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.reason(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large(None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, content_type))
    }

    /// A one-line reason for a reqwest error, without the URL (the caller prints it first).
    fn reason(&self, error: &reqwest::Error) -> FetchError {
        if error.is_timeout() {
            return FetchError(format!("timed out after {}", seconds(self.timeout)));
        }
        if error.is_redirect() {
            return FetchError("too many redirects (a redirect loop?)".into());
        }
        // reqwest's own message repeats the URL; its sources say what went wrong.
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !causes.iter().any(|c: &String| c.contains(&text)) {
                causes.push(text);
            }
            source = cause.source();
        }
        let what = if error.is_connect() {
            "could not connect"
        } else if error.is_body() || error.is_decode() {
            "the body broke off"
        } else {
            "request failed"
        };
        match causes.last() {
            Some(cause) => FetchError(format!("{what}: {cause}")),
            None => FetchError(what.to_string()),
        }
    }
}

fn parse_url(url: &str) -> Result<reqwest::Url, FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| FetchError(format!("malformed URL: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(FetchError(format!(
            "unsupported scheme '{other}' (only http and https)"
        ))),
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

fn too_large(declared_length: Option<u64>) -> FetchError {
    let cap = MAX_BODY_BYTES / (1024 * 1024);
    match declared_length {
        Some(length) => FetchError(format!(
            "body too large: {length} bytes, over the {cap} MiB cap"
        )),
        None => FetchError(format!("body too large: over the {cap} MiB cap")),
    }
}

/// "2 s", "0.5 s": a duration as a person reads it.
pub fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}
