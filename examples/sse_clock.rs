//! A clock over server-sent events: a `tick` event a second, each with its
//! number as id, resuming after `Last-Event-ID` when a browser's
//! `EventSource` reconnects. A background task logs how far each stream
//! got once it ends, whether it ran to its last tick or the client left.
//!
//! ```sh
//! cargo run -p atode-suite --example sse_clock &
//! curl -N 'http://127.0.0.1:8000/clock?until=3'   # one a second
//! # 200 event: tick
//! # id: 1
//! # data: {"tick":1,"utc":"…"}
//! #
//! # event: tick
//! # id: 2
//! # data: {"tick":2,"utc":"…"}
//! #
//! # event: tick
//! # id: 3
//! # data: {"tick":3,"utc":"…"}
//! curl -N -H 'Last-Event-ID: 2' 'http://127.0.0.1:8000/clock?until=3'
//! # 200 event: tick
//! # id: 3
//! # data: {"tick":3,"utc":"…"}
//! curl -H 'Last-Event-ID: 3' 'http://127.0.0.1:8000/clock?until=3'   # seen them all
//! # 204
//! cat clock.log
//! # stream from tick 1 to 3 ended after tick 3
//! # stream from tick 3 to 3 ended after tick 3
//! ```
//!
//! `SSE_CLOCK_TICK_MS` sets the period (1000 by default); the tests and the
//! OpenAPI fuzzing run it fast.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atode::openapi::{Operation, OperationOutput};
use atode::sse::{Event, JsonEvent, KeepAlive, LastEventId, Sse, Stream};
use atode::{App, BackgroundTasks, IntoResponse, Query, Response, State, StatusCode, get, routes};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_stream::StreamExt;
use validator::Validate;

/// How long the clock waits between ticks.
#[derive(Clone, Copy)]
struct Period(Duration);

/// Which ticks to send. At most 60: every stream ends, so a client (or a
/// fuzzer) can never hold a connection forever; `until=61` is a `422`.
#[derive(Deserialize, Validate, JsonSchema)]
struct Ticks {
    /// The id of the last tick, after which the stream ends (1 to 60;
    /// 10 by default).
    #[serde(default = "ten")]
    #[validate(range(min = 1, max = 60))]
    until: u32,
}

fn ten() -> u32 {
    10
}

/// One tick's data.
#[derive(Serialize, JsonSchema)]
struct Tick {
    /// The tick's number, from 1; also the event's id.
    tick: u32,
    /// The time of day, in UTC.
    utc: String,
}

fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let day = seconds % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day / 60 % 60, day % 60)
}

fn tick(n: u32) -> JsonEvent<Tick> {
    Event::default().event("tick").id(n.to_string()).json(Tick {
        tick: n,
        utc: utc_now(),
    })
}

/// Appends how far a stream got to `clock.log`: run once the stream has
/// ended, whether by its last tick or by the client leaving.
fn log_stream_end(after: u32, until: u32, sent: Arc<AtomicU32>) -> std::io::Result<()> {
    use std::io::Write;
    let sent = sent.load(Ordering::Acquire);
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("clock.log")?;
    writeln!(
        log,
        "stream from tick {} to {until} ended after tick {sent}",
        after + 1
    )
}

/// The clock's answer: its ticks, or `204 No Content` when the client has
/// seen them all already, which tells `EventSource` to stop reconnecting.
enum Clock<S> {
    Ticking(Sse<S>),
    Over,
}

impl<S> IntoResponse for Clock<S>
where
    Sse<S>: IntoResponse,
{
    fn into_response(self) -> Response {
        match self {
            Clock::Ticking(sse) => sse.into_response(),
            Clock::Over => StatusCode::NO_CONTENT.into_response(),
        }
    }
}

impl<S> OperationOutput for Clock<S>
where
    Sse<S>: OperationOutput,
{
    fn operation_output(op: &mut Operation<'_>) {
        <Sse<S> as OperationOutput>::operation_output(op);
        op.response(204, "Every tick up to `until` was sent already");
    }
}

/// Stream the clock.
///
/// A `tick` event a second, with ids from 1 (or after `Last-Event-ID`) up
/// to `until`, then the stream ends. A comment keeps a quiet connection
/// open.
#[get("/clock")]
async fn clock(
    Query(Ticks { until }): Query<Ticks>,
    last: Option<LastEventId>,
    State(Period(period)): State<Period>,
    tasks: BackgroundTasks,
) -> Clock<impl Stream<Item = Result<JsonEvent<Tick>, Infallible>>> {
    // An id this clock did not send counts as none: start from the top.
    let after = last
        .and_then(|LastEventId(id)| id.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if after >= until {
        return Clock::Over;
    }
    let sent = Arc::new(AtomicU32::new(after));
    tasks.add_task(log_stream_end, (after, until, Arc::clone(&sent)));
    let ticks = tokio_stream::iter(after + 1..=until)
        .throttle(period)
        .map(move |n| {
            sent.store(n, Ordering::Release);
            Ok(tick(n))
        });
    let keep_alive = KeepAlive::new().interval(Duration::from_secs(15));
    Clock::Ticking(Sse::new(ticks).keep_alive(keep_alive))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let period = std::env::var("SSE_CLOCK_TICK_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis);
    let app = App::new()
        .title("SSE clock")
        .state(Period(period))
        .routes(routes![clock]);
    atode::run(app).await
}
