//! Multipart uploads over a real socket: an `UploadFile` handed to a
//! background task outlives the response, and every broken or hostile form
//! gets the 4xx its mistake calls for.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use atode::multipart::{Multipart, MultipartError, UploadFile};
use atode::testing::MultipartForm;
use atode::{App, BackgroundTasks, State, post, routes};
use bytes::Bytes;
use common::{GUARD, TestServer, within};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, mpsc};

/// Holds the task until the test has read the whole response.
#[derive(Clone, Default)]
struct Gate(Arc<Notify>);

/// What the handler and the task report to the test.
#[derive(Clone)]
struct Reports {
    spooled_to: mpsc::UnboundedSender<Option<PathBuf>>,
    task_read: mpsc::UnboundedSender<Bytes>,
}

async fn consume(upload: UploadFile, gate: Gate, reports: Reports) -> std::io::Result<()> {
    gate.0.notified().await;
    let content = upload.bytes().await?;
    let _ = reports.task_read.send(content);
    Ok(())
}

#[post("/upload", body_limit = 16 * 1024 * 1024)]
async fn upload(
    State(gate): State<Gate>,
    State(reports): State<Reports>,
    tasks: BackgroundTasks,
    mut form: Multipart,
) -> Result<String, MultipartError> {
    let field = form
        .next_field()
        .await?
        .ok_or_else(|| MultipartError::missing("file"))?;
    let upload = field.upload().await?;
    let _ = reports.spooled_to.send(upload.path().map(PathBuf::from));
    let answer = format!("{} bytes", upload.size());
    tasks.add_task(consume, (upload, gate, reports));
    Ok(answer)
}

fn multipart(path: &str, content_type: &str, body: impl Into<Bytes>) -> common::Request {
    http::Request::builder()
        .method("POST")
        .uri(path)
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("request")
}

/// The `upload` route, its gate, and where the handler reports where the
/// upload went and the task reports what it read.
fn upload_app() -> (
    App,
    Gate,
    mpsc::UnboundedReceiver<Option<PathBuf>>,
    mpsc::UnboundedReceiver<Bytes>,
) {
    let gate = Gate::default();
    let (spooled_to, spooled) = mpsc::unbounded_channel();
    let (task_read, read) = mpsc::unbounded_channel();
    let app = App::new()
        .state(gate.clone())
        .state(Reports {
            spooled_to,
            task_read,
        })
        .routes(routes![upload]);
    (app, gate, spooled, read)
}

fn form_request(path: &str, form: &MultipartForm) -> common::Request {
    multipart(path, &form.content_type(), form.to_bytes())
}

#[tokio::test]
async fn an_upload_handed_to_a_task_is_read_whole_after_the_response_then_deleted() {
    let (app, gate, mut spooled, mut read) = upload_app();
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;

    // 3 MiB: past the 1 MiB threshold, so it waits in a temporary file.
    let content: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
    let form = MultipartForm::new().file(
        "file",
        "data.bin",
        "application/octet-stream",
        content.clone(),
    );
    let (status, _, body) = server
        .http1()
        .await
        .fetch(form_request("/upload", &form))
        .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "3145728 bytes"));

    // The response is complete, and the task has not read the file yet.
    let path = within("the handler's report", spooled.recv())
        .await
        .expect("a report")
        .expect("spooled to a temporary file");
    assert!(path.exists(), "the file outlives the response");
    assert_eq!(monitor.stats().completed, 0);

    gate.0.notify_one();
    let task_read = within("the task to read the file", read.recv())
        .await
        .expect("the task's read");
    assert_eq!(task_read.len(), content.len());
    assert!(
        task_read == content,
        "the task read the whole file, unchanged"
    );

    within("the task to end", monitor.wait_idle()).await;
    assert_eq!(monitor.stats().completed, 1);
    assert!(
        !path.exists(),
        "the temporary file is deleted with the upload"
    );
}

/// A task that never finishes on its own: it reports where its upload is,
/// then waits for the test to let it go.
fn hold(upload: UploadFile, holding: std::sync::mpsc::Sender<PathBuf>, release: Release) {
    let path = upload.path().expect("spooled").to_owned();
    let _ = holding.send(path);
    let _ = release.0.lock().expect("the release").recv();
}

#[derive(Clone)]
struct Release(Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>);

#[derive(Clone)]
struct Holding(std::sync::mpsc::Sender<PathBuf>);

#[post("/hold")]
async fn hold_upload(
    State(holding): State<Holding>,
    State(release): State<Release>,
    tasks: BackgroundTasks,
    mut form: Multipart,
) -> Result<&'static str, MultipartError> {
    let field = form
        .next_field()
        .await?
        .ok_or_else(|| MultipartError::missing("file"))?;
    let upload = field.upload().await?;
    tasks.add_task(hold, (upload, holding.0, release));
    Ok("held")
}

