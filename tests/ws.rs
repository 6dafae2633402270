//! WebSocket routes (`atode::ws`) end to end: a real server on loopback,
//! tokio-tungstenite's client for what a well-behaved client does, and raw
//! sockets for what a hostile one does.

mod common;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade, close_code};
use atode::{App, BackgroundTasks, Limits, State, get, routes};
use common::{Http1, TestServer, request, within};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::{self, protocol::frame::coding::CloseCode};

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn connect(addr: SocketAddr, path: &str) -> Client {
    let (client, response) = within(
        "the WebSocket handshake",
        tokio_tungstenite::connect_async(format!("ws://{addr}{path}")),
    )
    .await
    .expect("handshake");
    assert_eq!(response.status(), 101);
    client
}

async fn next(client: &mut Client) -> tungstenite::Message {
    within("a message from the server", client.next())
        .await
        .expect("a message, not the end")
        .expect("a message, not an error")
}

/// The close code of the next message, which must be a close frame.
async fn close_code_of_next(client: &mut Client) -> u16 {
    match next(client).await {
        tungstenite::Message::Close(Some(frame)) => frame.code.into(),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

// ---- an echo route, and what the handler saw ----

/// What each session's `recv` ended with, for the test to read.
#[derive(Clone)]
struct Ended(mpsc::UnboundedSender<String>);

#[get("/echo")]
async fn echo(upgrade: WebSocketUpgrade, State(ended): State<Ended>) -> SwitchingProtocols {
    upgrade
        .max_message_size(1024)
        .on_upgrade(move |socket| echo_until_closed(socket, ended))
}

async fn echo_until_closed(mut socket: WebSocket, ended: Ended) {
    let outcome = loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => {
                if text == "ping me" {
                    let _ = socket.send(Message::Ping("are you there".into())).await;
                } else {
                    let _ = socket.send(Message::Text(text)).await;
                }
            }
            Some(Ok(Message::Binary(bytes))) => {
                let _ = socket.send(Message::Binary(bytes)).await;
            }
            Some(Ok(Message::Pong(payload))) => {
                let _ = socket
                    .send(format!("pong {}", String::from_utf8_lossy(&payload)))
                    .await;
            }
            Some(Ok(Message::Close(frame))) => {
                break format!("close {:?}", frame.map(|frame| frame.code));
            }
            Some(Ok(Message::Ping(_))) => {}
            Some(Err(error)) => {
                break format!("error {:?} {:?}", error.kind(), error.close_code());
            }
            None => break "end".to_owned(),
        }
    };
    // What comes after: `None`, every time.
    let after = socket.recv().await.map(|received| received.is_ok());
    let _ = ended.0.send(format!("{outcome}, then {after:?}"));
}

fn echo_app() -> (App, mpsc::UnboundedReceiver<String>) {
    app_reporting_to(routes![echo])
}

/// An app of `routes` whose sessions report how they ended.
fn app_reporting_to(
    routes: Vec<atode::routing::RouteDef>,
) -> (App, mpsc::UnboundedReceiver<String>) {
    let (sender, ended) = mpsc::unbounded_channel();
    let app = App::new().state(Ended(sender)).routes(routes);
    (app, ended)
}

async fn ended(receiver: &mut mpsc::UnboundedReceiver<String>) -> String {
    within("the session to end", receiver.recv())
        .await
        .expect("the session reports its end")
}

