use atode::post;

const CREATED: &str = "Item created";

#[post("/items", status = 201, response_description = CREATED)]
async fn create() -> &'static str {
    "created"
}

fn main() {}
