//! What taking `BackgroundTasks` costs a request, in process (no sockets):
//! the same route with and without the parameter, and with one empty task
//! queued, each called through the app's `tower_service::Service` impl with
//! the response body drained so the tasks are handed over.

use std::hint::black_box;

use atode::{App, BackgroundTasks, TaskMonitor, get, routes};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Empty};
use tower_service::Service;

#[get("/plain")]
async fn plain() -> &'static str {
    "Hello, World!"
}

#[get("/takes-tasks")]
async fn takes_tasks(_background_tasks: BackgroundTasks) -> &'static str {
    "Hello, World!"
}

async fn empty_task() {}

#[get("/queues-one")]
async fn queues_one(background_tasks: BackgroundTasks) -> &'static str {
    background_tasks.add_task(empty_task, ());
    "Hello, World!"
}

/// One request, start to finish: routed, handled, body drained, and (for a
/// route that queued work) its tasks run.
async fn request(app: &mut App, monitor: &TaskMonitor, path: &'static str) -> Bytes {
    let request = http::Request::get(path)
        .body(Empty::<Bytes>::new())
        .expect("a valid request");
    let Ok(response) = app.call(request).await;
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => panic!("the body failed: {error}"),
    };
    monitor.wait_idle().await;
    body
}

fn per_request(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut app = App::new().routes(routes![plain, takes_tasks, queues_one]);
    let monitor = app.task_monitor();
    let mut group = c.benchmark_group("one request in process");
    for (name, path) in [
        ("route without BackgroundTasks", "/plain"),
        (
            "route taking BackgroundTasks, queuing nothing",
            "/takes-tasks",
        ),
        ("route queuing one empty async task", "/queues-one"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(runtime.block_on(request(&mut app, &monitor, path))));
        });
    }
    group.finish();
}

criterion_group!(benches, per_request);
criterion_main!(benches);
