use atode::get;

#[get("/items", tags = ["items", ""])]
async fn list() -> &'static str {
    "[]"
}

fn main() {}
