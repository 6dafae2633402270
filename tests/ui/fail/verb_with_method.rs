use atode::get;

#[get(POST, "/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
