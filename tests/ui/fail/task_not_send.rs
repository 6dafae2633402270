// A task's future runs on the runtime's workers, so it must be `Send`.
use std::rc::Rc;

use atode::durable::task;

async fn flush() {}

#[task]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let count = Rc::new(user_id);
    flush().await;
    let _ = count;
    Ok(())
}

fn main() {}
