use atode::{App, BackgroundTasks, Json, post, routes};

fn log(line: String) {
    let _ = line;
}

#[post("/first/<id>")]
async fn first(tasks: BackgroundTasks, id: u32) -> &'static str {
    tasks.add_task(log, (id.to_string(),));
    "first"
}

#[post("/middle/<id>")]
async fn middle(id: u32, later: BackgroundTasks, body: Json<String>) -> &'static str {
    later.add_task(log, (format!("{id} {}", body.0),));
    "middle"
}

#[post("/last/<id>")]
async fn last(
    id: u32,
    body: Json<String>,
    after_the_response: atode::BackgroundTasks,
) -> &'static str {
    after_the_response.add_task(log, (format!("{id} {}", body.0),));
    "last"
}

#[post("/alone")]
async fn alone(_tasks: BackgroundTasks) -> &'static str {
    "alone"
}

fn main() {
    let _ = App::new().routes(routes![first, middle, last, alone]);
}
