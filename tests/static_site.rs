//! `examples/static_site.rs`, run as a user runs it, over a real socket:
//! `examples/static/` mounted at `/static` with tower-http's `ServeDir`
//! (ranges, `ETag` and `If-None-Match`, precompressed `.br` and `.gz`
//! files, `..` refused), beside the page and an API route.

mod common;

use std::io::Read;

use bytes::Bytes;
use common::example::{Example, ScratchDir};
use common::{Http1, request, within};
use http::header;
use http_body_util::BodyExt;

const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static");

fn on_disk(file: &str) -> Vec<u8> {
    std::fs::read(format!("{STATIC_DIR}/{file}")).expect("a file of examples/static")
}

/// `GET path` with `headers`; the body as bytes (a compressed one is not
/// text).
async fn get(
    client: &mut Http1,
    path: &str,
    headers: &[(header::HeaderName, &str)],
) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let mut request = request("GET", path);
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(name.clone(), value.parse().expect("a header value"));
    }
    let (head, body) = client.send(request).await.into_parts();
    let body = within("the body", body.collect())
        .await
        .expect("body")
        .to_bytes();
    (head.status, head.headers, body)
}

#[tokio::test]
async fn files_are_served_with_etags_ranges_and_their_precompressed_forms() {
    let dir = ScratchDir::new("static-site");
    let example = Example::start("static_site", &dir).await;
    let mut client = Http1::connect(example.addr).await;

    let (status, headers, body) = get(&mut client, "/static/app.css", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, on_disk("app.css"));
    assert_eq!(headers[header::CONTENT_TYPE], "text/css");
    assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    // A cache asks before reusing a file, so a deploy's new stylesheet is
    // seen at once (not after a heuristic freshness of 10% of its age).
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::VARY], "accept-encoding");

    // Revalidation: the same ETag is a 304 with no body; another is the file.
    let (status, headers, body) = get(
        &mut client,
        "/static/app.css",
        &[(header::IF_NONE_MATCH, &etag)],
    )
    .await;
    assert_eq!((status.as_u16(), body.len()), (304, 0));
    assert_eq!(headers[header::ETAG], etag.as_str());
    // A 304 repeats the Vary and Cache-Control of the 200 (RFC 9110
    // 15.4.5), so a cache keeps keying the file by Accept-Encoding.
    assert_eq!(headers[header::VARY], "accept-encoding");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let (status, _, body) = get(
        &mut client,
        "/static/app.css",
        &[(header::IF_NONE_MATCH, "\"stale\"")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body.len()),
        (200, on_disk("app.css").len())
    );

    let (status, headers, body) = get(
        &mut client,
        "/static/app.css",
        &[(header::RANGE, "bytes=3-9")],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(body, on_disk("app.css")[3..=9]);
    assert_eq!(
        headers[header::CONTENT_RANGE],
        format!("bytes 3-9/{}", on_disk("app.css").len())
    );

    // The file compressed ahead of time, for a client that takes it.
    let (status, headers, body) = get(
        &mut client,
        "/static/app.css",
        &[(header::ACCEPT_ENCODING, "gzip, br")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert_eq!(headers[header::CONTENT_TYPE], "text/css");
    assert_eq!(headers[header::VARY], "accept-encoding");
    assert_eq!(body, on_disk("app.css.br"));
    assert_ne!(
        headers[header::ETAG],
        etag.as_str(),
        "another representation, another ETag"
    );
    let br_etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, headers, body) = get(
        &mut client,
        "/static/app.css",
        &[
            (header::ACCEPT_ENCODING, "gzip, br"),
            (header::IF_NONE_MATCH, &br_etag),
        ],
    )
    .await;
    assert_eq!((status.as_u16(), body.len()), (304, 0));
    assert_eq!(headers[header::VARY], "accept-encoding");

    let (status, headers, body) = get(
        &mut client,
        "/static/app.js",
        &[(header::ACCEPT_ENCODING, "gzip")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::CONTENT_TYPE], "text/javascript");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut unzipped)
        .expect("a gzip body");
    assert_eq!(
        unzipped,
        on_disk("app.js"),
        "app.js.gz is app.js, compressed"
    );

    // No precompressed form of robots.txt: sent as it is.
    let (status, headers, body) = get(
        &mut client,
        "/static/robots.txt",
        &[(header::ACCEPT_ENCODING, "gzip, br")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, Bytes::from(on_disk("robots.txt")))
    );
    assert!(headers.get(header::CONTENT_ENCODING).is_none());

    example.terminate().await.assert_success();
}

#[tokio::test]
async fn nothing_outside_the_directory_is_served_and_a_missing_file_is_atodes_404() {
    let dir = ScratchDir::new("static-site-traversal");
    let example = Example::start("static_site", &dir).await;
    let mut client = Http1::connect(example.addr).await;
    // examples/static_site.rs sits beside examples/static/.
    let secret =
        String::from_utf8(std::fs::read(format!("{STATIC_DIR}/../static_site.rs")).unwrap())
            .unwrap();
    for path in [
        "/static/../static_site.rs",
        "/static/%2e%2e/static_site.rs",
        "/static/..%2fstatic_site.rs",
        "/static/..%5cstatic_site.rs",
        "/static/%2e%2e%2fstatic_site.rs",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/app.css%00.js",
        "/static/missing.css",
    ] {
        let (status, headers, body) = get(&mut client, path, &[]).await;
        assert_eq!(
            (status.as_u16(), &body[..]),
            (404, &br#"{"detail":"Not Found"}"#[..]),
            "{path}"
        );
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{path}");
        assert!(!String::from_utf8_lossy(&body).contains(&secret[..40]));
    }
    example.terminate().await.assert_success();
}

#[tokio::test]
async fn the_mounts_errors_without_a_body_get_atodes_json_detail() {
    let dir = ScratchDir::new("static-site-errors");
    let example = Example::start("static_site", &dir).await;
    let mut client = Http1::connect(example.addr).await;

    // ServeDir answers these with an empty body; atode adds the detail and
    // keeps ServeDir's headers.
    let (status, headers, body) = client.fetch(request("POST", "/static/app.css")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (405, r#"{"detail":"Method Not Allowed"}"#)
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::ALLOW], "GET,HEAD");

    let size = on_disk("app.css").len();
    let (status, headers, body) = get(
        &mut client,
        "/static/app.css",
        &[(header::RANGE, &format!("bytes={}-", size + 10))],
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body[..]),
        (416, &br#"{"detail":"Range Not Satisfiable"}"#[..])
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::CONTENT_RANGE], format!("bytes */{size}"));
    assert_eq!(headers[header::CONTENT_LENGTH], body.len().to_string());
    example.terminate().await.assert_success();
}

#[tokio::test]
async fn the_page_and_the_api_are_routes_beside_the_mount() {
    let dir = ScratchDir::new("static-site-routes");
    let example = Example::start("static_site", &dir).await;
    let mut client = Http1::connect(example.addr).await;
    let (status, headers, body) = client.fetch(request("GET", "/")).await;
    assert_eq!(status, 200);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(body.contains("<link rel=stylesheet href=/static/app.css>"));
    let (status, _, body) = client.fetch(request("GET", "/api/greeting")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (
            200,
            r#"{"message":"Hello from the API, beside the static files"}"#
        )
    );
    let (status, headers, body) = client.fetch(request("HEAD", "/static/app.js")).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, ""));
    assert_eq!(
        headers[header::CONTENT_LENGTH],
        on_disk("app.js").len().to_string()
    );
    example.terminate().await.assert_success();
}
