use atode::durable::task;

#[task]
async fn send_welcome<T: std::fmt::Display>(user_id: T) -> Result<(), String> {
    let _ = user_id.to_string();
    Ok(())
}

#[task]
fn log_line(line: impl Into<String>) {
    let _ = line.into();
}

fn main() {}
