use atode::{Json, post};

#[post("/users")]
async fn create(name: Json<String>, age: Json<u32>) -> String {
    format!("{} {}", name.0, age.0)
}

fn main() {}
