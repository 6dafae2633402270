use atode::get;

#[get("/items/<>")]
async fn item() -> &'static str {
    "item"
}

fn main() {}
