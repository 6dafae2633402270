use atode::route;

#[route(GET, POST, "/old", depreciated)]
async fn old() -> &'static str {
    "old"
}

fn main() {}
