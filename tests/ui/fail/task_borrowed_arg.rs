use atode::durable::task;

#[task]
fn write_notification(email: &str, body: &[u8], tags: Vec<&'static str>) -> std::io::Result<()> {
    let _ = (email, body, tags);
    Ok(())
}

fn main() {}
