use atode::get;

#[get("/items", summary = "List the items")]
async fn list() -> &'static str {
    "[]"
}

fn main() {}
