use atode::get;

#[get("/", format = "json")]
async fn index() -> &'static str {
    "hello"
}

fn main() {}