#[tokio::test]
async fn the_upload_of_a_task_abandoned_at_the_shutdown_deadline_is_deleted() {
    let (holding, held) = std::sync::mpsc::channel();
    let (let_go, release) = std::sync::mpsc::channel::<()>();
    let app = App::new()
        .state(Holding(holding))
        .state(Release(Arc::new(std::sync::Mutex::new(release))))
        .routes(routes![hold_upload]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = atode::serve(listener, app)
        .shutdown_deadline(std::time::Duration::from_millis(50))
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        });
    let server = tokio::spawn(std::future::IntoFuture::into_future(server));

    let form = MultipartForm::new().file(
        "file",
        "big.bin",
        "application/octet-stream",
        vec![7u8; 1536 << 10],
    );
    let (status, _, body) = common::Http1::connect(addr)
        .await
        .fetch(form_request("/hold", &form))
        .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "held"));
    let path = within(
        "the task to start",
        tokio::task::spawn_blocking(move || held.recv().expect("the task's report")),
    )
    .await
    .expect("the report");
    assert!(path.exists(), "the task holds its upload");

    // The task still runs when the deadline passes.
    stop.send(()).expect("the server is running");
    within("the server to stop", server)
        .await
        .expect("the server task")
        .expect("the server stopped cleanly");
    assert!(!path.exists(), "the abandoned task's upload is deleted");
    drop(let_go);
}

#[tokio::test]
async fn a_small_upload_is_kept_in_memory_over_http2_too() {
    let (app, gate, mut spooled, mut read) = upload_app();
    let server = TestServer::start(app).await;

    let form = MultipartForm::new().file("file", "a.txt", "text/plain", "one\ntwo\n");
    let (status, _, body) = server
        .http2()
        .await
        .fetch(form_request("/upload", &form))
        .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "8 bytes"));
    assert_eq!(spooled.recv().await, Some(None), "in memory: no file");
    gate.0.notify_one();
    assert_eq!(within("the task", read.recv()).await.unwrap(), "one\ntwo\n");
}

/// Reads every field, as a form handler does, under small limits.
#[post("/form", body_limit = 64 * 1024)]
async fn form(form: Multipart) -> Result<String, MultipartError> {
    let mut form = form.field_limit(1024).max_parts(50);
    let mut seen = Vec::new();
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or("?").to_owned();
        let text = field.text().await?;
        seen.push(format!("{name}={text}"));
    }
    Ok(seen.join("&"))
}

