//! The hostile traffic, by category. Every attack is a client mistake or
//! abuse: the server may answer it with a 4xx, close, or (where the route
//! ignores the broken part) a 2xx, but never a 5xx, a hang or a crash.

use std::time::Duration;

use crate::h2;
use crate::probe::{Attack, Ending};

pub struct Category {
    pub name: &'static str,
    pub attacks: Vec<Attack>,
}

/// The example's one route.
const ROUTE: &str = "/send-notification";

/// The request every check sends: it must get a 200.
pub fn normal() -> Attack {
    let request = format!(
        "POST {ROUTE}/x@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    Attack::new(request, Ending::Answer)
}

pub fn categories() -> Vec<Category> {
    vec![
        category("overlong_path", Ending::Answer, overlong_paths()),
        category("query_pairs", Ending::Answer, query_pairs()),
        category("deep_json", Ending::Answer, deep_json()),
        category("truncated", Ending::HalfClose, truncated()),
        category("garbage", Ending::HalfClose, garbage()),
        Category {
            name: "unterminated_headers",
            attacks: unterminated_headers(),
        },
        Category {
            name: "reset_mid_body",
            attacks: reset_mid_body(),
        },
        Category {
            name: "slow_reader",
            attacks: slow_readers(),
        },
        category("traversal", Ending::Answer, traversal()),
        category("invalid_utf8", Ending::Answer, invalid_utf8()),
        category("odd_targets", Ending::Answer, odd_targets()),
        category("huge_headers", Ending::Answer, huge_headers()),
        category("bad_framing", Ending::HalfClose, bad_framing()),
        Category {
            name: "h2_preface",
            attacks: h2::attacks(),
        },
    ]
}

/// A category of requests that each end the same way.
pub fn category(name: &'static str, ending: Ending, requests: Vec<Vec<u8>>) -> Category {
    let attacks = requests
        .into_iter()
        .map(|bytes| Attack::new(bytes, ending))
        .collect();
    Category { name, attacks }
}

/// A request with `Connection: close`, so an answered request ends the
/// connection and nothing waits on keep-alive.
fn request(method: &str, target: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn post(target: &str) -> Vec<u8> {
    request("POST", target, "", b"")
}

fn overlong_paths() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [8 << 10, 64 << 10, 100 << 10, 1 << 20]
        .into_iter()
        .map(|len| request("GET", &format!("/{}", "a".repeat(len)), "", b""))
        .collect();
    out.push(post(&format!("{ROUTE}/{}", "x".repeat(100 << 10))));
    out.push(post(&"/a".repeat(50_000)));
    out.push(post(&format!("{ROUTE}/{}", "%41".repeat(33_000))));
    out.push(post(&format!("{ROUTE}/{}", "%41".repeat(20_000))));
    out
}

fn query_pairs() -> Vec<Vec<u8>> {
    let numbered = |n: usize| {
        (0..n)
            .map(|i| format!("k{i}=v{i}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    vec![
        post(&format!("{ROUTE}/q@example.com?{}", numbered(1000))),
        post(&format!("{ROUTE}/q@example.com?{}", numbered(5000))),
        post(&format!("{ROUTE}/q@example.com?{}", "a=1&".repeat(5000))),
        post(&format!("{ROUTE}/q@example.com?{}", "&".repeat(20_000))),
        post(&format!(
            "{ROUTE}/q@example.com?{}",
            "%zz=%ff&".repeat(3000)
        )),
        request("GET", &format!("/nowhere?{}", numbered(5000)), "", b""),
    ]
}

fn deep_json() -> Vec<Vec<u8>> {
    let json = "Content-Type: application/json\r\n";
    let brackets = vec![b'['; 100_000];
    let objects = "{\"a\":".repeat(50_000);
    let mut chunked = format!(
        "POST {ROUTE}/j@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{json}Transfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in brackets.chunks(8192) {
        chunked.extend(format!("{:x}\r\n", chunk.len()).bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    vec![
        request("POST", &format!("{ROUTE}/j@example.com"), json, &brackets),
        request(
            "POST",
            &format!("{ROUTE}/j@example.com"),
            json,
            objects.as_bytes(),
        ),
        request("POST", "/nowhere", json, &brackets),
        chunked,
    ]
}

/// Every prefix of a complete request, then FIN.
fn truncated() -> Vec<Vec<u8>> {
    let whole = request(
        "POST",
        &format!("{ROUTE}/t@example.com"),
        "Content-Type: application/json\r\n",
        b"{\"a\":[1,2]}",
    );
    (1..whole.len()).map(|len| whole[..len].to_vec()).collect()
}

/// Bytes that are not HTTP: random ones (fixed seed, so a finding can be
/// replayed), and near-misses a sloppy parser would accept.
fn garbage() -> Vec<Vec<u8>> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64: deterministic, good enough for noise.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out: Vec<Vec<u8>> = (0..40)
        .map(|_| {
            let len = 1 + (next() % 2048) as usize;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect();
    let near_misses: [&[u8]; 16] = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        &[0; 1000],
        b"GET / HTTP/9.9\r\nHost: a\r\n\r\n",
        b"GET / FOO/1.1\r\nHost: a\r\n\r\n",
        b"G\tET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /send-notification/\xff\xfe HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\n\n",
        b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: \xff\xfe\r\n\r\n",
        b"GET\r\n\r\n",
        b"\r\n\r\n\r\n\r\n",
        b"  GET / HTTP/1.1\r\n\r\n",
    ];
    out.extend(near_misses.iter().map(|bytes| bytes.to_vec()));
    out.push(b"\r\n".repeat(5000));
    out
}

/// A head that never ends (no final CRLF), then FIN or a reset.
fn unterminated_headers() -> Vec<Attack> {
    let start = format!("POST {ROUTE}/h@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let heads = [
        format!("POST {ROUTE}/h@example.com HTTP/1.1\r\n"),
        start.clone(),
        format!("{start}Content-Length: 5\r\n"),
        format!("{start}X-Half: 12"),
        format!("{start}{}", "X-Many: y\r\n".repeat(50)),
        format!("{start}\r"),
    ];
    heads
        .into_iter()
        .flat_map(|head| {
            [Ending::HalfClose, Ending::Reset].map(|ending| Attack::new(head.clone(), ending))
        })
        .collect()
}

/// A body announced at 1 MB, a few bytes of it, then FIN or a reset.
fn reset_mid_body() -> Vec<Attack> {
    let json = "Content-Type: application/json\r\n";
    let heads = [
        format!(
            "POST {ROUTE}/r@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\n{json}Content-Length: 1000000\r\n\r\n[[["
        ),
        format!(
            "POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n{json}Content-Length: 1000000\r\n\r\n[[["
        ),
        format!(
            "POST {ROUTE}/r@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nabc"
        ),
    ];
    heads
        .iter()
        .flat_map(|head| {
            (0..10).flat_map(|_| {
                [Ending::HalfClose, Ending::Reset].map(|ending| Attack::new(head.clone(), ending))
            })
        })
        .collect()
}

/// Keep-alive connections with 200 pipelined requests each, read one byte
/// per 10 ms for 3 s.
fn slow_readers() -> Vec<Attack> {
    let one = format!(
        "POST {ROUTE}/slow@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    );
    let pipelined = one.repeat(200);
    (0..8)
        .map(|_| Attack::new(pipelined.clone(), Ending::SlowRead(Duration::from_secs(3))))
        .collect()
}

fn traversal() -> Vec<Vec<u8>> {
    [
        "/send-notification/..%2f..%2fetc%2fpasswd",
        "/send-notification/%2e%2e",
        "/send-notification/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/send-notification/..%5c..%5cetc%5cpasswd",
        "/send-notification/x%00y",
        "/send-notification/%00",
        "/send-notification/..",
        "/send-notification/../../etc/passwd",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "//send-notification/x",
        "/send-notification/x/",
        "/send-notification/%2fetc%2fpasswd",
        "/send-notification//",
    ]
    .iter()
    .map(|target| post(target))
    .collect()
}

fn invalid_utf8() -> Vec<Vec<u8>> {
    [
        "%ff",
        "%c0%af",
        "%ed%a0%80",
        "%f4%90%80%80",
        "%e2%82",
        "a%80b",
        "%fe%ff",
        "%c3",
    ]
    .iter()
    .map(|value| post(&format!("{ROUTE}/{value}")))
    .collect()
}

/// Request targets that are not an origin-form path.
fn odd_targets() -> Vec<Vec<u8>> {
    vec![
        request("OPTIONS", "*", "", b""),
        request("POST", "*", "", b""),
        request("GET", "http://evil.invalid/send-notification/x", "", b""),
        request("POST", "http://127.0.0.1", "", b""),
        request("CONNECT", "127.0.0.1:1", "", b""),
        request("GET", "127.0.0.1:80", "", b""),
        request("GET", "?a=1", "", b""),
        request("GET", "/send-notification/x", "", b""),
        request("BREW", "/send-notification/x", "", b""),
        request("POST", &format!("{ROUTE}/x#fragment"), "", b""),
    ]
}

fn huge_headers() -> Vec<Vec<u8>> {
    let target = format!("{ROUTE}/h@example.com");
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    vec![
        request("POST", &target, &many, b""),
        request(
            "POST",
            &target,
            &format!("X-Big: {}\r\n", "v".repeat(100 << 10)),
            b"",
        ),
        request(
            "POST",
            &target,
            &format!("{}: v\r\n", "N".repeat(10 << 10)),
            b"",
        ),
        request("POST", &target, &"Cookie: a=b\r\n".repeat(90), b""),
    ]
}

/// Bodies whose framing lies, some of them smuggling attempts.
fn bad_framing() -> Vec<Vec<u8>> {
    let head = |headers: &str| {
        format!("POST {ROUTE}/f@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n")
    };
    let chunked = "Transfer-Encoding: chunked\r\n";
    [
        head("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n",
        head("Content-Length: -1\r\n"),
        head("Content-Length: 1, 2\r\n") + "ab",
        head("Content-Length: 99999999999999999999999\r\n"),
        head("Content-Length: 3\r\nContent-Length: 4\r\n") + "abcd",
        head(chunked) + "zz\r\nab\r\n0\r\n\r\n",
        head(chunked) + "ffffffffffffffffffff\r\nab\r\n",
        head(chunked) + &format!("1;{}\r\na\r\n0\r\n\r\n", "e".repeat(100 << 10)),
        head("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n",
        head("Transfer-Encoding: chunked, gzip\r\n") + "0\r\n\r\n",
        head("Expect: 100-continue\r\nContent-Length: 10\r\n"),
        head("Expect: teapot\r\n"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}
