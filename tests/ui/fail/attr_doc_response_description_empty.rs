use atode::post;

#[post("/items", response_description = "")]
async fn create() -> &'static str {
    "created"
}

fn main() {}
