// One mistake is one error: the handler is still emitted as written, and so
// is a stand-in for its route, so neither the code that calls the handler
// nor `routes!` adds an error of its own.
use atode::{App, get, routes};

#[get("/users/<user-id>")]
async fn user(user_id: u32) -> String {
    user_id.to_string()
}

fn main() {
    let _ = user(7);
    let _ = App::new().routes(routes![user]);
}
