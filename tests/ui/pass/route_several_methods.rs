use atode::{App, get, route, routes};

#[route(GET, POST, "/echo")]
async fn echo() -> &'static str {
    "echo"
}

#[route(PUT, PATCH, DELETE, HEAD, OPTIONS, "/all/<id>")]
async fn every_other(id: u64) -> String {
    id.to_string()
}

// Trailing commas are fine too.
#[route(GET, "/one")]
async fn one() -> &'static str {
    "one"
}

#[get("/two")]
async fn two() -> &'static str {
    "two"
}

fn main() {
    let _ = App::new().routes(routes![echo, every_other, one, two,]);
}
