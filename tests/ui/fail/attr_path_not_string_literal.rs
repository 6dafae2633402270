use atode::get;

#[get(42)]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
