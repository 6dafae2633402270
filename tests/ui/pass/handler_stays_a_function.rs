// The handler is still an ordinary `async fn`: a unit test can call it with
// a `BackgroundTasks` of its own and look at what was queued.
use atode::{App, BackgroundTasks, post, routes};

fn write_notification(email: String, message: &'static str) {
    let _ = (email, message);
}

/// Doc comments and other attributes stay on the handler.
#[post("/send-notification/<email>")]
#[allow(clippy::unused_async)]
pub async fn send_notification(
    mut email: String,
    background_tasks: BackgroundTasks,
) -> &'static str {
    email.make_ascii_lowercase();
    background_tasks.add_task(write_notification, (email, "some notification"));
    "Notification sent in the background"
}

#[cfg(any())]
#[post("/never-compiled")]
async fn never_compiled() {}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let tasks = BackgroundTasks::new();
    let reply = runtime.block_on(send_notification("Foo@Example.com".into(), tasks.clone()));
    assert_eq!(reply, "Notification sent in the background");
    assert_eq!(tasks.len(), 1);
    let _ = App::new().routes(routes![send_notification]);
}
