use atode::post;

#[post("/items", status = "201")]
async fn create() -> &'static str {
    "created"
}

fn main() {}
