use atode::get;

#[get(index)]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
