use atode::get;

#[get("/")]
fn index() -> &'static str {
    "hello"
}

fn main() {}
