//! The README's example, run as a user runs it: the compiled
//! `send_notification` example as a child process in a scratch directory,
//! bound to a port the OS picks, asked over a real socket, then stopped with
//! SIGTERM, which drains its background task before the process exits.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::{Http1, request};

/// `cargo test` builds the examples next to the test binaries' directory.
fn example_binary() -> PathBuf {
    let test_binary = std::env::current_exe().expect("current exe");
    let profile_dir = test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let binary = profile_dir
        .join("examples")
        .join(format!("send_notification{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run the suite with `cargo test`, which builds the examples",
        binary.display()
    );
    binary
}

/// A scratch working directory, removed when the test ends.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("atode-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills the child if the test fails before it has exited.
struct Server(Option<Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn the_readme_example_answers_and_writes_the_log_after_the_response() {
    let dir = ScratchDir::new("send-notification");
    let mut server = Server(Some(
        Command::new(example_binary())
            .current_dir(&dir.0)
            .env("ATODE_ADDR", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the example"),
    ));
    let child = server.0.as_mut().expect("child");

    // The first line of output names the address it listens on.
    let stdout = child.stdout.take().expect("stdout");
    let first_line = common::within(
        "the example to print its address",
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .expect("reader thread")
    .expect("read stdout");
    let addr = first_line
        .trim()
        .strip_prefix("atode listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
        .parse()
        .expect("a socket address");

    let (status, headers, body) = Http1::connect(addr)
        .await
        .fetch(request("POST", "/send-notification/foo@example.com"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"message":"Notification sent in the background"}"#);

    // SIGTERM starts a graceful shutdown, which waits for the task; the
    // process exiting is the event that says the task has finished.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let mut child = server.0.take().expect("child");
    let status = common::within(
        "the example to drain and exit",
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("waiter thread")
    .expect("wait for the example");
    assert!(status.success(), "the example exited with {status}");

    let log = std::fs::read_to_string(dir.0.join("log.txt")).expect("log.txt written");
    assert_eq!(log, "notification for foo@example.com: some notification");
}
