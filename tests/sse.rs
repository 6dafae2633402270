//! Server-sent events over real sockets: a raw HTTP/1.1 reader takes the
//! chunks as they arrive, so each test sees exactly the bytes a browser's
//! `EventSource` would, one event at a time, and when.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atode::body::ReceiverStream;
use atode::sse::{Event, KeepAlive, LastEventId, Sse};
use atode::{App, BackgroundTasks, State, get, routes};
use common::{TestServer, within};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tower_http::compression::CompressionLayer;

type Events = mpsc::Sender<Result<Event, Infallible>>;
type EventReceiver = mpsc::Receiver<Result<Event, Infallible>>;

/// What the test controls: the events the next stream sends (the test
/// holds the sender; dropping it ends the stream), and a channel the
/// stream's background task reports on.
#[derive(Clone)]
struct Feed {
    next: Arc<Mutex<Option<EventReceiver>>>,
    done: mpsc::UnboundedSender<String>,
}

async fn report_done(done: mpsc::UnboundedSender<String>, resumed_after: Option<String>) {
    let _ = done.send(format!("stream ended; resumed after {resumed_after:?}"));
}

/// Streams what the test sends, with a keep-alive every 50 ms; queues a
/// task that says the stream has ended.
#[get("/events")]
async fn events(
    State(feed): State<Feed>,
    last: Option<LastEventId>,
    tasks: BackgroundTasks,
) -> Sse<ReceiverStream<Result<Event, Infallible>>> {
    let receiver = feed
        .next
        .lock()
        .expect("lock")
        .take()
        .expect("one stream per test");
    tasks.add_task(report_done, (feed.done, last.map(|LastEventId(id)| id)));
    Sse::new(ReceiverStream::new(receiver)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_millis(50))
            .text("ping"),
    )
}

/// A stream that sends nothing for a long time: only keep-alives.
#[get("/quiet")]
async fn quiet() -> Sse<atode::body::ReceiverStream<Result<Event, Infallible>>> {
    let (sender, receiver) = mpsc::channel(1);
    // The sender lives as long as the stream may: nothing is ever sent.
    tokio::spawn(async move { sender.closed().await });
    Sse::new(ReceiverStream::new(receiver)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_millis(30))
            .text("still\nhere"),
    )
}

struct Setup {
    server: TestServer,
    events: Events,
    done: mpsc::UnboundedReceiver<String>,
}

async fn setup(compressed: bool) -> Setup {
    let (events, receiver) = mpsc::channel(8);
    let (done, done_receiver) = mpsc::unbounded_channel();
    let feed = Feed {
        next: Arc::new(Mutex::new(Some(receiver))),
        done,
    };
    let mut app = App::new().state(feed).routes(routes![events, quiet]);
    if compressed {
        app = app.layer(CompressionLayer::new());
    }
    Setup {
        server: TestServer::start(app).await,
        events,
        done: done_receiver,
    }
}

/// An HTTP/1.1 response read off the socket by hand: the head, then the
/// body's chunks one by one, as the server writes them.
struct RawStream {
    status: u16,
    headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
}

impl RawStream {
    async fn open(addr: std::net::SocketAddr, path: &str, extra: &[(&str, &str)]) -> Self {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut head =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n");
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .await
            .expect("write the request");
        let mut reader = BufReader::new(stream);
        let status_line = Self::line(&mut reader).await;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = Self::line(&mut reader).await;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        RawStream {
            status,
            headers,
            reader,
        }
    }

    async fn line(reader: &mut BufReader<TcpStream>) -> String {
        let mut line = String::new();
        within("a line of the response", reader.read_line(&mut line))
            .await
            .expect("read a line");
        line.trim_end_matches("\r\n").to_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// The next chunk of the body, as the server framed it; `None` at the
    /// last (empty) chunk.
    async fn next_chunk(&mut self) -> Option<String> {
        let size_line = Self::line(&mut self.reader).await;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or(""), 16)
            .unwrap_or_else(|_| panic!("a chunk size: {size_line:?}"));
        let mut chunk = vec![0; size + 2];
        within("a chunk", self.reader.read_exact(&mut chunk))
            .await
            .expect("read a chunk");
        assert_eq!(&chunk[size..], b"\r\n", "a chunk ends with CRLF");
        chunk.truncate(size);
        (size > 0).then(|| String::from_utf8(chunk).expect("utf-8 chunk"))
    }

