//! The cap on pending background work (DESIGN.md point 9): past it, a route
//! that takes `BackgroundTasks` is refused with `503` and `Retry-After`
//! before its handler runs; routes without tasks are unaffected; and every
//! request that got a `200` has its task run, exactly.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use atode::{App, BackgroundTasks, State, StatusCode, get, post, routes};
use common::{Http1, TestServer, request, within};
use tokio::sync::watch;

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
