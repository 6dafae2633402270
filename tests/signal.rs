//! The shutdown signal is listened for from the moment `shutdown_signal()`
//! is called: a SIGTERM that arrives before the server first polls it (while
//! start-up hooks run, or just after "listening" is printed) shuts down
//! gracefully instead of killing the process. Its own test binary, since it
//! signals the process it runs in.

#![cfg(unix)]

mod common;

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
