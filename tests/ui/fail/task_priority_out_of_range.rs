use atode::durable::task;

#[task(priority = 9)]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

fn main() {}
