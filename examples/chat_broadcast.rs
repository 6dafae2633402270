//! Chat rooms and job progress shared by every instance: the broadcast
//! channel (`atode::broadcast`) carries each room's lines and each client's
//! job progress between processes, over PostgreSQL or Redis.
//!
//! - `GET /rooms/<room>/ws?name=...` joins a room over a WebSocket; lines
//!   sent there, or `POST /rooms/<room>/messages`, reach every member, on
//!   whichever instance they are connected to.
//! - `GET /rooms/<room>/events` follows a room as server-sent events.
//! - `GET /progress/<client>/events` is a browser's progress feed;
//!   `POST /jobs/<client>?steps=3` queues a durable task that a worker, in
//!   any process, runs and reports each step of to that feed.
//! - `GET /` is a page that does all of it.
//!
//! `$ATODE_BROADCAST_URL` names the channel (`memory://` when unset: one
//! process only) and `$ATODE_DATABASE_URL` the durable queue (a SQLite
//! file when unset). Two web instances and a worker on PostgreSQL:
//!
//! ```sh
//! export ATODE_BROADCAST_URL=postgres://postgres@127.0.0.1:5432/test
//! export ATODE_DATABASE_URL=$ATODE_BROADCAST_URL
//! ATODE_ADDR=127.0.0.1:8000 cargo run -p atode-suite --example chat_broadcast -- web &
//! ATODE_ADDR=127.0.0.1:8001 cargo run -p atode-suite --example chat_broadcast -- web &
//! cargo run -p atode-suite --example chat_broadcast -- worker &
//! curl -N http://127.0.0.1:8001/rooms/lobby/events &   # follows the room on 8001
//! # 200 id: …
//! # data: "bob: hi"
//! curl -d 'name=bob&text=hi' http://127.0.0.1:8000/rooms/lobby/messages   # said on 8000
//! # 204
//! curl -N http://127.0.0.1:8001/progress/tab1/events &   # the worker's reports
//! # 200 id: …
//! # data: {"job":"{task_id}","step":1,"of":3}
//! #
//! # id: …
//! # data: {"job":"{task_id}","step":2,"of":3}
//! #
//! # id: …
//! # data: {"job":"{task_id}","step":3,"of":3}
//! curl -X POST 'http://127.0.0.1:8000/jobs/tab1?steps=3'
//! # 200 {"task_id":"{task_id}"}
//! ```
//!
//! With no argument, one process serves and works the queue.

use std::sync::OnceLock;
use std::time::Duration;

use atode::broadcast::{Broadcast, Received, Subscription};
use atode::durable::{Durable, TaskId, task};
use atode::sse::{Event, KeepAlive, Sse, Stream};
use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade};
use atode::{App, BackgroundTasks, Form, Html, Json, Query, State, StatusCode, get, post, routes};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The process's channel, for the durable task: a worker process has no
/// app state, and a task's arguments are only what its call stored.
static BROADCAST: OnceLock<Broadcast> = OnceLock::new();

/// A room's topic.
fn room_topic(room: &str) -> String {
    format!("room:{room}")
}

/// A client's progress topic.
fn progress_topic(client: &str) -> String {
    format!("progress:{client}")
}

/// One step of a job, as its client's feed receives it.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Progress {
    job: Option<TaskId>,
    step: u32,
    of: u32,
}

