//! `examples/chat_ws.rs`, the chat room, driven over real sockets by
//! tokio-tungstenite's client: the example is compiled into this test crate
//! as a module, so these tests drive the very app it serves.

mod common;

#[allow(dead_code)] // its `main`, which only the example runs
#[path = "../examples/chat_ws.rs"]
mod chat_ws;

use std::net::SocketAddr;

use common::{TestServer, request, within};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn join(addr: SocketAddr, name: &str) -> Client {
    let (client, _) = within(
        "the handshake",
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws?name={name}")),
    )
    .await
    .expect("handshake");
    client
}

async fn line(client: &mut Client) -> String {
    match within("a line", client.next()).await {
        Some(Ok(Message::Text(text))) => text.to_string(),
        other => panic!("expected a line, got {other:?}"),
    }
}

async fn members(addr: SocketAddr) -> String {
    let (status, _, body) = common::Http1::connect(addr)
        .await
        .fetch(request("GET", "/members"))
        .await;
    assert_eq!(status, 200);
    body
}

#[tokio::test]
async fn joins_are_announced_by_the_background_task_and_lines_reach_everyone() {
    let server = TestServer::start(chat_ws::app(chat_ws::Room::default())).await;
    let mut ada = join(server.addr, "ada").await;
    // The join's background task ran after the 101: ada, already
    // listening, sees its announcement, and the member list has her.
    assert_eq!(line(&mut ada).await, "* ada joined");
    assert_eq!(members(server.addr).await, r#"["ada"]"#);

    let mut bob = join(server.addr, "bob").await;
    assert_eq!(line(&mut bob).await, "* bob joined");
    assert_eq!(line(&mut ada).await, "* bob joined");

    ada.send("hello, bob".into()).await.expect("send");
    assert_eq!(line(&mut ada).await, "ada: hello, bob");
    assert_eq!(line(&mut bob).await, "ada: hello, bob");
    assert_eq!(members(server.addr).await, r#"["ada","bob"]"#);

    ada.close(None).await.expect("close");
    assert_eq!(line(&mut bob).await, "* ada left");
    assert_eq!(members(server.addr).await, r#"["bob"]"#);
}

#[tokio::test]
async fn a_line_over_4_kib_closes_its_sender_with_1009() {
    let server = TestServer::start(chat_ws::app(chat_ws::Room::default())).await;
    let mut ada = join(server.addr, "ada").await;
    assert_eq!(line(&mut ada).await, "* ada joined");
    ada.send("x".repeat(4097).into()).await.expect("send");
    match within("the close", ada.next()).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1009),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_join_without_a_name_is_a_422() {
    let server = TestServer::start(chat_ws::app(chat_ws::Room::default())).await;
    let (status, _, body) = common::Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/ws"))
        .await;
    assert_eq!(status, 422);
    assert!(body.contains(r#""loc":["query","name"]"#), "{body}");
}

#[tokio::test]
async fn a_line_posted_from_a_form_reaches_the_room() {
    let server = TestServer::start(chat_ws::app(chat_ws::Room::default())).await;
    let mut ada = join(server.addr, "ada").await;
    assert_eq!(line(&mut ada).await, "* ada joined");
    let mut client = server.http1().await;
    let form = http::Request::post("/messages")
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            b"name=bob&text=hi+there",
        )))
        .expect("request");
    let (status, _, _) = client.fetch(form).await;
    assert_eq!(status, 204);
    assert_eq!(line(&mut ada).await, "bob: hi there");
}
