use atode::get;

#[get("/items/<id>")]
async fn item(id: impl std::str::FromStr) -> &'static str {
    let _ = id;
    "item"
}

fn main() {}
