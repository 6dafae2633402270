//! Running a compiled example as a user would: a child process in a scratch
//! working directory, on a port the OS picks.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::{GUARD, within};

/// A scratch working directory, removed when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("atode-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.0.join(file))
            .unwrap_or_else(|error| panic!("read {file}: {error}"))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `cargo test` builds the examples beside the test binaries' directory.
pub fn example_binary(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("current exe");
    let profile_dir = test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run the suite with `cargo test`, which builds the examples",
        binary.display()
    );
    binary
}

/// Reads `pipe` (a child's stderr: its logs) on a thread of its own until
/// the child closes it, so the child never blocks on a full pipe.
pub fn read_to_end(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// What a child has written to stderr so far, and a signal for each line.
#[derive(Clone, Default)]
pub struct LogSoFar(Arc<(Mutex<String>, Condvar)>);

impl LogSoFar {
    /// Reads `pipe` line by line on a thread of its own until the child
    /// closes it, keeping what came so far; the thread returns all of it.
    fn follow(pipe: impl Read + Send + 'static) -> (Self, JoinHandle<String>) {
        let log = LogSoFar::default();
        let kept = log.clone();
        let reader = std::thread::spawn(move || {
            let mut lines = BufReader::new(pipe);
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|read| read > 0) {
                let (text, arrived) = &*kept.0;
                text.lock().unwrap().push_str(&line);
                arrived.notify_all();
                line.clear();
            }
            kept.0.0.lock().unwrap().clone()
        });
        (log, reader)
    }

    /// Waits (up to the suite's guard) until the log has a line with
    /// `needle`, and returns that line.
    pub async fn line_with(&self, needle: &str) -> String {
        let log = self.clone();
        let wanted = needle.to_owned();
        let waited = tokio::task::spawn_blocking(move || {
            let needle = wanted;
            let (text, arrived) = &*log.0;
            let mut text = text.lock().unwrap();
            let deadline = std::time::Instant::now() + GUARD;
            loop {
                if let Some(line) = text.lines().find(|line| line.contains(&needle)) {
                    return Ok(line.to_owned());
                }
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(text.clone());
                }
                text = arrived.wait_timeout(text, left).unwrap().0;
            }
        });
        match waited.await.expect("log waiter") {
            Ok(line) => line,
            Err(log) => panic!("no line with {needle:?} within {GUARD:?}; the log:\n{log}"),
        }
    }
}

/// A running example; killed if the test ends before it has exited.
pub struct Example {
    child: Option<Child>,
    /// Collects what the example writes to stderr (its logs).
    stderr: Option<JoinHandle<String>>,
    /// The same, as it comes.
    pub log: LogSoFar,
    pub addr: SocketAddr,
}

/// How an example ended.
pub struct Exit {
    pub status: ExitStatus,
    pub stderr: String,
}

impl Exit {
    /// Fails the test, showing the example's logs, unless it exited 0.
    pub fn assert_success(&self) {
        assert!(
            self.status.success(),
            "the example exited with {}: {}",
            self.status,
            self.stderr
        );
    }
}

impl Example {
    /// Starts the example `name` in `dir` and waits for the line that says
    /// where it listens.
    pub async fn start(name: &str, dir: &ScratchDir) -> Self {
        Self::start_with(name, dir, &[]).await
    }

    /// Starts the example with extra environment variables.
    pub async fn start_with(name: &str, dir: &ScratchDir, env: &[(&str, &str)]) -> Self {
        Self::start_with_args(name, dir, env, &[]).await
    }

    /// Starts the example with extra environment variables and arguments,
    /// and waits for the line that says where it listens.
    pub async fn start_with_args(
        name: &str,
        dir: &ScratchDir,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let mut example = Self::spawn_with_args(name, dir, env, args);
        let stdout = example
            .child
            .as_mut()
            .and_then(|child| child.stdout.take())
            .expect("stdout");
        let first_line = within(
            "the example to print its address",
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).map(|_| line)
            }),
        )
        .await
        .expect("reader thread")
        .expect("read stdout");
        example.addr = first_line
            .trim()
            .strip_prefix("atode listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
            .parse()
            .expect("a socket address");
        example
    }

    /// Starts the example without waiting for it to listen: for a process
    /// that serves nothing, such as a worker (its `addr` is unspecified).
    pub fn spawn_with_args(
        name: &str,
        dir: &ScratchDir,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let mut child = Command::new(example_binary(name))
            .current_dir(dir.path())
            .env("ATODE_ADDR", "127.0.0.1:0")
            .envs(env.iter().copied())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("start the example {name}: {error}"));
        let (log, stderr) = LogSoFar::follow(child.stderr.take().expect("stderr"));
        // From here on, dropping the example kills the child if anything fails.
        Example {
            child: Some(child),
            stderr: Some(stderr),
            log,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// Sends SIGTERM without waiting for anything.
    pub fn sigterm(&self) {
        let child = self.child.as_ref().expect("child");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Sends SIGTERM and waits for the process to exit: a graceful
    /// shutdown, which waits for every background task first.
    pub async fn terminate(mut self) -> Exit {
        let mut child = self.child.take().expect("child");
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM failed");
        let pid = child.id().to_string();
        let waiter = tokio::task::spawn_blocking(move || child.wait());
        let status = match tokio::time::timeout(GUARD, waiter).await {
            Ok(waited) => waited
                .expect("waiter thread")
                .expect("wait for the example"),
            Err(_) => {
                // Killed, so the waiter thread ends and the test fails
                // instead of hanging on it.
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                panic!("the example did not exit within {GUARD:?} of SIGTERM; killed it");
            }
        };
        let stderr = self
            .stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        Exit { status, stderr }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