#[tokio::test]
async fn text_and_binary_messages_echo_and_a_client_close_is_answered() {
    let (app, mut sessions) = echo_app();
    let server = TestServer::start(app).await;
    let mut client = connect(server.addr, "/echo").await;

    client.send("héllo".into()).await.expect("send text");
    assert_eq!(next(&mut client).await, tungstenite::Message::text("héllo"));
    client
        .send(tungstenite::Message::binary(vec![0, 1, 255]))
        .await
        .expect("send binary");
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::binary(vec![0, 1, 255])
    );

    client
        .close(Some(tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .expect("send close");
    // The server answers the close with the same code, then ends the
    // connection.
    assert_eq!(close_code_of_next(&mut client).await, 1000);
    assert!(within("the end", client.next()).await.is_none());
    assert_eq!(ended(&mut sessions).await, "close Some(1000), then None");
}

#[tokio::test]
async fn pings_are_answered_and_the_servers_pings_get_pongs() {
    let (app, mut sessions) = echo_app();
    let server = TestServer::start(app).await;
    let mut client = connect(server.addr, "/echo").await;

    client
        .send(tungstenite::Message::Ping("abc".into()))
        .await
        .expect("send ping");
    // The pong goes out with the server's next read; a message makes sure
    // there is one.
    client.send("after ping".into()).await.expect("send text");
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::Pong("abc".into())
    );
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::text("after ping")
    );

    // The handler pings; tungstenite's client answers on its next read,
    // and the handler reports the pong it got.
    client.send("ping me".into()).await.expect("send text");
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::Ping("are you there".into())
    );
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::text("pong are you there")
    );
    drop(client);
    assert_eq!(
        ended(&mut sessions).await,
        "error ConnectionLost None, then None"
    );
}

#[tokio::test]
async fn a_message_over_the_limit_closes_with_1009() {
    let (app, mut sessions) = echo_app();
    let server = TestServer::start(app).await;
    let mut client = connect(server.addr, "/echo").await;

    // The route allows 1024 bytes.
    client.send("a".repeat(1024).into()).await.expect("send");
    assert_eq!(next(&mut client).await.len(), 1024);
    client.send("a".repeat(1025).into()).await.expect("send");
    assert_eq!(close_code_of_next(&mut client).await, close_code::SIZE);
    assert_eq!(
        ended(&mut sessions).await,
        "error MessageTooBig Some(1009), then None"
    );
}

// ---- what a hostile client sends, over a raw socket ----

/// A WebSocket handshake by hand; the socket, with the `101` read.
async fn raw_handshake(addr: SocketAddr, path: &str) -> TcpStream {
    raw_handshake_with(addr, path, "").await.0
}

/// A handshake by hand with `extra` header lines (each ending in `\r\n`);
/// the socket and the `101`'s head, lower-cased.
async fn raw_handshake_with(addr: SocketAddr, path: &str, extra: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        within("the handshake's answer", stream.read_exact(&mut byte))
            .await
            .expect("read the head");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).expect("a text head");
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{head}"
    );
    (stream, head)
}

/// A client frame: FIN, `opcode`, masked with a fixed key unless `masked`
/// is false.
fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [0x12, 0x34, 0x56, 0x78];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// The server's next frame: its opcode and payload.
async fn raw_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0; 2];
    within("a frame from the server", stream.read_exact(&mut head))
        .await
        .expect("a frame");
    assert_eq!(head[1] & 0x80, 0, "a server's frames are never masked");
    let len = match head[1] & 0x7f {
        126 => {
            let mut len = [0; 2];
            stream.read_exact(&mut len).await.expect("length");
            u16::from_be_bytes(len) as usize
        }
        127 => {
            let mut len = [0; 8];
            stream.read_exact(&mut len).await.expect("length");
            u64::from_be_bytes(len) as usize
        }
        len => len as usize,
    };
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload).await.expect("payload");
    (head[0] & 0x0f, payload)
}

/// Reads the server's frames until a close frame; its code.
async fn raw_close_code(stream: &mut TcpStream) -> u16 {
    let close = async {
        loop {
            let (opcode, payload) = raw_frame(stream).await;
            if opcode == 0x8 {
                assert!(payload.len() >= 2, "a close frame with a code");
                return u16::from_be_bytes([payload[0], payload[1]]);
            }
        }
    };
    within("a close frame from the server", close).await
}

/// Sends `bytes` to `/echo` after a raw handshake; asserts the close code
/// the server answers with and how the session saw its end.
async fn raw_bytes_close_with(bytes: &[u8], code: u16, session_end: &str) {
    let (app, mut sessions) = echo_app();
    let server = TestServer::start(app).await;
    let mut stream = raw_handshake(server.addr, "/echo").await;
    stream.write_all(bytes).await.expect("write");
    assert_eq!(raw_close_code(&mut stream).await, code);
    assert_eq!(ended(&mut sessions).await, session_end);
}