    /// The next chunk that is not a keep-alive comment.
    async fn next_event(&mut self) -> Option<String> {
        loop {
            let chunk = self.next_chunk().await?;
            if chunk != ": ping\n\n" {
                return Some(chunk);
            }
        }
    }
}

fn tick(n: u32) -> Event {
    Event::default()
        .event("tick")
        .id(n.to_string())
        .data(format!("tick {n}\nof the clock"))
}

async fn send(events: &Events, event: Event) {
    within("room in the test's channel", events.send(Ok(event)))
        .await
        .expect("the stream is listening");
}

/// Each event is one chunk, sent before the next event exists, with the
/// exact bytes of the format (a `data:` line per line) and the headers
/// that keep it from being cached or held back.
async fn events_arrive_one_by_one(compressed: bool) {
    let Setup { server, events, .. } = setup(compressed).await;
    let mut stream = RawStream::open(server.addr, "/events", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream.header("cache-control"), Some("no-store"));
    assert_eq!(stream.header("x-accel-buffering"), Some("no"));
    assert_eq!(stream.header("transfer-encoding"), Some("chunked"));
    assert_eq!(stream.header("content-encoding"), None, "never compressed");

    for n in 1..=3 {
        send(&events, tick(n)).await;
        assert_eq!(
            stream.next_event().await.as_deref(),
            Some(format!("event: tick\nid: {n}\ndata: tick {n}\ndata: of the clock\n\n").as_str()),
        );
    }
    drop(events);
    assert_eq!(stream.next_event().await, None, "the stream ended");
}

#[tokio::test]
async fn events_arrive_one_by_one_as_exact_bytes() {
    events_arrive_one_by_one(false).await;
}

#[tokio::test]
async fn behind_compression_events_still_arrive_one_by_one_uncompressed() {
    events_arrive_one_by_one(true).await;
}

#[tokio::test]
async fn a_quiet_stream_sends_keep_alive_comments() {
    let setup = setup(false).await;
    let mut stream = RawStream::open(setup.server.addr, "/quiet", &[]).await;
    assert_eq!(stream.status, 200);
    for _ in 0..3 {
        assert_eq!(
            stream.next_chunk().await.as_deref(),
            Some(": still\n: here\n\n")
        );
    }
}

#[tokio::test]
async fn the_task_starts_when_the_stream_ends_not_before() {
    let Setup {
        server,
        events,
        mut done,
    } = setup(false).await;
    let mut stream = RawStream::open(server.addr, "/events", &[("Last-Event-ID", "41")]).await;
    send(&events, tick(42)).await;
    assert!(stream.next_event().await.is_some());
    // Keep-alives go by while the stream stays open; the task waits.
    assert_eq!(stream.next_chunk().await.as_deref(), Some(": ping\n\n"));
    assert!(
        done.try_recv().is_err(),
        "the task started before the stream ended"
    );

    drop(events);
    assert_eq!(stream.next_event().await, None);
    let report = within("the task after the stream", done.recv()).await;
    assert_eq!(
        report.as_deref(),
        Some("stream ended; resumed after Some(\"41\")")
    );
}

/// `/events` opened, with its first event sent and read.
async fn stream_with_one_event(addr: std::net::SocketAddr, events: &Events) -> RawStream {
    let mut stream = RawStream::open(addr, "/events", &[]).await;
    send(events, tick(1)).await;
    assert!(stream.next_event().await.is_some());
    stream
}

#[tokio::test]
async fn a_client_that_goes_away_mid_stream_ends_it_and_the_task_still_runs() {
    let Setup {
        server,
        events,
        mut done,
    } = setup(false).await;
    let stream = stream_with_one_event(server.addr, &events).await;
    assert!(done.try_recv().is_err(), "the stream is still open");

    drop(stream); // the client closes its socket mid-stream
    within("the server to drop the stream", events.closed()).await;
    let report = within("the task after the client left", done.recv()).await;
    assert_eq!(report.as_deref(), Some("stream ended; resumed after None"));
}

