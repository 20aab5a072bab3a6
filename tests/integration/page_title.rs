//! `page-title`: the right title for every tricky page, in argument order, on every runtime.
//! What a run prints does not depend on its process: each runs in this one where it can be
//! (`Config::outcome`).

use async_lab_experiments::site::PAGES;

use crate::support::{Config, site};

crate::on_every_configuration!(
    every_page_gets_the_title_a_browser_shows,
    urls_print_in_argument_order
);

fn expected_line(path: &str, title: Option<&str>) -> String {
    let url = site().url(path);
    match title {
        Some(title) => format!("The title for {url} was {title}"),
        None => format!("{url} had no title"),
    }
}

fn every_page_gets_the_title_a_browser_shows(config: Config) {
    let run = config.outcome(&["page-title"]);
    assert_eq!(run.code, 0, "{:?}", run.report.errors);
    let expected: Vec<String> = PAGES
        .iter()
        .map(|p| expected_line(p.path, p.title))
        .collect();
    assert_eq!(run.lines(), expected);
}

fn urls_print_in_argument_order(config: Config) {
    // The slow page is asked first: its line must still come first, though it ends last.
    let run = config.outcome(&["page-title", "/slow/300", "/gbk", "/no-title"]);
    assert_eq!(run.code, 0, "{:?}", run.report.errors);
    assert_eq!(
        run.lines(),
        [
            expected_line("/slow/300", Some("Slow page (300 ms)")),
            expected_line(
                "/gbk",
                Some("\u{5f02}\u{6b65}\u{7f16}\u{7a0b}\u{5165}\u{95e8}")
            ),
            expected_line("/no-title", None),
        ]
    );
}