#[tokio::test]
async fn an_unmasked_client_frame_closes_with_1002() {
    raw_bytes_close_with(
        &frame(0x1, b"hello", false),
        close_code::PROTOCOL,
        "error Protocol Some(1002), then None",
    )
    .await;
}

#[tokio::test]
async fn text_that_is_not_utf8_closes_with_1007() {
    raw_bytes_close_with(
        &frame(0x1, &[b'o', b'k', 0xff, 0xfe], true),
        close_code::INVALID,
        "error InvalidUtf8 Some(1007), then None",
    )
    .await;
}

#[tokio::test]
async fn a_frame_announcing_more_than_the_limit_closes_with_1009_before_it_is_sent() {
    // A header that announces 1 GiB, and none of it: the server must not
    // wait for (or allocate) the payload.
    raw_bytes_close_with(
        &[0x82, 0x80 | 127, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4],
        close_code::SIZE,
        "error MessageTooBig Some(1009), then None",
    )
    .await;
}

#[tokio::test]
async fn handshakes_that_are_wrong_are_refused_with_the_reason() {
    let (app, _sessions) = echo_app();
    let server = TestServer::start(app).await;
    let mut http = Http1::connect(server.addr).await;
    let handshake = |headers: &[(&str, &str)]| {
        let mut request = request("GET", "/echo");
        for (name, value) in headers {
            request.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                http::HeaderValue::from_str(value).expect("value"),
            );
        }
        request
    };
    let upgrade = [("connection", "upgrade"), ("upgrade", "websocket")];

    let (status, headers, body) = http.fetch(request("GET", "/echo")).await;
    assert_eq!(status, 426);
    assert_eq!(headers["upgrade"], "websocket");
    assert_eq!(
        body,
        r#"{"detail":"This is a WebSocket endpoint: send a WebSocket handshake (Connection: upgrade, Upgrade: websocket)"}"#
    );

    let (status, headers, body) = http
        .fetch(handshake(&[
            upgrade[0],
            upgrade[1],
            ("sec-websocket-version", "8"),
        ]))
        .await;
    assert_eq!(status, 426);
    assert_eq!(headers["sec-websocket-version"], "13");
    assert_eq!(body, r#"{"detail":"Sec-WebSocket-Version must be 13"}"#);

    // A connection that asked to upgrade is not reused for another request.
    let mut http = Http1::connect(server.addr).await;
    let (status, _, body) = http
        .fetch(handshake(&[
            upgrade[0],
            upgrade[1],
            ("sec-websocket-version", "13"),
        ]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body, r#"{"detail":"Sec-WebSocket-Key is missing"}"#);

    let mut http = Http1::connect(server.addr).await;
    let (status, _, body) = http
        .fetch(handshake(&[
            upgrade[0],
            upgrade[1],
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "c2hvcnQ="),
        ]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"detail":"Sec-WebSocket-Key must be 16 bytes in base64"}"#
    );
}

// ---- background tasks queued by the upgrading handler ----

/// Opens when the client has the `101`; the task waits on it, so the test
/// shows the task runs after the response, and while the socket is open.
#[derive(Clone)]
struct Gate {
    client_has_101: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
    task_ran: Arc<Mutex<Option<oneshot::Sender<&'static str>>>>,
    session_got: Arc<Mutex<Option<oneshot::Receiver<&'static str>>>>,
}

async fn after_the_101(gate: Gate) {
    let waiting = gate.client_has_101.lock().unwrap().take();
    if let Some(waiting) = waiting {
        let _ = waiting.await;
    }
    if let Some(ran) = gate.task_ran.lock().unwrap().take() {
        let _ = ran.send("the task ran");
    }
}

#[get("/tasks")]
async fn with_a_task(
    upgrade: WebSocketUpgrade,
    State(gate): State<Gate>,
    tasks: BackgroundTasks,
) -> SwitchingProtocols {
    tasks.add_task(after_the_101, (gate.clone(),));
    let told = gate.session_got.lock().unwrap().take();
    upgrade.on_upgrade(move |mut socket| async move {
        // The socket is open; it waits for the task, then says so.
        let line = match told {
            Some(told) => told.await.ok(),
            None => None,
        };
        if let Some(line) = line {
            let _ = socket.send(line).await;
        }
        while let Some(Ok(_)) = socket.recv().await {}
    })
}

#[tokio::test]
async fn tasks_queued_at_the_upgrade_run_after_the_101_while_the_socket_is_open() {
    let (open, client_has_101) = oneshot::channel();
    let (task_ran, session_got) = oneshot::channel();
    let gate = Gate {
        client_has_101: Arc::new(Mutex::new(Some(client_has_101))),
        task_ran: Arc::new(Mutex::new(Some(task_ran))),
        session_got: Arc::new(Mutex::new(Some(session_got))),
    };
    let server = TestServer::start(App::new().state(gate).routes(routes![with_a_task])).await;
    let mut client = connect(server.addr, "/tasks").await;
    open.send(()).expect("the task waits for the 101");
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::text("the task ran")
    );
}

