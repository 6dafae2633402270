//! What a background task costs to queue and run: 10,000 empty tasks on one
//! `BackgroundTasks`, run in order by `run()`, as `async fn`s and as regular
//! `fn`s (which each take a trip through tokio's blocking pool).

use std::hint::black_box;

use atode::BackgroundTasks;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const TASKS: u64 = 10_000;

async fn empty_async() {}

fn empty_sync() {}

fn queued(add: impl Fn(&BackgroundTasks)) -> BackgroundTasks {
    let tasks = BackgroundTasks::new();
    for _ in 0..TASKS {
        add(&tasks);
    }
    tasks
}

fn queue_and_run(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("queue and run 10,000 empty tasks");
    // Per-element figures are the amortized cost of one task.
    group.throughput(Throughput::Elements(TASKS));
    group.bench_function("async fn", |b| {
        b.iter(|| {
            let tasks = queued(|tasks| tasks.add_task(empty_async, ()));
            black_box(runtime.block_on(tasks.run()))
        });
    });
    group.bench_function("async fn, run only", |b| {
        b.iter_batched(
            || queued(|tasks| tasks.add_task(empty_async, ())),
            |tasks| black_box(runtime.block_on(tasks.run())),
            BatchSize::PerIteration,
        );
    });
    group.sample_size(10);
    group.bench_function("fn (blocking pool)", |b| {
        b.iter(|| {
            let tasks = queued(|tasks| tasks.add_task(empty_sync, ()));
            black_box(runtime.block_on(tasks.run()))
        });
    });
    group.finish();
}

criterion_group!(benches, queue_and_run);
criterion_main!(benches);
