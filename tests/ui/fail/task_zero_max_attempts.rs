use atode::durable::task;

#[task(max_attempts = 0)]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

fn main() {}
