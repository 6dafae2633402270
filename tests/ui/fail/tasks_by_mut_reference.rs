use atode::{BackgroundTasks, post};

fn log() {}

#[post("/send")]
async fn send(tasks: &mut BackgroundTasks) -> &'static str {
    tasks.add_task(log, ());
    "sent"
}

fn main() {}
