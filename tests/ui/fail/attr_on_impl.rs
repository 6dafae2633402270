use atode::get;

struct Api;

#[get("/")]
impl Api {
    async fn index() -> &'static str {
        "hello"
    }
}

fn main() {}