// ---- shutdown ----

async fn serve_with(
    app: App,
    limits: Limits,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = atode::serve(listener, app)
        .limits(limits)
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        });
    (addr, stop, tokio::spawn(server.into_future()))
}

#[tokio::test]
async fn shutdown_sends_1001_and_waits_for_the_socket_to_finish() {
    let (app, mut sessions) = echo_app();
    let (addr, stop, server) = serve_with(app, Limits::default()).await;
    let mut client = connect(addr, "/echo").await;
    client.send("still here".into()).await.expect("send");
    assert_eq!(
        next(&mut client).await,
        tungstenite::Message::text("still here")
    );

    stop.send(()).expect("server running");
    assert_eq!(close_code_of_next(&mut client).await, close_code::AWAY);
    // tungstenite's client answers the close on its next poll; the server
    // sees the answer and the handler's loop ends.
    assert!(within("the end", client.next()).await.is_none());
    assert_eq!(ended(&mut sessions).await, "close Some(1001), then None");
    within("the server to stop", server)
        .await
        .expect("server task")
        .expect("server");
}

#[tokio::test]
async fn a_socket_keeps_its_connections_one_place_under_the_limit() {
    let (app, mut sessions) = echo_app();
    let mut limits = Limits::default();
    limits.max_connections = 1;
    let (addr, _stop, _server) = serve_with(app, limits).await;
    // The one place goes to the connection, and the socket keeps it: the
    // handshake is not refused for want of a second.
    let mut client = connect(addr, "/echo").await;
    client.send("one".into()).await.expect("send");
    assert_eq!(next(&mut client).await, tungstenite::Message::text("one"));
    // Another connection waits for the place while the socket is open...
    let mut waiting = tokio::spawn(async move {
        Http1::connect(addr)
            .await
            .fetch(request("GET", "/nowhere"))
            .await
            .0
    });
    client.send("two".into()).await.expect("send");
    assert_eq!(next(&mut client).await, tungstenite::Message::text("two"));
    // Nothing signals a request that is not served: give a loopback server
    // far longer than it takes to answer one (well under a millisecond).
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut waiting)
            .await
            .is_err(),
        "a second connection was served beside the socket"
    );
    // ...and gets it once the socket has ended.
    client.close(None).await.expect("close");
    assert_eq!(ended(&mut sessions).await, "close None, then None");
    let status = within("the waiting request", waiting)
        .await
        .expect("the request task");
    assert_eq!(status, 404);
}

