use atode::{Json, State, post};

#[post("/users")]
async fn create(name: Json<String>, greeting: State<&'static str>) -> String {
    format!("{} {}", greeting.0, name.0)
}

fn main() {}
