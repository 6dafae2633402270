//! `examples/upload.rs`, run as a user runs it, over a real socket: the
//! file uploaded is processed by a background task after the response,
//! and its temporary file is gone once the task is done. The example's
//! graceful shutdown waits for its tasks, so its exit is the event that
//! says the task has run.

mod common;

use bytes::Bytes;
use common::example::{Example, ScratchDir};
use common::{Http1, request};
use http_body_util::Full;
use sha2::{Digest, Sha256};

fn upload_request(content_type: &str, body: impl Into<Bytes>) -> common::Request {
    http::Request::builder()
        .method("POST")
        .uri("/upload")
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("request")
}

#[tokio::test]
async fn the_task_reads_the_whole_file_after_the_response_and_its_file_is_deleted() {
    let dir = ScratchDir::new("upload-example");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let example = Example::start_with("upload", &dir, &[("TMPDIR", tmp.to_str().unwrap())]).await;
    let mut client = Http1::connect(example.addr).await;

    // 3 MiB of numbered lines: past 1 MiB, so it waits in a temporary file.
    let mut content = String::new();
    let mut lines = 0;
    while content.len() < 3 << 20 {
        lines += 1;
        content.push_str(&format!("line {lines} of the upload\n"));
    }
    let form = atode::testing::MultipartForm::new()
        .text("note", "quarterly numbers")
        .file("file", "numbers.txt", "text/plain", content.clone());
    let (status, headers, body) = client
        .fetch(upload_request(&form.content_type(), form.to_bytes()))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(
        body,
        format!(
            r#"{{"id":1,"filename":"numbers.txt","size":{}}}"#,
            content.len()
        )
    );

    let exit = example.terminate().await;
    exit.assert_success();
    let report: serde_json::Value =
        serde_json::from_str(&dir.read("uploads/1.json")).expect("a JSON report");
    assert_eq!(
        report,
        serde_json::json!({
            "id": 1,
            "filename": "numbers.txt",
            "note": "quarterly numbers",
            "size": content.len(),
            "lines": lines,
            "sha256": format!("{:x}", Sha256::digest(content.as_bytes())),
        })
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[tokio::test]
async fn a_form_without_a_file_or_not_a_form_is_refused_and_reports_wait_for_their_task() {
    let dir = ScratchDir::new("upload-example-refusals");
    let example = Example::start("upload", &dir).await;
    let mut client = Http1::connect(example.addr).await;

    let form = atode::testing::MultipartForm::new().text("note", "no file");
    let (status, _, body) = client
        .fetch(upload_request(&form.content_type(), form.to_bytes()))
        .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (
            422,
            r#"{"detail":[{"type":"missing","loc":["body","file"],"msg":"Field required","input":null}]}"#
        )
    );
    let form = atode::testing::MultipartForm::new()
        .file("file", "a.txt", "text/plain", "a")
        .text("colour", "teal");
    let (status, _, body) = client
        .fetch(upload_request(&form.content_type(), form.to_bytes()))
        .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (
            422,
            r#"{"detail":[{"type":"extra_forbidden","loc":["body","colour"],"msg":"Extra inputs are not permitted","input":null}]}"#
        )
    );
    let (status, _, body) = client.fetch(upload_request("application/json", "{}")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (
            415,
            r#"{"detail":"Expected a request body with `Content-Type: multipart/form-data`"}"#
        )
    );
    let (status, _, body) = client.fetch(request("GET", "/uploads/7")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (404, r#"{"detail":"No report for upload 7 (yet)"}"#)
    );
    example.terminate().await.assert_success();
}
