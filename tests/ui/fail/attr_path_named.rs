use atode::get;

#[get(path = "/")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
