use atode::get;

#[get("/items", tag = ["items"])]
async fn list() -> &'static str {
    "[]"
}

fn main() {}
