use atode::durable::task;

#[task(queue = "mail", max_attempts = 5, queue = "mail-high")]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

fn main() {}