#[tokio::test]
async fn shutdown_does_not_wait_past_its_bound_for_a_client_that_never_answers() {
    // Far from the default (5 s), and from the bound below.
    const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);
    let (app, mut sessions) = echo_app();
    let mut limits = Limits::default();
    limits.websocket_close_timeout = CLOSE_TIMEOUT;
    let (addr, stop, server) = serve_with(app, limits).await;
    let mut stream = raw_handshake(addr, "/echo").await;

    let stopped = std::time::Instant::now();
    stop.send(()).expect("server running");
    assert_eq!(raw_close_code(&mut stream).await, close_code::AWAY);
    // No answer from here. The server waits the close timeout for one, then
    // drops the socket: the connection ends, with nothing sent after the
    // close frame.
    let mut rest = Vec::new();
    let read = within("the connection to close", stream.read_to_end(&mut rest)).await;
    let closed = stopped.elapsed();
    match read {
        Ok(_) => assert!(rest.is_empty(), "sent after the close frame: {rest:?}"),
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
    }
    assert!(
        closed >= CLOSE_TIMEOUT,
        "dropped {closed:?} after the shutdown began, before the close timeout"
    );
    // ...and returns. The bound is generous for a loaded machine, and still
    // well short of the default timeout, which would be a timeout ignored.
    within("the server to stop", server)
        .await
        .expect("server task")
        .expect("server");
    let stopped = stopped.elapsed();
    assert!(
        stopped < CLOSE_TIMEOUT + Duration::from_secs(3),
        "stopped {stopped:?} after the shutdown began, with a close timeout of {CLOSE_TIMEOUT:?}"
    );
    // The handler was dropped where it waited, never told the session
    // ended; with the server gone, so is its sender.
    assert_eq!(
        within("the app to be dropped", sessions.recv()).await,
        None,
        "the handler saw its session end"
    );
}

#[tokio::test]
async fn a_socket_that_never_reads_is_dropped_at_the_bound() {
    #[get("/deaf")]
    async fn deaf(upgrade: WebSocketUpgrade) -> SwitchingProtocols {
        upgrade.on_upgrade(|socket| async move {
            // Holds the socket, and never reads or writes it.
            let _socket = socket;
            std::future::pending::<()>().await
        })
    }
    let mut limits = Limits::default();
    limits.websocket_close_timeout = Duration::from_millis(200);
    let (addr, stop, server) = serve_with(App::new().routes(routes![deaf]), limits).await;
    let mut stream = raw_handshake(addr, "/deaf").await;
    stop.send(()).expect("server running");
    within("the server to stop", server)
        .await
        .expect("server task")
        .expect("server");
    // The handler's socket was dropped: the connection closes.
    let mut rest = Vec::new();
    let _ = within("the connection to close", stream.read_to_end(&mut rest)).await;
    assert!(rest.is_empty(), "{rest:?}");
}

// ---- HTTP/2 (RFC 8441) ----

// ---- keep-alive pings and subprotocols ----

/// The echo session, pinging a client quiet for 50 ms and closing one that
/// answers nothing within 100 ms of a ping.
#[get("/lively")]
async fn lively(upgrade: WebSocketUpgrade, State(ended): State<Ended>) -> SwitchingProtocols {
    upgrade
        .ping_interval(Some(Duration::from_millis(50)))
        .ping_timeout(Duration::from_millis(100))
        .on_upgrade(move |socket| echo_until_closed(socket, ended))
}

#[tokio::test]
async fn a_quiet_client_is_pinged_and_one_that_never_answers_is_closed_with_1011() {
    let (app, mut sessions) = app_reporting_to(routes![lively]);
    let server = TestServer::start(app).await;
    let mut stream = raw_handshake(server.addr, "/lively").await;
    // The raw client reads but never answers.
    assert_eq!(
        raw_frame(&mut stream).await,
        (0x9, b"atode-keepalive".to_vec())
    );
    assert_eq!(raw_close_code(&mut stream).await, close_code::ERROR);
    assert_eq!(
        ended(&mut sessions).await,
        "error Timeout Some(1011), then None"
    );
}

