//! What the three benchmark servers share, so they differ only in the stack
//! under test: the settings they read, the runtime they build, the JSON they
//! send and the background task they queue.
//!
//! Every server reads the same environment:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `ATODE_ADDR` | address to listen on (the one `atode::run` reads) | `127.0.0.1:8000` |
//! | `BENCH_WORKERS` | tokio worker threads | the CPUs this process may use |
//! | `BENCH_DIR` | directory the notification task appends to | the system temp dir |
//! | `BENCH_TASK` | `append`, `noop`, or `sleep:<ms>` (sleep, then append) | `append` |

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use serde::Serialize;

/// The body of `GET /json` and of `POST /send-notification/<email>`.
#[derive(Serialize)]
pub struct Message {
    /// The text.
    pub message: &'static str,
}

/// `GET /plaintext` and `GET /json` say this.
pub const HELLO: &str = "Hello, World!";

/// `POST /send-notification/<email>` says this: FastAPI's tutorial text.
pub const SENT: &str = "Notification sent in the background";

/// What the notification task does, from `BENCH_TASK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskWork {
    /// Append one line to `notifications.log` (the tutorial's work).
    Append,
    /// Return at once: the baseline of the latency-isolation run.
    Nothing,
    /// Block the thread this long, then append: a slow task.
    SleepThenAppend(Duration),
}

/// The settings every server reads at start-up.
#[derive(Debug)]
pub struct Config {
    /// Tokio worker threads.
    pub workers: usize,
    /// The file the notification task appends to.
    pub log: PathBuf,
    /// What the notification task does.
    pub task: TaskWork,
}

static CONFIG: OnceLock<Config> = OnceLock::new();

/// The settings, read from the environment on first use. A global rather
/// than framework state, so the three servers reach it the same way and
/// state extraction stays out of what is compared.
pub fn config() -> &'static Config {
    CONFIG.get_or_init(|| Config::from_env().unwrap_or_else(|error| fail(&error)))
}

impl Config {
    fn from_env() -> io::Result<Config> {
        let workers = match std::env::var("BENCH_WORKERS") {
            Ok(value) => value
                .parse()
                .map_err(|_| invalid(format!("BENCH_WORKERS={value:?} is not a count")))?,
            Err(_) => std::thread::available_parallelism().map_or(1, usize::from),
        };
        let dir = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
        let task = match std::env::var("BENCH_TASK").as_deref() {
            Err(_) | Ok("append") => TaskWork::Append,
            Ok("noop") => TaskWork::Nothing,
            Ok(other) => other
                .strip_prefix("sleep:")
                .and_then(|ms| ms.parse().ok())
                .map(|ms| TaskWork::SleepThenAppend(Duration::from_millis(ms)))
                .ok_or_else(|| {
                    invalid(format!(
                        "BENCH_TASK={other:?}: expected append, noop or sleep:<ms>"
                    ))
                })?,
        };
        Ok(Config {
            workers,
            log: dir.join("notifications.log"),
            task,
        })
    }
}

/// The listen address: `$ATODE_ADDR`, as `atode::run` reads it.
pub fn addr() -> String {
    std::env::var("ATODE_ADDR").unwrap_or_else(|_| atode::DEFAULT_ADDR.to_owned())
}

/// The same multi-thread runtime for every server, so worker count and
/// scheduler are not a difference between them.
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config().workers.max(1))
        .enable_all()
        .build()
}

/// The background work of `POST /send-notification/<email>`: a regular
/// `fn` with blocking file I/O, as in FastAPI's tutorial, so every server
/// runs it on tokio's blocking pool.
pub fn write_notification(email: String) -> io::Result<()> {
    let config = config();
    match config.task {
        TaskWork::Nothing => return Ok(()),
        TaskWork::SleepThenAppend(pause) => std::thread::sleep(pause),
        TaskWork::Append => {}
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&config.log)?;
    // One write per line, so concurrent appends do not interleave.
    file.write_all(format!("notification for {email}: some notification\n").as_bytes())
}

/// Prints a start-up line the run script waits for.
pub fn announce(server: &str, addr: &str) {
    let config = config();
    println!(
        "{server} listening on http://{addr} (workers: {}, task: {:?})",
        config.workers, config.task
    );
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn fail(error: &io::Error) -> ! {
    eprintln!("atode-bench: {error}");
    std::process::exit(2)
}