#[tokio::test]
async fn at_shutdown_an_endless_stream_ends_its_tasks_run_and_the_server_stops() {
    let Setup {
        mut server,
        events,
        mut done,
    } = setup(false).await;
    let mut stream = stream_with_one_event(server.addr, &events).await;

    // The test keeps `events` open: the stream would never end by itself,
    // and the server has no shutdown deadline.
    server.begin_shutdown();
    assert_eq!(
        within("the stream to end", stream.next_event()).await,
        None,
        "the stream ended cleanly"
    );
    let report = within("the task after the stream", done.recv()).await;
    assert_eq!(report.as_deref(), Some("stream ended; resumed after None"));
    within("the server to stop", &mut server.handle)
        .await
        .expect("the server task")
        .expect("a clean stop");
    drop(events);
}

#[get("/opaque-events")]
async fn opaque_events() -> Sse<impl atode::sse::Stream<Item = Result<Event, Infallible>>> {
    Sse::new(tokio_stream::iter([Ok(Event::default().data("x"))]))
}

#[get("/opaque-json")]
async fn opaque_json() -> atode::Json<impl serde::Serialize> {
    atode::Json(1)
}

/// `Sse<impl Stream>` documents its `text/event-stream` though the stream
/// has no name; a type that needs to know what it wraps (`Json<impl
/// Serialize>`) is still a gap rather than a guess.
#[test]
fn an_event_stream_is_documented_even_when_its_stream_is_impl_trait() {
    let app = App::new().routes(routes![opaque_events, opaque_json]);
    let document = app.openapi().expect("a document");
    assert_eq!(
        document["paths"]["/opaque-events"]["get"]["responses"]["200"]["content"],
        serde_json::json!({
            "text/event-stream": { "schema": { "$ref": "#/components/schemas/ServerSentEvent" } }
        })
    );
    let event = &document["components"]["schemas"]["ServerSentEvent"];
    assert_eq!(event["required"], serde_json::json!(["data"]));
    assert_eq!(event["properties"]["retry"]["type"], "integer");
    let gaps = app.openapi_gaps();
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert!(
        gaps[0].starts_with(
            "`opaque_json` (GET /opaque-json): return type `atode::Json<impl serde::Serialize>` is not described"
        ),
        "{gaps:?}"
    );
}

/// One tick of a typed stream.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Tick {
    n: u32,
}

#[get("/typed-events")]
async fn typed_events()
-> Sse<impl atode::sse::Stream<Item = Result<atode::sse::JsonEvent<Tick>, Infallible>>> {
    Sse::new(tokio_stream::iter((1..=2).map(|n| {
        Ok(Event::default().id(n.to_string()).json(Tick { n }))
    })))
}

/// A stream of `JsonEvent<T>` sends each `T` as its event's JSON data, and
/// documents `T`'s schema as what the data holds, though the stream is
/// `impl Stream`: JSON inside the `data` string, as JSON Schema describes
/// it (`contentMediaType`, `contentSchema`).
#[tokio::test]
async fn a_typed_event_stream_documents_its_datas_schema() {
    let app = App::new().routes(routes![typed_events]);
    let document = app.openapi().expect("a document");
    let event = &document["paths"]["/typed-events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        ["schema"];
    assert_eq!(
        event["properties"]["data"],
        serde_json::json!({
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": { "$ref": "#/components/schemas/Tick" },
        })
    );
    assert_eq!(event["required"], serde_json::json!(["data"]));
    assert_eq!(
        document["components"]["schemas"]["Tick"]["properties"]["n"]["type"],
        "integer"
    );
    assert!(app.openapi_gaps().is_empty(), "{:?}", app.openapi_gaps());

    let server = TestServer::start(app).await;
    let (status, _, body) = server
        .http1()
        .await
        .fetch(common::request("GET", "/typed-events"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, "id: 1\ndata: {\"n\":1}\n\nid: 2\ndata: {\"n\":2}\n\n");
}
