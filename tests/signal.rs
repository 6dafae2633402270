//! The shutdown signal is listened for from the moment `shutdown_signal()`
//! is called: a SIGTERM that arrives before the server first polls it (while
//! start-up hooks run, or just after "listening" is printed) shuts down
//! gracefully instead of killing the process. Its own test binary, since it
//! signals the process it runs in. And a second signal, to a real process,
//! abandons a shutdown that would otherwise wait forever.

#![cfg(unix)]

mod common;

use atode::StatusCode;
use common::example::{Example, ScratchDir};
use common::{Http1, request, within};

#[tokio::test]
async fn a_sigterm_before_the_first_poll_is_not_lost() {
    let signal = atode::shutdown_signal();
    // Were the handler installed on the first poll, this would kill the
    // test process, and the test binary would fail with SIGTERM.
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    common::within("the shutdown signal", signal).await;
}

/// Without a deadline the shutdown waits for every task, and a task blocked
/// for an hour would hold it that long: the second SIGTERM abandons it at
/// once, counted in the log, as uvicorn's second Ctrl-C does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_abandons_a_shutdown_that_would_wait_forever() {
    let dir = ScratchDir::new("second-signal");
    let example = Example::start("graceful_shutdown", &dir).await;
    let mut client = Http1::connect(example.addr).await;
    let (status, _, body) = client.fetch(request("POST", "/reports/3600")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "building the report")
    );
    drop(client);

    example.sigterm();
    // The shutdown has begun once the listener is closed.
    within("the listener to close", async {
        while tokio::net::TcpStream::connect(example.addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let exit = example.terminate().await;
    exit.assert_success();
    assert!(
        exit.stderr
            .contains("told to abandon the shutdown; 2 background task(s) abandoned"),
        "the log counts the running report and the task after it:\n{}",
        exit.stderr
    );
    assert!(
        !dir.path().join("report-ready").exists(),
        "a task started after the shutdown was abandoned"
    );
}
