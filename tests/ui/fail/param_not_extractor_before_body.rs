use atode::{Json, post};

#[post("/users")]
async fn create(limit: u32, name: Json<String>) -> String {
    format!("{} {limit}", name.0)
}

fn main() {}
