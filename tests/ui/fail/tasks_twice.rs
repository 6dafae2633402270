use atode::{BackgroundTasks, post};

#[post("/send")]
async fn send(tasks: BackgroundTasks, more_tasks: BackgroundTasks) -> &'static str {
    let _ = (tasks, more_tasks);
    "sent"
}

fn main() {}
