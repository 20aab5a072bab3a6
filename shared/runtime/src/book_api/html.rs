//! trpl's `get`, `Response` and `Html`: thin wrappers over reqwest and scraper that
//! panic instead of returning errors, as trpl's do (for the book's short programs).
//! The lab's experiments use its own fetcher instead, which reports errors.

use crate::compat::with_tokio_reactor;

/// Fetches `url`, on any runtime (through async-compat off tokio).
///
/// # Panics
///
/// When the request fails, as trpl's `get` does.
pub async fn get(url: &str) -> Response {
    match with_tokio_reactor(reqwest::get(url)).await {
        Ok(response) => Response(response),
        Err(e) => panic!("GET {url} failed: {e}"),
    }
}

/// A response from [`get`].
#[derive(Debug)]
pub struct Response(reqwest::Response);

impl Response {
    /// The whole body as text.
    ///
    /// # Panics
    ///
    /// When the body cannot be read, as trpl's `text` does.
    pub async fn text(self) -> String {
        let url = self.0.url().to_string();
        match with_tokio_reactor(self.0.text()).await {
            Ok(text) => text,
            Err(e) => panic!("reading the body of {url} failed: {e}"),
        }
    }
}

/// A parsed HTML document.
#[derive(Debug)]
pub struct Html {
    inner: scraper::Html,
}

impl Html {
    /// Parses a whole document.
    pub fn parse(source: &str) -> Html {
        Html {
            inner: scraper::Html::parse_document(source),
        }
    }

    /// The first element matching the CSS `selector`.
    ///
    /// # Panics
    ///
    /// When `selector` is not valid CSS, as trpl's does.
    pub fn select_first<'a>(&'a self, selector: &'a str) -> Option<scraper::ElementRef<'a>> {
        let parsed = scraper::Selector::parse(selector)
            .unwrap_or_else(|e| panic!("'{selector}' is not a CSS selector: {e}"));
        self.inner.select(&parsed).next()
    }
}