#[tokio::test]
async fn a_client_that_answers_the_pings_stays_open_and_the_app_never_sees_their_pongs() {
    let (app, _sessions) = app_reporting_to(routes![lively]);
    let server = TestServer::start(app).await;
    let mut client = connect(server.addr, "/lively").await;
    // tungstenite's client answers each ping on its next read. Three
    // rounds span longer than the timeout; were a pong handed to the app,
    // the echo handler would send "pong ..." back between them.
    for _ in 0..3 {
        assert_eq!(
            next(&mut client).await,
            tungstenite::Message::Ping("atode-keepalive".into())
        );
    }
    client.send("still here".into()).await.expect("send text");
    loop {
        match next(&mut client).await {
            tungstenite::Message::Ping(payload) => assert_eq!(payload, "atode-keepalive"),
            other => {
                assert_eq!(other, tungstenite::Message::text("still here"));
                break;
            }
        }
    }
}

#[get("/chat")]
async fn chat(upgrade: WebSocketUpgrade) -> SwitchingProtocols {
    upgrade
        .protocols(["chat.v2", "chat.v1"])
        .on_upgrade(|mut socket| async move {
            let agreed = socket.protocol().unwrap_or("none").to_owned();
            let _ = socket.send(agreed).await;
        })
}

#[tokio::test]
async fn the_handshake_agrees_on_the_routes_first_subprotocol_that_the_client_offered() {
    let server = TestServer::start(App::new().routes(routes![chat])).await;

    let (mut stream, head) = raw_handshake_with(
        server.addr,
        "/chat",
        "Sec-WebSocket-Protocol: chat.v1, CHAT.V2\r\n",
    )
    .await;
    assert!(
        head.contains("sec-websocket-protocol: chat.v2\r\n"),
        "{head}"
    );
    assert_eq!(raw_frame(&mut stream).await, (0x1, b"CHAT.V2".to_vec()));

    let (mut stream, head) =
        raw_handshake_with(server.addr, "/chat", "Sec-WebSocket-Protocol: chat.v1\r\n").await;
    assert!(
        head.contains("sec-websocket-protocol: chat.v1\r\n"),
        "{head}"
    );
    assert_eq!(raw_frame(&mut stream).await, (0x1, b"chat.v1".to_vec()));

    // Nothing in common: a socket without a subprotocol.
    let (mut stream, head) =
        raw_handshake_with(server.addr, "/chat", "Sec-WebSocket-Protocol: mqtt\r\n").await;
    assert!(!head.contains("sec-websocket-protocol"), "{head}");
    assert_eq!(raw_frame(&mut stream).await, (0x1, b"none".to_vec()));
}

#[tokio::test]
async fn over_http2_an_extended_connect_opens_the_socket() {
    use http_body_util::Empty;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let (app, mut sessions) = echo_app();
    let server = TestServer::start(app).await;
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(connection);

    let mut request = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("http://{}/echo", server.addr))
        .header("sec-websocket-version", "13")
        .body(Empty::<bytes::Bytes>::new())
        .expect("request");
    request
        .extensions_mut()
        .insert(hyper::ext::Protocol::from_static("websocket"));
    let response = within("the response", sender.send_request(request))
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    let upgraded = within("the upgrade", hyper::upgrade::on(response))
        .await
        .expect("upgraded");
    let mut client = tokio_tungstenite::WebSocketStream::from_raw_socket(
        TokioIo::new(upgraded),
        tungstenite::protocol::Role::Client,
        None,
    )
    .await;
    client.send("over h2".into()).await.expect("send");
    assert_eq!(
        within("the echo", client.next())
            .await
            .expect("a message")
            .expect("ok"),
        tungstenite::Message::text("over h2")
    );
    client.close(None).await.expect("close");
    assert_eq!(ended(&mut sessions).await, "close None, then None");
}

// ---- the OpenAPI document ----

#[test]
fn the_document_describes_the_handshake_and_has_no_gap() {
    let (app, _sessions) = echo_app();
    let document = app.openapi().expect("a document");
    let responses = &document["paths"]["/echo"]["get"]["responses"];
    let mut statuses: Vec<&str> = responses
        .as_object()
        .expect("responses")
        .keys()
        .map(String::as_str)
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["101", "400", "426"]);
    assert_eq!(
        responses["426"]["headers"]["Upgrade"]["schema"]["const"],
        "websocket"
    );
    assert!(app.openapi_gaps().is_empty(), "{:?}", app.openapi_gaps());
}
