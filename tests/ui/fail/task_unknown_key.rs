use atode::durable::task;

#[task(queu = "mail", retries = 3, format = "json")]
async fn send_welcome(user_id: u64) -> Result<(), String> {
    let _ = user_id;
    Ok(())
}

fn main() {}
