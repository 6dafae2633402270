use atode::route;

#[route("/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
