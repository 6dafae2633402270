use atode::post;

#[post("/items", status_code = 201)]
async fn create() -> &'static str {
    "created"
}

fn main() {}
