//! The embedded site under abuse keeps answering: a thousand idle connections held open,
//! a client that sends its request one byte at a time, a request with a huge header.
//! None of them stops other pages from being served. The site runs in this process (a
//! site of its own for each test, so the abuse cannot slow the other tests' site), and
//! the clients are plain sockets, so that each byte sent is the test's choice.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use async_lab_experiments::resources;
use async_lab_experiments::site::Site;

/// A request for `path` that asks the site to close the connection after its answer.
fn request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
}

/// Reads an answer to its end: its status line, and the whole answer.
fn answer(stream: &mut TcpStream) -> (String, String) {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut bytes = Vec::new();
    // A connection the site closes after a 431 may end in a reset: what came is enough.
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.lines().next().unwrap_or("").to_string();
    (status, text)
}

/// Fetches `/plain` on a connection of its own and checks that the site answered it.
fn plain_is_served(addr: SocketAddr) {
    let mut stream = TcpStream::connect(addr).expect("the site accepts a connection");
    stream.write_all(request("/plain").as_bytes()).unwrap();
    let (status, text) = answer(&mut stream);
    assert_eq!(status, "HTTP/1.1 200 OK", "{text}");
    assert!(
        text.contains("<title>Hello from the embedded site</title>"),
        "{text}"
    );
}

fn abused_site() -> Site {
    // Each connection holds two descriptors here: the client's end and the site's.
    resources::raise_descriptor_limit();
    Site::start().expect("the embedded site starts")
}

#[test]
fn a_thousand_idle_connections_do_not_stop_other_pages() {
    let site = abused_site();
    let room = resources::descriptor_limit()
        .map_or(1000, |limit| (limit.saturating_sub(256) / 2) as usize);
    let n = 1000.min(room);
    assert!(
        n >= 500,
        "the descriptor limit ({room} pairs) is too low for this test"
    );
    let idle: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(site.addr()).expect("an idle connection"))
        .collect();
    for _ in 0..3 {
        plain_is_served(site.addr());
    }
    // The idle ones are still open, and each can still make its request.
    let mut first = idle.into_iter().next().unwrap();
    first.write_all(request("/gbk").as_bytes()).unwrap();
    assert_eq!(answer(&mut first).0, "HTTP/1.1 200 OK");
}

#[test]
fn a_request_sent_one_byte_at_a_time_is_answered_and_others_meanwhile() {
    let site = abused_site();
    let addr = site.addr();
    let slow = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        for byte in request("/multiline").bytes() {
            stream.write_all(&[byte]).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        answer(&mut stream)
    });
    // While the slow request trickles in, other clients are served.
    while !slow.is_finished() {
        plain_is_served(addr);
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, text) = slow.join().unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK", "{text}");
    assert!(text.contains("Async   and Await"), "{text}");
}

#[test]
fn a_huge_header_is_refused_and_others_still_served() {
    let site = abused_site();
    let mut stream = TcpStream::connect(site.addr()).unwrap();
    let huge = "x".repeat(1024 * 1024);
    let request = format!("GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: {huge}\r\n\r\n");
    // The site stops reading at its cap, answers 431 and closes: the rest of the write
    // may fail, and the answer may be lost to the reset that unread bytes cause.
    let _ = stream.write_all(request.as_bytes());
    let (status, _) = answer(&mut stream);
    assert!(
        status.is_empty() || status == "HTTP/1.1 431 Request Header Fields Too Large",
        "{status}"
    );
    plain_is_served(site.addr());
}
