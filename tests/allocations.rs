//! The README's background-task point 10: a request that queues no task
//! allocates nothing for tasks. Counted with a counting global allocator:
//! serving a route that takes `BackgroundTasks` but queues nothing must
//! allocate exactly as much as serving one that does not take it. And a
//! JSON body that fits costs no more than serde_json's own reading of it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use atode::{App, BackgroundTasks, get, post, routes};
use http_body_util::BodyExt;
use tower_service::Service;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers every call to the system allocator; only counts them.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[get("/plain")]
async fn plain() -> &'static str {
    "ok"
}

#[get("/takes-tasks")]
async fn takes_tasks(tasks: BackgroundTasks) -> &'static str {
    let _ = tasks;
    "ok"
}

/// Allocations made by serving `request` once, in-process, body read to
/// its end.
async fn allocations_serving<B, R>(app: &mut App, request: http::Request<B>) -> u64
where
    App: Service<http::Request<B>, Response = http::Response<R>, Error = std::convert::Infallible>,
    R: BodyExt,
    R::Error: std::fmt::Debug,
{
    let before = ALLOCATIONS.with(Cell::get);
    let Ok(response) = app.call(request).await;
    let body = response.into_body().collect().await.expect("body");
    let after = ALLOCATIONS.with(Cell::get);
    drop(body);
    after - before
}

/// Allocations made by serving a `GET` of `path`.
async fn allocations_for(app: &mut App, path: &str) -> u64 {
    let request = http::Request::get(path)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    allocations_serving(app, request).await
}

#[tokio::test(flavor = "current_thread")]
async fn a_route_that_queues_nothing_allocates_nothing_for_tasks() {
    let mut app = App::new().routes(routes![plain, takes_tasks]);
    // Warm up: the first requests fill per-thread caches, ours included.
    for _ in 0..4 {
        allocations_for(&mut app, "/plain").await;
        allocations_for(&mut app, "/takes-tasks").await;
    }
    let without = allocations_for(&mut app, "/plain").await;
    let with = allocations_for(&mut app, "/takes-tasks").await;
    assert_eq!(
        with,
        without,
        "taking BackgroundTasks and queuing nothing allocated {} more",
        with.saturating_sub(without)
    );
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Order {
    customer: String,
    paid: bool,
    note: Option<String>,
    lines: Vec<Line>,
}

#[post("/json")]
async fn json_order(atode::Json(order): atode::Json<Order>) -> &'static str {
    let _ = order;
    "ok"
}

#[post("/bytes")]
async fn bytes_order(body: bytes::Bytes) -> &'static str {
    let order = serde_json::from_slice::<Order>(&body);
    assert!(order.is_ok());
    "ok"
}

/// Allocations made by serving a `POST` of `body` to `path`.
async fn allocations_for_post(app: &mut App, path: &str, body: impl Into<bytes::Bytes>) -> u64 {
    allocations_serving(app, json_post(path, body)).await
}

fn json_post(
    path: &str,
    body: impl Into<bytes::Bytes>,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    http::Request::post(path)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(body.into()))
        .expect("request")
}

/// An order of `lines` lines whose last quantity is `2.5`: the body a
/// client controls that costs the `422` path most, since it is read
/// again as a `Value`, with its path tracked, and once more with its
/// floats made integers.
fn order_with_a_bad_last_line(lines: usize) -> String {
    let mut body = String::from(r#"{"customer":"Ada","paid":true,"note":null,"lines":["#);
    for _ in 1..lines {
        body.push_str(r#"{"sku":"p","qty":1},"#);
    }
    body.push_str(r#"{"sku":"p","qty":2.5}]}"#);
    body
}

/// What the largest body that fails costs grows with its size, not with
/// its square: each of the `422`'s readings is one pass (2 MiB, the body
/// limit, holds about 100,000 such lines).
#[tokio::test(flavor = "current_thread")]
async fn a_json_body_that_does_not_fit_costs_in_proportion_to_its_size() {
    let mut app = App::new().routes(routes![json_order]);
    let Ok(response) = app
        .call(json_post("/json", order_with_a_bad_last_line(10)))
        .await;
    assert_eq!(response.status(), 422);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains(r#""loc":["body","lines",9,"qty"]"#), "{body}");

    let small = allocations_for_post(&mut app, "/json", order_with_a_bad_last_line(10_000)).await;
    let large = allocations_for_post(&mut app, "/json", order_with_a_bad_last_line(40_000)).await;
    assert!(
        large <= small * 5,
        "4× the lines cost {large} allocations against {small}: more than linear"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_json_body_that_fits_allocates_only_what_serde_json_does() {
    const ORDER: &str = r#"{"customer": "Ada", "paid": true, "note": null,
        "lines": [{"sku": "pen", "qty": 2}, {"sku": "ink", "qty": 1}]}"#;
    let mut app = App::new().routes(routes![json_order, bytes_order]);
    for _ in 0..4 {
        allocations_for_post(&mut app, "/json", ORDER).await;
        allocations_for_post(&mut app, "/bytes", ORDER).await;
    }
    let json = allocations_for_post(&mut app, "/json", ORDER).await;
    let by_hand = allocations_for_post(&mut app, "/bytes", ORDER).await;
    assert_eq!(
        json,
        by_hand,
        "`Json<T>` allocated {} more than `serde_json::from_slice`",
        json.saturating_sub(by_hand)
    );
}
