//! A chat room over WebSockets.
//!
//! Each client connects to `/ws?name=...`; whatever text one sends, every
//! client receives as `name: text`. The handler queues a background task
//! that records the join and announces it to the room (`* name joined`):
//! it runs once the handshake's `101` is written, while the socket is open.
//! `GET /members` lists who is in the room; `GET /` is a page to chat from;
//! `POST /messages` says a line from a plain form (or curl), without a
//! socket.
//!
//! Open <http://127.0.0.1:8000/> in two browser tabs, or in a shell:
//!
//! ```sh
//! cargo run --example chat_ws &
//! websocat 'ws://127.0.0.1:8000/ws?name=ada' &   # prints what the room says
//! # * ada joined
//! # bob: hi
//! curl http://127.0.0.1:8000/members
//! # eventually 200 ["ada"]
//! curl -d 'name=bob&text=hi' http://127.0.0.1:8000/messages
//! # 204
//! ```
//!
//! A client that sends a message over 4 KiB is closed with 1009; on
//! Ctrl-C every client gets 1001 (Going Away) before the server exits.

use std::sync::{Arc, Mutex};

use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade};
use atode::{App, BackgroundTasks, Form, Html, Json, Query, State, StatusCode, get, post, routes};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::sync::broadcast;

/// The room: a channel every socket listens to, and who is in.
#[derive(Clone)]
pub struct Room {
    lines: broadcast::Sender<String>,
    members: Arc<Mutex<Vec<String>>>,
}

impl Default for Room {
    fn default() -> Self {
        // A slow client that falls 64 lines behind is told what it missed.
        let (lines, _) = broadcast::channel(64);
        Room {
            lines,
            members: Arc::default(),
        }
    }
}

impl Room {
    fn say(&self, line: String) {
        // No one listening is not an error: the room is empty.
        let _ = self.lines.send(line);
    }

    /// Removes one entry of `name` (two clients may share a name).
    fn leave(&self, name: &str) {
        let Ok(mut members) = self.members.lock() else {
            return;
        };
        if let Some(index) = members.iter().position(|member| member == name) {
            members.remove(index);
        }
    }

    fn members(&self) -> Vec<String> {
        self.members.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

#[derive(Deserialize, JsonSchema)]
struct Join {
    /// The name shown before each of the client's lines.
    name: String,
}

/// The background task queued by the handshake: records the member and
/// announces the join. It runs after the `101` is written, so the new
/// client, already listening, sees its own announcement.
async fn announce_join(room: Room, name: String) {
    if let Ok(mut members) = room.members.lock() {
        members.push(name.clone());
    }
    room.say(format!("* {name} joined"));
}

/// Join the chat. A WebSocket: left out of the OpenAPI document, which
/// cannot describe its messages.
#[get("/ws", include_in_schema = false)]
async fn chat(
    Query(join): Query<Join>,
    State(room): State<Room>,
    upgrade: WebSocketUpgrade,
    tasks: BackgroundTasks,
) -> SwitchingProtocols {
    // Listening starts now, before the announcement can be sent.
    let lines = room.lines.subscribe();
    tasks.add_task(announce_join, (room.clone(), join.name.clone()));
    upgrade
        .max_message_size(4096)
        .on_upgrade(move |socket| talk(socket, room, join.name, lines))
}

/// One client's session: its lines go to the room, the room's lines come
/// back to it, until it leaves (or the server shuts down).
async fn talk(
    mut socket: WebSocket,
    room: Room,
    name: String,
    mut lines: broadcast::Receiver<String>,
) {
    loop {
        tokio::select! {
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => room.say(format!("{name}: {text}")),
                // Binary, ping, pong: nothing to say.
                Some(Ok(_)) => {}
                // Closed, or a client error atode has already answered
                // with its close code.
                None | Some(Err(_)) => break,
            },
            line = lines.recv() => {
                let line = match line {
                    Ok(line) => line,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        format!("* you missed {missed} line(s)")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if socket.send(line).await.is_err() {
                    break;
                }
            }
        }
    }
    room.leave(&name);
    room.say(format!("* {name} left"));
}

/// A line said from a plain form, by someone not in the room.
#[derive(Deserialize, JsonSchema)]
struct Line {
    name: String,
    text: String,
}

/// Says a line to the room without a socket: from an HTML form, or curl.
#[post("/messages", status = 204)]
async fn say(State(room): State<Room>, Form(line): Form<Line>) -> StatusCode {
    room.say(format!("{}: {}", line.name, line.text));
    StatusCode::NO_CONTENT
}

/// Who is in the room, in the order they joined.
#[get("/members")]
async fn members(State(room): State<Room>) -> Json<Vec<String>> {
    Json(room.members())
}

/// A page to chat from.
#[get("/", include_in_schema = false)]
async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>atode chat</title>
<form id="join"><input id="name" placeholder="your name" required> <button>Join</button></form>
<pre id="log"></pre>
<form id="say" hidden><input id="text" autocomplete="off"> <button>Send</button></form>
<script>
const log = (line) => { document.getElementById("log").textContent += line + "\n"; };
let socket;
document.getElementById("join").onsubmit = (event) => {
  event.preventDefault();
  const name = document.getElementById("name").value;
  socket = new WebSocket(`ws://${location.host}/ws?name=${encodeURIComponent(name)}`);
  socket.onmessage = (message) => log(message.data);
  socket.onclose = (close) => log(`* disconnected (${close.code})`);
  document.getElementById("join").hidden = true;
  document.getElementById("say").hidden = false;
};
document.getElementById("say").onsubmit = (event) => {
  event.preventDefault();
  const text = document.getElementById("text");
  socket.send(text.value);
  text.value = "";
};
</script>
"#;

pub fn app(room: Room) -> App {
    App::new()
        .title("Chat")
        .state(room)
        .routes(routes![page, chat, members, say])
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    atode::run(app(Room::default())).await
}
