//! A WebSocket echo server: every text and binary message comes back as
//! it was sent. It is what `scripts/autobahn.sh` runs the Autobahn
//! WebSocket test suite against, so it answers at `/`, the path the
//! suite's client connects to.
//!
//! ```sh
//! cargo run --example ws_echo &
//! websocat ws://127.0.0.1:8000/   # not checked: each line typed comes back (scripts/autobahn.sh sends every kind)
//! bash scripts/autobahn.sh        # not checked: the conformance run, in CI (.ci/run)
//! curl http://127.0.0.1:8000/     # a WebSocket endpoint, asked without a handshake
//! # 426 {"detail":"This is a WebSocket endpoint: send a WebSocket handshake (Connection: upgrade, Upgrade: websocket)"}
//! ```
//!
//! Messages of up to 16 MiB are taken, the largest the suite sends (its
//! 9.* cases); pings and close frames are answered by atode itself.

use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade};
use atode::{App, get, routes};

/// The largest message echoed: Autobahn's 9.1.6 and 9.2.6 send 16 MiB, in
/// one frame (the frame limit follows the message limit unless set).
const MAX_MESSAGE_SIZE: usize = 16 << 20;

/// Echo what the client sends. A WebSocket: left out of the OpenAPI
/// document, which cannot describe its messages.
#[get("/", include_in_schema = false)]
async fn echo(upgrade: WebSocketUpgrade) -> SwitchingProtocols {
    upgrade
        .max_message_size(MAX_MESSAGE_SIZE)
        .on_upgrade(echo_until_closed)
}

/// Sends back each text and binary message until the client closes, or
/// breaks the protocol (atode has then sent the close code for it).
async fn echo_until_closed(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        let reply = match message {
            Message::Text(_) | Message::Binary(_) => message,
            // Pings, pongs and closes: atode answers those.
            _ => continue,
        };
        if socket.send(reply).await.is_err() {
            break;
        }
    }
}

pub fn app() -> App {
    App::new().title("Echo").routes(routes![echo])
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    atode::run(app()).await
}
