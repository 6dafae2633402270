use atode::get;

#[get]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
