//! A run in the Chrome trace event format, which Perfetto (ui.perfetto.dev) and
//! `chrome://tracing` open: a complete event (`"ph":"X"`, `ts` and `dur` in µs) per poll,
//! named after its task (category `task`) or its future inside a task (category
//! `future`, nested in its task's poll on the same thread), and a `thread_name` metadata
//! event (`"ph":"M"`) per thread of the census; several runs are several processes.

use std::fmt::Write as _;

use crate::report::{Report, SpanReport};

/// `runs`, each a report with the process id to show it under, as one trace document.
pub fn document(runs: &[(u64, &Report)]) -> String {
    let mut events: Vec<String> = Vec::new();
    for &(pid, report) in runs {
        events.push(format!(
            r#"{{"name":"process_name","ph":"M","pid":{pid},"tid":0,"args":{{"name":{}}}}}"#,
            string(&format!(
                "{} ({}), {}",
                report.runtime, report.flavor, report.experiment
            ))
        ));
        for thread in &report.threads.list {
            events.push(format!(
                r#"{{"name":"thread_name","ph":"M","pid":{pid},"tid":{},"args":{{"name":{}}}}}"#,
                thread.tid,
                string(&format!("{} ({})", thread.name, thread.role.label()))
            ));
        }
        for (index, task) in report.tasks.iter().enumerate() {
            for span in &task.spans {
                events.push(complete(pid, &task.name, "task", index, span));
            }
        }
        for future in &report.futures {
            let task = future.task.map_or(-1, |t| t as i64);
            for span in &future.spans {
                events.push(complete(pid, &future.name, "future", task, span));
            }
        }
    }
    let mut s = String::from("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    for (i, event) in events.iter().enumerate() {
        s.push_str(event);
        s.push_str(if i + 1 < events.len() { ",\n" } else { "\n" });
    }
    s.push_str("]}\n");
    s
}

/// One poll as a complete event; `task` is the index of the task in the report's
/// `tasks` (for a future, of the task it runs in; -1 when none).
fn complete(
    pid: u64,
    name: &str,
    category: &str,
    task: impl std::fmt::Display,
    span: &SpanReport,
) -> String {
    format!(
        r#"{{"name":{},"cat":"{category}","ph":"X","ts":{:.3},"dur":{:.3},"pid":{pid},"tid":{},"args":{{"task":{task}}}}}"#,
        string(name),
        span.start_us,
        (span.end_us - span.start_us).max(0.0),
        span.tid
    )
}

/// `text` as a JSON string.
fn string(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::string;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\u0001""#);
    }
}
