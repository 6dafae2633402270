//! The benchmark endpoints in atode: route attributes, and the notification
//! queued on `BackgroundTasks` to run after the response.

use atode::{App, BackgroundTasks, Json, get, post, routes};
use atode_bench::{HELLO, Message, SENT, write_notification};

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    HELLO
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message { message: HELLO })
}

#[post("/send-notification/<email>")]
async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Message> {
    background_tasks.add_task(write_notification, (email,));
    Json(Message { message: SENT })
}

fn main() -> std::io::Result<()> {
    let config = atode_bench::config();
    println!("atode: workers {}, task {:?}", config.workers, config.task);
    let app = App::new().routes(routes![plaintext, json, send_notification]);
    atode_bench::runtime()?.block_on(atode::run(app))
}
