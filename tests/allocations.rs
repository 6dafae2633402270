//! The README's background-task point 10: a request that queues no task
//! allocates nothing for tasks. Counted with a counting global allocator:
//! serving a route that takes `BackgroundTasks` but queues nothing must
//! allocate exactly as much as serving one that does not take it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use atode::{App, BackgroundTasks, get, routes};
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

/// Allocations made by serving `path` once, in-process, body read to its end.
async fn allocations_for(app: &mut App, path: &str) -> u64 {
    let request = http::Request::get(path)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let before = ALLOCATIONS.with(Cell::get);
    let Ok(response) = app.call(request).await;
    let body = response.into_body().collect().await.expect("body");
    let after = ALLOCATIONS.with(Cell::get);
    drop(body);
    after - before
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
