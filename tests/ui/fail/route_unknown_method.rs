use atode::route;

#[route(GET, PSOT, "/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
