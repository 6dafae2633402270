use atode::{App, BackgroundTasks, Json, State, post, routes};
use serde::Deserialize;

#[derive(Clone)]
struct Greeting(&'static str);

#[derive(Deserialize)]
struct Item {
    name: String,
    count: u32,
}

fn log(line: String) {
    let _ = line;
}

// Extractors may be destructured in place; path parameters are plain names.
#[post("/items/<id>")]
async fn create(
    id: u64,
    State(Greeting(greeting)): State<Greeting>,
    tasks: BackgroundTasks,
    Json(Item { name, count }): Json<Item>,
) -> String {
    tasks.add_task(log, (format!("{greeting} {name} x{count}"),));
    id.to_string()
}

fn main() {
    let _ = App::new().state(Greeting("hi")).routes(routes![create]);
}
