// A value of the wrong kind is reported at the value, with the fix.
use atode::durable::task;

const ATTEMPTS: u16 = 5;

#[task(queue = mail, max_attempts = ATTEMPTS, priority = "2", name)]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

fn main() {}
