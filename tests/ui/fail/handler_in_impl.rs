use atode::get;

struct Api;

impl Api {
    #[get("/")]
    async fn index() -> &'static str {
        "hello"
    }
}

fn main() {}