fn part(name: &str, value: &str) -> String {
    format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

const B: &str = "multipart/form-data; boundary=b";

#[tokio::test]
async fn broken_and_hostile_forms_get_the_4xx_their_mistake_calls_for() {
    let server = TestServer::start(App::new().routes(routes![form])).await;
    let detail = |text: &str| format!(r#"{{"detail":"{text}"}}"#);
    let malformed = detail(
        "Malformed multipart body: the body ends before the closing boundary, or the boundary never appears",
    );
    let many_parts: String = (0..51).map(|i| part(&format!("f{i}"), "x")).collect();
    let cases: Vec<(&str, common::Request, u16, String)> = vec![
        (
            "a well-formed form",
            multipart(
                "/form",
                B,
                format!("{}{}--b--\r\n", part("a", "1"), part("b", "2")),
            ),
            200,
            "a=1&b=2".to_owned(),
        ),
        (
            "not multipart",
            multipart("/form", "text/plain", "a=1"),
            415,
            detail("Expected a request body with `Content-Type: multipart/form-data`"),
        ),
        (
            "no boundary",
            multipart("/form", "multipart/form-data", part("a", "1")),
            400,
            detail("The `multipart/form-data` Content-Type has no valid `boundary` parameter"),
        ),
        (
            "a boundary over 70 characters",
            multipart(
                "/form",
                &format!("multipart/form-data; boundary={}", "b".repeat(71)),
                "",
            ),
            400,
            detail("The `multipart/form-data` Content-Type has no valid `boundary` parameter"),
        ),
        (
            "a body with another boundary",
            multipart("/form", B, part("a", "1").replace("--b", "--other")),
            400,
            malformed.clone(),
        ),
        (
            "a part cut short",
            multipart(
                "/form",
                B,
                "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            ),
            400,
            detail("Malformed multipart body: the field `a` ends before its boundary"),
        ),
        (
            "headers that never end",
            multipart(
                "/form",
                B,
                "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n",
            ),
            400,
            malformed.clone(),
        ),
        (
            "a part header of 20 KiB",
            multipart(
                "/form",
                B,
                format!(
                    "--b\r\nX-Padding: {}\r\n\r\nx\r\n--b--\r\n",
                    "p".repeat(20 * 1024)
                ),
            ),
            413,
            detail("A part's headers are larger than 16384 bytes"),
        ),
        (
            "a field past the field limit",
            multipart(
                "/form",
                B,
                format!("{}--b--\r\n", part("big", &"x".repeat(1025))),
            ),
            413,
            detail("The field `big` is larger than the limit of 1024 bytes"),
        ),
        (
            "more parts than allowed",
            multipart("/form", B, format!("{many_parts}--b--\r\n")),
            413,
            detail("The form has more than 50 parts"),
        ),
        (
            "a body past the body limit",
            multipart(
                "/form",
                B,
                format!("{}--b--\r\n", part("a", &"x".repeat(65 * 1024))),
            ),
            413,
            detail("Request body is larger than the limit of 65536 bytes"),
        ),
        (
            "a field that is not UTF-8",
            multipart(
                "/form",
                B,
                [
                    b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n".as_slice(),
                    b"\xff\xfe\r\n--b--\r\n",
                ]
                .concat(),
            ),
            400,
            detail("The field `a` is not valid UTF-8"),
        ),
    ];
    for (what, request, status, body) in cases {
        let (got_status, headers, got_body) = server.http1().await.fetch(request).await;
        assert_eq!(
            (got_status.as_u16(), got_body.as_str()),
            (status, body.as_str()),
            "{what}"
        );
        if status != 200 {
            assert_eq!(
                headers[http::header::CONTENT_TYPE],
                "application/json",
                "{what}"
            );
        }
    }
}

/// A body streamed without a `Content-Length` is cut at the limit too.
#[tokio::test]
async fn a_chunked_body_past_the_limit_is_a_413() {
    let server = TestServer::start(App::new().routes(routes![form])).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: {B}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let start = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n";
    stream
        .write_all(format!("{:x}\r\n{start}\r\n", start.len()).as_bytes())
        .await
        .unwrap();
    let chunk = vec![b'x'; 8192];
    let mut response = String::new();
    // Files have no limit of their own here: the body limit (64 KiB) stops it.
    for _ in 0..16 {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = within("the answer", stream.read_to_string(&mut response)).await;
    assert!(
        response.starts_with("HTTP/1.1 413 "),
        "{}",
        response.lines().next().unwrap_or_default()
    );
    assert!(
        response.ends_with(r#"{"detail":"Request body is larger than the limit of 65536 bytes"}"#),
        "{response}"
    );
}

#[post("/big", body_limit = 64 * 1024 * 1024)]
async fn big(mut form: Multipart) -> Result<String, MultipartError> {
    let mut count = 0;
    while let Some(field) = form.next_field().await? {
        field.bytes().await?;
        count += 1;
    }
    Ok(format!("{count} fields"))
}

/// With a 64 MiB body limit, a body whose boundary never comes (or whose
/// part's headers never end) is refused once 16 KiB of it have been read,
/// without waiting for the rest: multer would otherwise buffer all of it,
/// searching it again at every chunk.
#[tokio::test]
async fn a_head_that_never_comes_is_refused_without_reading_the_rest_of_the_body() {
    let server = TestServer::start(App::new().routes(routes![big])).await;
    let junk = vec![b'a'; 100 * 1024];
    let bodies = [
        junk.clone(),
        [
            b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n".as_slice(),
            &junk,
        ]
        .concat(),
        [part("first", "ok").as_bytes(), b"--b\r\nX-Long: ", &junk].concat(),
    ];
    for body in bodies {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        // 64 MiB announced; 100 KiB sent, and the connection kept open.
        let head = format!(
            "POST /big HTTP/1.1\r\nHost: x\r\nContent-Type: {B}\r\nContent-Length: {}\r\n\r\n",
            64 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        let mut answer = vec![0; 4096];
        let read = tokio::time::timeout(GUARD, stream.read(&mut answer))
            .await
            .expect("an answer before the rest of the body")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert!(
            answer.contains(r#"{"detail":"A part's headers are larger than 16384 bytes"}"#),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn thousands_of_tiny_fields_stop_at_the_part_limit() {
    let server = TestServer::start(App::new().routes(routes![big])).await;
    let fields = |n: usize| {
        (0..n)
            .map(|i| part(&format!("f{i}"), ""))
            .collect::<String>()
            + "--b--\r\n"
    };
    let mut client = server.http1().await;
    let (status, _, body) = client.fetch(multipart("/big", B, fields(1000))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "1000 fields"));
    let (status, _, body) = client.fetch(multipart("/big", B, fields(5000))).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (413, r#"{"detail":"The form has more than 1000 parts"}"#)
    );
}

#[test]
fn the_form_is_documented_as_multipart_with_its_file_as_binary() {
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)] // documents the form; the handler reads the fields
    struct Avatar {
        image: UploadFile,
        caption: Option<String>,
    }

    #[post("/avatar")]
    async fn avatar(_form: Multipart<Avatar>) -> &'static str {
        "ok"
    }

    let app = App::new().routes(routes![avatar]);
    assert!(app.openapi_gaps().is_empty(), "{:?}", app.openapi_gaps());
    let document = app.openapi().expect("a document");
    let operation = &document["paths"]["/avatar"]["post"];
    let body = &operation["requestBody"];
    assert_eq!(body["required"], true);
    assert_eq!(
        body["content"]["multipart/form-data"]["schema"]["$ref"],
        "#/components/schemas/Avatar"
    );
    let form = &document["components"]["schemas"]["Avatar"];
    assert_eq!(
        form["properties"]["image"],
        serde_json::json!({ "type": "string", "format": "binary" })
    );
    assert_eq!(form["required"], serde_json::json!(["image"]));
    for status in ["400", "413", "415", "422"] {
        assert!(operation["responses"][status].is_object(), "{status}");
    }
}
