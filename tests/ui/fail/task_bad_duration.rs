use atode::durable::task;

#[task(timeout = "30x", unique_for = "1h 30m")]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

#[task(timeout = 30, unique_for = "0s")]
async fn send_reminder(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

fn main() {}
