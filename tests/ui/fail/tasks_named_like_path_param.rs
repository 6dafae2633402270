use atode::{BackgroundTasks, post};

#[post("/send/<tasks>")]
async fn send(tasks: BackgroundTasks) -> &'static str {
    let _ = tasks;
    "sent"
}

fn main() {}
