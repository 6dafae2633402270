//! Settings read from the environment are checked before anything runs: a
//! value that is not a number of seconds stops the program at start-up with
//! an error that names the variable, on a real process of the
//! `durable_notification` example (server and worker alike).

mod common;

use std::process::{Command, Output, Stdio};

use common::example::{ScratchDir, example_binary};
use common::within;

/// Runs the example in `dir` with `env` and `args` until it exits by
/// itself, which a program that refuses its settings does at once.
async fn exit_of(dir: &ScratchDir, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(example_binary("durable_notification"));
    command
        .current_dir(dir.path())
        .env("ATODE_ADDR", "127.0.0.1:0")
        .env_remove("ATODE_DATABASE_URL")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null());
    let child = tokio::task::spawn_blocking(move || command.output());
    within("the example to refuse its settings and exit", child)
        .await
        .expect("waiter")
        .expect("run the example")
}

#[tokio::test]
async fn a_rescue_after_of_infinity_is_refused_at_start_up() {
    let dir = ScratchDir::new("rescue-after-inf");
    let out = exit_of(&dir, &[("ATODE_RESCUE_AFTER", "inf")], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "started with an infinite rescue_after"
    );
    assert!(
        stderr.contains("ATODE_RESCUE_AFTER must be a number of seconds"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn a_worker_with_a_bad_shutdown_deadline_refuses_to_start() {
    let dir = ScratchDir::new("worker-bad-deadline");
    // Read before the worker waits for its signal: without the check, it
    // would work until told to stop, and only then find the value bad.
    let out = exit_of(&dir, &[("ATODE_SHUTDOWN_DEADLINE", "soon")], &["worker"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the worker started");
    assert!(
        stderr.contains("ATODE_SHUTDOWN_DEADLINE must be a number of seconds"),
        "{stderr}"
    );
}
