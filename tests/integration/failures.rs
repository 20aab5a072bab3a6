//! Pages that fail: one line each naming the URL and the reason, the others still
//! printed, exit status 1, no panic. What a hostile page's fetch reports does not depend
//! on the process: the runs are in this one where they can be (`Config::outcome`); a
//! panic in a fetch's task would be its URL's line, and one elsewhere this test's failure.

use async_lab_experiments::escape;
use async_lab_experiments::site::FAILING;

use crate::support::{Config, site};

crate::on_every_configuration!(every_failure_is_one_line_and_the_rest_still_print);

fn every_failure_is_one_line_and_the_rest_still_print(config: Config) {
    // Bad input of every kind, with one good page in the middle.
    let mut cases: Vec<(String, &str)> = FAILING
        .iter()
        .map(|(path, why)| (site().url(path), *why))
        .collect();
    cases.insert(
        3,
        (site().url("/plain"), "was Hello from the embedded site"),
    );
    cases.push(("not a url".into(), "malformed URL"));
    cases.push(("ftp://127.0.0.1/file".into(), "unsupported scheme 'ftp'"));
    // Port 9 on loopback: nothing listens there, so the connection is refused.
    cases.push(("http://127.0.0.1:9/".into(), "could not connect"));

    let mut args = vec!["--timeout", "1", "page-title"];
    args.extend(cases.iter().map(|(url, _)| url.as_str()));
    let run = config.outcome(&args);
    assert_eq!(
        run.code, 1,
        "some URLs failed, so the exit status is 1: {:?}",
        run.report.errors
    );
    let lines = run.lines();
    assert_eq!(lines.len(), cases.len(), "one line per URL:\n{lines:#?}");
    for ((url, reason), line) in cases.iter().zip(&lines) {
        // A URL that is not one word ("not a url") is printed quoted.
        let url = escape::word(url);
        assert!(
            line.contains(url.as_ref()) && line.contains(reason),
            "for {url} expected '{reason}', got: {line}"
        );
        if !reason.starts_with("was ") {
            assert!(
                line.starts_with(&format!("{url} failed: ")),
                "not a failure line: {line}"
            );
        }
    }
}
