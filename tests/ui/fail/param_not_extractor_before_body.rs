use atode::{Json, post};

struct Options;

#[post("/users")]
async fn create(options: Options, name: Json<String>) -> String {
    let Options = options;
    name.0
}

fn main() {}
