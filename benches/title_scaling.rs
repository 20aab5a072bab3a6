//! How the time to find a page's title grows with the page: in proportion to its size,
//! whatever its shape. html5ever's tree builder, which `title_of` used before, is
//! quadratic in some shapes: on 20,000 nested `<div>`s (100 KB) it took 1.0 s in a
//! release build, on 40,000 it took 5.0 s; the scanner takes about 1 ms per 100 KB.
//!
//! Run with `cargo bench --bench title_scaling`.
//!
//! Each benchmark times `async_lab_experiments::title::page_title` (decoding the bytes, then
//! scanning for the title) on pages of 10 KB, 100 KB, 1 MB and 10 MB (1 KB under the
//! fetcher's cap, `MAX_BODY_BYTES`), with their one title at the very end so that the
//! whole page is scanned. Time over size gives the time per KB, which stays flat when the
//! scan is linear. The shapes:
//! - `deep_nesting`: `<div>` opened and never closed, up to 2,000,000 deep;
//! - `misnested_formatting`: `<b id=b1><i id=i1><b id=b2><i id=i2>...`, every one
//!   distinct, so none is dropped as a duplicate;
//! - `unclosed_tables`: `<table><tr><td>` over and over;
//! - `long_attributes`: one `<div>` with up to 700,000 attributes;
//! - `realistic`: the embedded site's pages one after another (their titles made
//!   headings), repeated.

use async_lab_experiments::fetch::MAX_BODY_BYTES;
use async_lab_experiments::site::PAGES;
use async_lab_experiments::title::{decode_html, page_title};
use divan::Bencher;
use divan::counter::BytesCount;

fn main() {
    divan::main();
}

const SIZES: [&str; 4] = ["10 KB", "100 KB", "1 MB", "10 MB"];
const KB: usize = 1024;
const TITLE: &str = "<title>The end</title>";
/// The header's charset, which wins over the `<meta>`s that the real pages bring.
const CONTENT_TYPE: Option<&str> = Some("text/html; charset=utf-8");

fn bytes(size: &str) -> usize {
    match size {
        "10 KB" => 10 * KB,
        "100 KB" => 100 * KB,
        "1 MB" => KB * KB,
        _ => MAX_BODY_BYTES - KB,
    }
}

/// A page of `size` bytes or just under: `head`, then `unit(0)`, `unit(1)`, ... as many
/// as fit, then `tail` and the title.
fn page(size: &str, head: &str, unit: impl Fn(usize) -> String, tail: &str) -> Vec<u8> {
    let room = bytes(size) - TITLE.len() - tail.len();
    let mut page = String::with_capacity(bytes(size));
    page.push_str(head);
    for i in 0.. {
        let unit = unit(i);
        if page.len() + unit.len() > room {
            break;
        }
        page.push_str(&unit);
    }
    page.push_str(tail);
    page.push_str(TITLE);
    page.into_bytes()
}

/// Checks that the page's title is found, then times finding it.
fn time(bencher: Bencher, page: Vec<u8>) {
    assert_eq!(page_title(&page, CONTENT_TYPE).as_deref(), Some("The end"));
    bencher
        .counter(BytesCount::new(page.len()))
        .bench(|| page_title(divan::black_box(&page), CONTENT_TYPE));
}

const HEAD: &str = "<!doctype html><html><body>";

#[divan::bench(args = SIZES, sample_count = 10)]
fn deep_nesting(bencher: Bencher, size: &str) {
    time(bencher, page(size, HEAD, |_| "<div>".into(), ""));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn misnested_formatting(bencher: Bencher, size: &str) {
    let unit = |i| format!("<b id=b{i}><i id=i{i}>");
    time(bencher, page(size, HEAD, unit, ""));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn unclosed_tables(bencher: Bencher, size: &str) {
    time(bencher, page(size, HEAD, |_| "<table><tr><td>".into(), ""));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn long_attributes(bencher: Bencher, size: &str) {
    let unit = |i| format!(" a{i}=v{i}");
    time(
        bencher,
        page(size, "<!doctype html><html><body><div", unit, ">"),
    );
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn realistic(bencher: Bencher, size: &str) {
    let site: String = PAGES
        .iter()
        .map(|page| decode_html(&page.bytes(), Some(page.content_type())).0)
        .map(|text| text.replace("<title>", "<h2>").replace("</title>", "</h2>"))
        .collect();
    time(bencher, page(size, "", |_| site.clone(), ""));
}
