// A `#[task]` function becomes a value to queue and a type that implements
// `Task`, with its options; the function itself is its `call`.
#![deny(warnings)]

use std::time::Duration;

use atode::BackgroundTasks;
use atode::durable::{Task, TaskId, task};
use serde::{Deserialize, Serialize};

/// Sends the welcome email.
#[task(
    queue = "mail",
    max_attempts = 5,
    timeout = "30s",
    priority = 2,
    unique_for = "1h",
    name = "send_welcome_v1"
)]
pub async fn send_welcome(user_id: u64, email: String) -> Result<(), String> {
    if email.contains('@') {
        Ok(())
    } else {
        Err(format!("user {user_id}: no address"))
    }
}

/// A regular `fn`, with no options, returning a `std::io::Result`.
#[task]
fn write_notification(email: String, message: String) -> std::io::Result<()> {
    let _ = (email, message);
    Ok(())
}

#[derive(Serialize, Deserialize)]
pub struct Report {
    pub rows: Vec<(u32, String)>,
}

/// No arguments, no return value; one argument of a type of its own,
/// destructured by a pattern; a `mut` binding.
#[task(timeout = "1h30m")]
fn tick() {}

#[task]
async fn store((id, name): (u32, String), Report { rows }: Report, mut count: u8) {
    count += 1;
    let _ = (id, name, rows, count);
}

/// Other attributes stay on the function; `#[cfg]` goes with every item.
#[task]
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn crate_visible(line: String) {
    let _ = line;
}

#[cfg(any())]
#[task]
fn never_compiled(_: NoSuchType) {}

mod nested {
    #[atode::durable::task(priority = 4)]
    pub fn r#move(r#type: String) {
        let _ = r#type;
    }
}

fn assert_task<T: Task>(_: T) {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(send_welcome::NAME, "send_welcome_v1");
    let options = send_welcome::options();
    assert_eq!(options.queue_name(), "mail");
    assert_eq!(options.attempts(), 5);
    assert_eq!(options.priority_level(), 2);
    assert_eq!(options.timeout_after(), Some(Duration::from_secs(30)));
    assert_eq!(options.unique_window(), Some(Duration::from_secs(3600)));

    assert_eq!(write_notification::NAME, "write_notification");
    assert_eq!(write_notification::options(), atode::durable::TaskOptions::new());
    assert_eq!(tick::options().timeout_after(), Some(Duration::from_secs(5400)));
    // A raw identifier is named without its `r#`.
    assert_eq!(nested::r#move::NAME, "move");
    assert_eq!(nested::r#move::options().priority_level(), 4);

    assert!(send_welcome::call(1, "a@b".to_owned()).await.is_ok());
    assert!(send_welcome::call(1, "nobody".to_owned()).await.is_err());
    assert!(write_notification::call("a@b".into(), "hi".into()).is_ok());
    tick::call();
    store::call((1, "a".into()), Report { rows: vec![] }, 0).await;
    crate_visible::call("line".into());

    // A copyable value, to queue.
    let task = send_welcome;
    let copy = task;
    assert_task(task);
    assert_task(copy);
    assert_eq!(format!("{task:?}"), "send_welcome");

    let tasks = BackgroundTasks::new();
    let id: TaskId = tasks.add_task(send_welcome, (1, "a@b".to_owned()));
    let _ = id;
    let _: TaskId = tasks.add_task(tick, ());
    let _: TaskId = tasks.add_task(crate_visible, ("line".to_owned(),));
}
