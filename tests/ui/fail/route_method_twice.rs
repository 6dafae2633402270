use atode::route;

#[route(GET, POST, GET, "/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
