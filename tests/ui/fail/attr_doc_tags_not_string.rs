use atode::get;

#[get("/items", tags = ["items", admin])]
async fn list() -> &'static str {
    "[]"
}

fn main() {}
