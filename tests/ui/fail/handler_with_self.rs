use atode::get;

struct Api;

impl Api {
    #[get("/")]
    async fn index(&self) -> &'static str {
        "hello"
    }
}

fn main() {}
