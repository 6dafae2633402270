use atode::route;

#[route(get, "/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
