use atode::post;

#[post("/items", status = 2010)]
async fn create() -> &'static str {
    "created"
}

fn main() {}
