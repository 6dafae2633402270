use atode::route;

#[route(GET, deprecated, POST, "/old", deprecated = true)]
async fn old() -> &'static str {
    "old"
}

fn main() {}
