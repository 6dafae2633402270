use atode::get;

#[get("/items", tags = ["items", "admin", "items"])]
async fn list() -> &'static str {
    "[]"
}

fn main() {}
