use atode::get;

#[get("/items/id>")]
async fn item() -> &'static str {
    "item"
}

fn main() {}
