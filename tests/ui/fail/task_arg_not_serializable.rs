use atode::durable::task;

struct User {
    id: u64,
}

#[task]
async fn send_welcome(user: User, email: String) -> Result<(), String> {
    let _ = (user.id, email);
    Ok(())
}

fn main() {}
