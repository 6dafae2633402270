// Every mistake in a task is reported in one compile: its options and its
// signature are all checked, whatever fails first.
use atode::durable::task;

#[task(queue = "mail.high", max_attempts = 2000, timout = "30s")]
unsafe fn send_welcome<'a>(email: &'a str, user_id: u64) -> Result<(), String> {
    let _ = (email, user_id);
    Ok(())
}

fn main() {}
