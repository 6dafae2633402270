//! The cap on pending background work (the README's background-task point
//! 9): past it, a route that takes `BackgroundTasks` is refused with `503`
//! and `Retry-After` before its handler runs; routes without tasks are
//! unaffected; and every
//! request that got a `200` has its task run, exactly.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use atode::{App, BackgroundTasks, State, StatusCode, get, post, routes};
use common::{Http1, TestServer, request, within};
use tokio::sync::watch;
use tokio::task::JoinSet;

#[derive(Clone)]
struct Counters {
    handled: Arc<AtomicUsize>,
    effects: Arc<AtomicUsize>,
    gate: watch::Receiver<bool>,
}

async fn effect_after_gate(counters: Counters) {
    let mut gate = counters.gate.clone();
    let _ = gate.wait_for(|open| *open).await;
    counters.effects.fetch_add(1, Ordering::SeqCst);
}

#[post("/work")]
async fn work(State(counters): State<Counters>, tasks: BackgroundTasks) -> &'static str {
    counters.handled.fetch_add(1, Ordering::SeqCst);
    tasks.add_task(effect_after_gate, (counters,));
    "accepted"
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

async fn panics() {
    panic!("a background task panicked on purpose");
}

fn counts(effects: Arc<AtomicUsize>) {
    effects.fetch_add(1, Ordering::SeqCst);
}

/// A panicking task, then one that counts: the second must always run.
#[post("/panicky")]
async fn panicky(State(counters): State<Counters>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(panics, ());
    tasks.add_task(counts, (counters.effects,));
    "accepted"
}

/// A handler that panics after queuing a task, answered 500.
#[post("/handler-panics")]
async fn handler_panics(State(counters): State<Counters>, tasks: BackgroundTasks) -> &'static str {
    // The task holds the request's own list, as one that queues a follow-up
    // does: the list must not be what keeps the request's place.
    tasks.add_task(counts_then_follow_up, (counters.effects, tasks.clone()));
    panic!("a handler panicked on purpose")
}

fn counts_then_follow_up(effects: Arc<AtomicUsize>, tasks: BackgroundTasks) {
    counts(effects);
    tasks.add_task(|| {}, ());
}

const CAP: usize = 4;
const FLOOD: usize = 40;

#[tokio::test]
async fn past_the_cap_task_routes_get_503_before_their_handler_and_nothing_accepted_is_lost() {
    let (gate, gate_rx) = watch::channel(false);
    let counters = Counters {
        handled: Arc::default(),
        effects: Arc::default(),
        gate: gate_rx,
    };
    let app = App::new()
        .state(counters.clone())
        .max_pending_tasks(CAP)
        .routes(routes![work, ping]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;

    // A flood from many connections at once, while every task is held.
    let responses = within("the flood", async {
        let mut flood = tokio::task::JoinSet::new();
        for _ in 0..FLOOD {
            let addr = server.addr;
            flood.spawn(async move {
                Http1::connect(addr)
                    .await
                    .fetch(request("POST", "/work"))
                    .await
            });
        }
        flood.join_all().await
    })
    .await;

    let ok = responses
        .iter()
        .filter(|(status, ..)| *status == StatusCode::OK)
        .count();
    let refused: Vec<_> = responses
        .iter()
        .filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(
        ok + refused.len(),
        FLOOD,
        "only 200s and 503s: {:?}",
        responses.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(
        ok, CAP,
        "exactly the cap is accepted while every task is held"
    );
    for (_, headers, body) in &refused {
        assert_eq!(headers[http::header::RETRY_AFTER], "1");
        assert_eq!(
            body,
            r#"{"detail":"Too much background work is pending; retry shortly"}"#
        );
    }
    // Refused before the handler ran: only accepted requests were handled.
    assert_eq!(counters.handled.load(Ordering::SeqCst), ok);
    assert_eq!(monitor.stats().refused, refused.len() as u64);

    // A route without tasks is unaffected by the cap.
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/ping"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "pong"));

    gate.send_replace(true);
    within("the accepted tasks", monitor.wait_idle()).await;
    assert_eq!(
        counters.effects.load(Ordering::SeqCst),
        ok,
        "every accepted request's task ran, and no other"
    );

    // With the work done, the route accepts again.
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/work"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

const UNDER_LOAD: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_under_load_are_isolated_and_counted() {
    // 400 deliberate panics would bury the output; any other still prints.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or_default();
        if !message.ends_with("on purpose") {
            default_hook(info);
        }
    }));
    let (_gate, gate_rx) = watch::channel(true);
    let counters = Counters {
        handled: Arc::default(),
        effects: Arc::default(),
        gate: gate_rx,
    };
    // The cap is generous for the load, so nothing is refused; what the test
    // checks at the end is that every place came back.
    let app = App::new()
        .max_pending_tasks(UNDER_LOAD * 2)
        .state(counters.clone())
        .routes(routes![panicky, handler_panics, ping]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app.clone()).await;

    // Many keep-alive connections at once, each alternating a request whose
    // task panics with one whose handler panics.
    let statuses = within("the load", async {
        let mut load = JoinSet::new();
        for _ in 0..10 {
            let addr = server.addr;
            load.spawn(async move {
                let mut connection = Http1::connect(addr).await;
                let mut statuses = Vec::new();
                for _ in 0..UNDER_LOAD / 10 {
                    statuses.push(connection.fetch(request("POST", "/panicky")).await.0);
                    statuses.push(connection.fetch(request("POST", "/handler-panics")).await.0);
                }
                statuses
            });
        }
        load.join_all().await.concat()
    })
    .await;
    let ok = statuses
        .iter()
        .filter(|status| **status == StatusCode::OK)
        .count();
    let errors = statuses
        .iter()
        .filter(|status| **status == StatusCode::INTERNAL_SERVER_ERROR)
        .count();
    assert_eq!((ok, errors), (UNDER_LOAD, UNDER_LOAD));

    within("the tasks", monitor.wait_idle()).await;
    let stats = monitor.stats();
    // Each accepted request's counting task ran after its panicking one; no
    // failed handler's task ran.
    assert_eq!(counters.effects.load(Ordering::SeqCst), UNDER_LOAD);
    assert_eq!(
        (stats.panicked, stats.discarded),
        (UNDER_LOAD as u64, UNDER_LOAD as u64)
    );
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/ping"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats.refused, 0);

    // Every place under the cap came back: a server whose cap is now one
    // still admits a request with tasks.
    let server = TestServer::start(app.max_pending_tasks(1)).await;
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/panicky"))
        .await;
    assert_eq!(status, StatusCode::OK, "a place under the cap leaked");
}