/// A job of `steps` steps, each reported to `client`'s feed once done. A
/// durable task: any worker runs it, in this process or another.
#[task(max_attempts = 3)]
async fn crunch(client: String, steps: u32) -> Result<(), String> {
    let broadcast = BROADCAST
        .get()
        .ok_or("no broadcast channel in this process")?;
    let job = atode::durable::current().map(|call| call.id);
    for step in 1..=steps {
        // The work of one step.
        tokio::time::sleep(Duration::from_millis(50)).await;
        broadcast
            .publish(
                &progress_topic(&client),
                &Progress {
                    job,
                    step,
                    of: steps,
                },
            )
            .await
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}

#[derive(Deserialize, JsonSchema)]
struct Steps {
    /// How many steps the job has (1 to 100).
    steps: u32,
}

#[derive(Serialize, JsonSchema)]
struct Queued {
    task_id: TaskId,
}

/// Queue a job whose progress goes to `client`'s feed. Open the feed
/// first: a step published before it is open is not received.
#[post("/jobs/<client>")]
async fn start_job(
    client: String,
    Query(Steps { steps }): Query<Steps>,
    tasks: BackgroundTasks,
) -> Result<Json<Queued>, StatusCode> {
    if !(1..=100).contains(&steps) {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let task_id = tasks.add_task(crunch, (client, steps));
    Ok(Json(Queued { task_id }))
}

/// A client's progress feed: each step of its jobs, as JSON events.
#[get("/progress/<client>/events")]
async fn progress(
    client: String,
    State(broadcast): State<Broadcast>,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, StatusCode> {
    let steps = subscribe::<Progress>(&broadcast, &progress_topic(&client)).await?;
    Ok(steps.into_sse().keep_alive(KeepAlive::new()))
}

/// A room's lines as server-sent events (each line a JSON string).
#[get("/rooms/<room>/events")]
async fn room_events(
    room: String,
    State(broadcast): State<Broadcast>,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, StatusCode> {
    let lines = subscribe::<String>(&broadcast, &room_topic(&room)).await?;
    Ok(lines.into_sse().keep_alive(KeepAlive::new()))
}

/// Subscribes, answering 503 when the channel's backend is out of reach.
async fn subscribe<T: serde::de::DeserializeOwned>(
    broadcast: &Broadcast,
    topic: &str,
) -> Result<Subscription<T>, StatusCode> {
    // Subscribing waits for the backend to listen: bounded, so a request
    // does not hang on a backend that is down.
    match tokio::time::timeout(Duration::from_secs(5), broadcast.subscribe(topic)).await {
        Ok(Ok(subscription)) => Ok(subscription),
        Ok(Err(error)) => {
            tracing::warn!(%error, topic, "cannot subscribe");
            Err(StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE),
    }
}

#[derive(Deserialize, JsonSchema)]
struct Line {
    /// Who says it.
    name: String,
    /// What they say.
    text: String,
}

/// Say a line in a room, from a form (or curl), without a socket.
#[post("/rooms/<room>/messages", status = 204)]
async fn say(
    room: String,
    State(broadcast): State<Broadcast>,
    Form(line): Form<Line>,
) -> StatusCode {
    let said = format!("{}: {}", line.name, line.text);
    match broadcast.publish(&room_topic(&room), &said).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(error) => {
            tracing::warn!(%error, "cannot publish");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct Join {
    /// The name shown before each of the client's lines.
    name: String,
}

/// Announces a join once the `101` is written, so the new member, already
/// subscribed, sees it too.
async fn announce(broadcast: Broadcast, room: String, line: String) {
    if let Err(error) = broadcast.publish(&room_topic(&room), &line).await {
        tracing::warn!(%error, "cannot announce");
    }
}

/// Join a room. A WebSocket: left out of the OpenAPI document.
#[get("/rooms/<room>/ws", include_in_schema = false)]
async fn join(
    room: String,
    Query(join): Query<Join>,
    State(broadcast): State<Broadcast>,
    upgrade: WebSocketUpgrade,
    tasks: BackgroundTasks,
) -> Result<SwitchingProtocols, StatusCode> {
    // Subscribed before the handshake answers: nothing said after it is missed.
    let lines = subscribe::<String>(&broadcast, &room_topic(&room)).await?;
    let joined = format!("* {} joined", join.name);
    tasks.add_task(announce, (broadcast.clone(), room.clone(), joined));
    Ok(upgrade
        .max_message_size(4096)
        .on_upgrade(move |socket| talk(socket, broadcast, room, join.name, lines)))
}

/// One member's session: its lines go to the room, the room's lines (from
/// every instance) come back, until it leaves.
async fn talk(
    mut socket: WebSocket,
    broadcast: Broadcast,
    room: String,
    name: String,
    mut lines: Subscription<String>,
) {
    let topic = room_topic(&room);
    loop {
        tokio::select! {
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => {
                    if let Err(error) = broadcast.publish(&topic, &format!("{name}: {text}")).await {
                        tracing::warn!(%error, "cannot publish");
                    }
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => break,
            },
            line = lines.recv() => {
                let line = match line {
                    Some(Received::Message { message, .. }) => message,
                    Some(Received::Lagged { missed }) => format!("* you missed {missed} line(s)"),
                    None => break,
                };
                if socket.send(line).await.is_err() {
                    break;
                }
            }
        }
    }
    announce(broadcast, room, format!("* {name} left")).await;
}

/// A page to chat and run jobs from.
#[get("/", include_in_schema = false)]
async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>atode chat, across instances</title>
<form id="join"><input id="name" placeholder="your name" required> <button>Join the lobby</button></form>
<pre id="log"></pre>
<form id="say" hidden><input id="text" autocomplete="off"> <button>Send</button></form>
<p><button id="job">Run a job</button> <span id="progress"></span></p>
<script>
const log = (line) => { document.getElementById("log").textContent += line + "\n"; };
let socket;
document.getElementById("join").onsubmit = (event) => {
  event.preventDefault();
  const name = document.getElementById("name").value;
  socket = new WebSocket(`ws://${location.host}/rooms/lobby/ws?name=${encodeURIComponent(name)}`);
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
const client = crypto.randomUUID();
const feed = new EventSource(`/progress/${client}/events`);
feed.onmessage = (event) => {
  const { step, of } = JSON.parse(event.data);
  document.getElementById("progress").textContent = `step ${step} of ${of}`;
};
document.getElementById("job").onclick = () => fetch(`/jobs/${client}?steps=5`, { method: "POST" });
</script>
"#;

pub fn app(broadcast: Broadcast) -> App {
    App::new()
        .title("Chat across instances")
        .state(broadcast)
        .routes(routes![page, join, room_events, say, progress, start_job])
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let broadcast = Broadcast::from_env().await?;
    let _ = BROADCAST.set(broadcast.clone());
    let mode = std::env::args().nth(1);
    let mut durable = Durable::from_env("chat_broadcast.sqlite3");
    if mode.as_deref() == Some("web") {
        durable = durable.without_workers();
    }
    let queue = durable.connect().await?;
    match mode.as_deref() {
        Some("worker") => queue.run_worker().await,
        None | Some("web") => atode::run(app(broadcast).durable(queue)).await,
        Some(other) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("unknown argument {other:?}: run with none, `web` or `worker`"),
        )),
    }
}
